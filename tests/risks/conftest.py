"""The console fixtures (signed-in clients of each role) for the register and review pages."""

from tests.web.conftest import sign_in

__all__ = ["sign_in"]
