from tests.auth.factories import cheap_password_hashing

__all__ = ["cheap_password_hashing"]
