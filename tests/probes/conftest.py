"""The console fixtures (signed-in clients of each role) for the probes and moderation pages."""

from tests.web.conftest import sign_in

__all__ = ["sign_in"]
