"""Exit codes scripts can rely on, and the id rules (both documented in the README)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1  # something failed: a malformed file, a refused envelope, a server error
    USAGE = 2  # bad flags or arguments (click's own code)
    NOT_FOUND = 3  # an id or file that does not exist
    INTERRUPTED = 130  # Ctrl-C


#: The id rules, worded once for `devsentry show --help`, `export --help` and the README.
ID_HELP = (
    "DS-<n> is an issue (its latest event is shown); #<n>, item:<n> or a plain number is an "
    "item's row id (the first column of `devsentry events`); 6 or more hex digits are an event "
    "id or a unique prefix of one (dashes ignored). A plain number of 6+ digits that is no "
    "item's id is tried as an event id prefix."
)
