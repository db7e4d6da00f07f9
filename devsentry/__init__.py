"""devsentry: a local Sentry for development."""

__version__ = "0.1.0.dev0"
