"""Release names as Sentry reads them: `package@version`, and which of two versions is newer.

Sentry parses a release with its release parser (`getsentry/sentry-release-parser`, exposed
as Relay's `parse_release` and `compare_version`): an optional `package@`, then a version of
one to four numeric parts with an optional `-prerelease` and `+build`. Two releases compare
by version only when both parse (`src/sentry/models/groupresolution.py`, `has_resolution`);
otherwise Sentry falls back to the order the releases were first seen, which the store knows.
"""

from __future__ import annotations

import re

import msgspec

__all__ = ["Version", "compare_versions", "parse_version"]

_VERSION = re.compile(
    r"(?P<nums>\d{1,18}(?:\.\d{1,18}){0,3})"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?"
    r"(?:\+(?P<build>[0-9A-Za-z.-]+))?"
)


class Version(msgspec.Struct, frozen=True):
    """A release's package and its semantic version, as far as comparing needs them."""

    package: str | None
    numbers: tuple[int, int, int, int]  # major, minor, patch, revision (missing parts 0)
    pre: tuple[tuple[int, int | str], ...]  # empty: a final release (newer than any pre)
    build: tuple[tuple[int, int | str], ...]


def _identifiers(text: str | None) -> tuple[tuple[int, int | str], ...]:
    """Dot-separated identifiers, numeric ones compared as numbers and below text ones (the
    semver 2.0 precedence rule)."""
    if not text:
        return ()
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in text.split("."))


def parse_version(release: str) -> Version | None:
    """`shop@2.1.0-rc.1+42` as a `Version`; None when the version part is not semver-like (a
    commit sha, `latest`), so the caller falls back to the order releases were seen."""
    package, sep, version = release.strip().rpartition("@")
    if not sep:
        package, version = "", release.strip()
    match = _VERSION.fullmatch(version)
    if match is None:
        return None
    parts = [int(n) for n in match["nums"].split(".")]
    numbers = (*parts, 0, 0, 0)[:4]
    return Version(
        package or None,
        (numbers[0], numbers[1], numbers[2], numbers[3]),
        _identifiers(match["pre"]),
        _identifiers(match["build"]),
    )


def compare_versions(a: str, b: str) -> int | None:
    """-1, 0 or 1 as release `a` is older than, the same as or newer than `b`; None when
    they cannot be compared by version (either does not parse, or the packages differ)."""
    va, vb = parse_version(a), parse_version(b)
    if va is None or vb is None or va.package != vb.package:
        return None
    # A final release sorts after its prereleases: an empty `pre` ranks highest.
    ka = (va.numbers, not va.pre, va.pre, va.build)
    kb = (vb.numbers, not vb.pre, vb.pre, vb.build)
    return (ka > kb) - (ka < kb)
