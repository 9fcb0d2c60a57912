"""EventGuard: the emergency plan of an online event, made executable."""

__version__ = "0.1.0"
