"""Exit codes scripts can rely on (documented in the README)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1  # something failed: a malformed file, a refused envelope, a server error
    USAGE = 2  # bad flags or arguments (click's own code)
    NOT_FOUND = 3  # an id or file that does not exist
    INTERRUPTED = 130  # Ctrl-C
