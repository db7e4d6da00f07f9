"""Test helpers shipped in the package: `LocalServer` (a real devsentry in a thread), one
wait-for-condition helper, and the `devsentry` pytest fixture (`testing.plugin`)."""

from devsentry.testing.server import LocalServer
from devsentry.testing.wait import WaitTimeout, wait_until, wait_until_async

__all__ = ["LocalServer", "WaitTimeout", "wait_until", "wait_until_async"]
