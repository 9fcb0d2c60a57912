"""The console fixtures (signed-in clients of each role) for the survey pages."""

from tests.web.conftest import sign_in

__all__ = ["sign_in"]
