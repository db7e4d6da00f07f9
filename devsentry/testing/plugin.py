"""The `devsentry` pytest fixture: a real Sentry ingest per test, and assertions on what it got.

Installed with devsentry (entry point `pytest11`), so any test can ask for it::

    def test_checkout_reports_errors(devsentry):
        sentry_sdk.init(dsn=devsentry.dsn)
        checkout()
        devsentry.assert_error(type="RuntimeError", value_contains="checkout failed")

The fixture is a `LocalServer` (the same assembly as `devsentry serve`, on an ephemeral port
with a temporary store) plus helpers whose failures say what *did* arrive — a test that
fails with "expected an error" and no more is a test that sends you to a debugger. devsentry's
own tests use this very fixture, as mitmproxy's tests use its `taddons`.

Options: `--devsentry-keep` keeps the store of a failed test and prints how to look at it;
`--devsentry-update-snapshots` rewrites the golden files of `assert_snapshot`.
"""

from __future__ import annotations

import contextvars
import re
import shutil
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from devsentry.model import Event, ModelError, decode_item, envelope_json, payload_view
from devsentry.process.crash import raised
from devsentry.process.grouping import title_for
from devsentry.process.naming import culprit_for
from devsentry.process.sourcemaps import SourceMapPolicy
from devsentry.protocol.envelope import Envelope, EnvelopeError, Item, parse
from devsentry.store import writes
from devsentry.store.query import Query
from devsentry.store.records import ItemRecord
from devsentry.store.store import Store
from devsentry.testing.server import LocalServer
from devsentry.testing.wait import WaitTimeout, wait_until

if TYPE_CHECKING:
    from devsentry.fixtures.replay import Summary

__all__ = ["DevSentry", "ReplayFailed", "WaitTimeout"]

_LISTED = 40  # items shown in a failure message before "… and N more"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


class ReplayFailed(AssertionError):
    """`DevSentry.replay` had files refused or unreadable; the message lists them."""


class _Snapshots(msgspec.Struct):
    """Where a test's golden files live and whether to rewrite them."""

    directory: Path
    stem: str
    update: bool
    rootdir: Path
    taken: int = 0

    def next_path(self, name: str | None) -> Path:
        self.taken += 1
        suffix = f"-{name}" if name else ("" if self.taken == 1 else f"-{self.taken}")
        safe = re.sub(r"[^\w.-]+", "_", f"{self.stem}{suffix}").strip("_")
        return self.directory / f"{safe}.json"


def _one_line(text: str | None, limit: int = 70) -> str:
    value = " ".join(_CONTROL.sub(" ", text or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


class DevSentry(LocalServer):
    """A `LocalServer` with the helpers tests want: decoded events, waiting, assertions,
    replaying fixture files, clearing, and snapshots."""

    def __init__(
        self,
        store: Path,
        *,
        console: bool = True,
        width: int = 100,
        sourcemaps: SourceMapPolicy | None = None,
    ) -> None:
        self._context = contextvars.Context()
        super().__init__(
            store, console=console, width=width, context=self._context, sourcemaps=sourcemaps
        )
        self._snapshots: _Snapshots | None = None
        self._inert_client: Any = None

    def start(self) -> DevSentry:
        """Start the server out of sight of any Sentry SDK running in this process.

        The server shares the process with the app under test, and the SDK's aiohttp
        integration instruments every aiohttp server it can see: devsentry's own requests
        would become transactions (sent to devsentry, which makes more: a feedback loop),
        sessions, and a transaction name leaking into the app's events. So the server's
        thread and tasks run in a context of their own whose Sentry client has no
        integrations and no DSN.
        """
        self._inert_client = self._context.run(_hide_from_sentry)
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        if self._inert_client is not None:
            self._inert_client.close()
            self._inert_client = None

    # -- reading ----------------------------------------------------------------------------

    def _event_pairs(self) -> list[tuple[ItemRecord, Event]]:
        """Every error or message event that arrived, oldest first, with its decoded model."""
        pairs: list[tuple[ItemRecord, Event]] = []
        with self._read() as store:
            records = store.items(Query(limit=None, types=["event"]), oldest_first=True)
            parsed: dict[int, Envelope | None] = {}
            for record in records:
                if record.envelope_id not in parsed:
                    stored = store.envelope(record.envelope_id)
                    try:
                        parsed[record.envelope_id] = parse(stored.raw) if stored else None
                    except EnvelopeError:
                        parsed[record.envelope_id] = None
                envelope = parsed[record.envelope_id]
                if envelope is None or record.index >= len(envelope.items):
                    continue
                try:
                    model = decode_item(envelope.items[record.index])
                except ModelError:
                    continue
                if isinstance(model, Event):
                    pairs.append((record, model))
        return pairs

    @property
    def events(self) -> list[Event]:
        """The error and message events that arrived (decoded models), oldest first."""
        return [event for _, event in self._event_pairs()]

    def payload(self, item: ItemRecord) -> Item:
        """The stored envelope item of a record, payload bytes exactly as sent."""
        with self._read() as store:
            stored = store.envelope(item.envelope_id)
        assert stored is not None, f"item #{item.id}'s envelope is no longer stored"
        return parse(stored.raw).items[item.index]

    def describe(self) -> str:
        """What arrived, one line per item: type, level, title, culprit."""
        with self._read() as store:
            items = store.items(Query(limit=None), oldest_first=True)
            issues = {i.id: i for i in store.issues(Query(limit=None))}
            rejected = store.stats()["rejected"]
        lines = []
        for item in items[:_LISTED]:
            issue = issues.get(item.issue_id) if item.issue_id is not None else None
            culprit = issue.culprit if issue is not None else None
            lines.append(
                f"  {item.type:<12} {item.level or '':<8} {_one_line(item.title):<50}"
                f"  {_one_line(culprit, 40)}".rstrip()
            )
        if len(items) > _LISTED:
            lines.append(f"  … and {len(items) - _LISTED} more")
        noun = "item" if len(items) == 1 else "items"
        head = f"{len(items)} {noun} arrived" + (":" if items else " (nothing)")
        if rejected:
            head += f" (and {rejected} refused request{'' if rejected == 1 else 's'})"
        return "\n".join([head, *lines])

    # -- waiting ----------------------------------------------------------------------------

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every envelope the server acknowledged is indexed (items, issues).

        SDKs get their answer once an envelope is committed; indexing follows a moment
        later. After `sentry_sdk.flush()` and `settle()`, what the app sent is all visible.
        """

        def indexed() -> bool:
            with self._read() as store:
                return store.fully_indexed()

        wait_until(indexed, "the store was not fully indexed", timeout, interval=0.01)

    # -- assertions -------------------------------------------------------------------------

    def assert_error(
        self,
        type: str | None = None,
        value_contains: str | None = None,
        *,
        timeout: float = 5.0,
    ) -> Event:
        """Wait for an error event (an exception, or level error/fatal) and return it.

        `type` matches any exception of the chain by name (`ValueError`) or qualified name
        (`builtins.ValueError`); `value_contains` a substring of that exception's value.
        """

        def matches(event: Event) -> bool:
            if type is None and value_contains is None:
                return _is_error(event)
            return any(
                (type is None or type in (exc.type, f"{exc.module}.{exc.type}"))
                and (value_contains is None or value_contains in (exc.value or ""))
                for exc in raised(event)
            )

        want = "an error event"
        if type is not None:
            want += f" with an exception of type {type!r}"
        if value_contains is not None:
            want += f" whose value contains {value_contains!r}"
        return self._assert_event(matches, want, timeout)

    def assert_message(
        self, contains: str | None = None, *, level: str | None = None, timeout: float = 5.0
    ) -> Event:
        """Wait for a message event containing `contains`, at `level`: an event with no
        exception but the synthetic stack JavaScript SDKs attach to `captureMessage`."""

        def matches(event: Event) -> bool:
            if raised(event):
                return False
            text = event.message_text
            return (
                text is not None
                and (contains is None or contains in text)
                and (level is None or event.level_name == level.lower())
            )

        want = "a message event"
        if contains is not None:
            want += f" containing {contains!r}"
        if level is not None:
            want += f" at level {level!r}"
        return self._assert_event(matches, want, timeout)

    def _assert_event(self, matches: Callable[[Event], bool], want: str, timeout: float) -> Event:
        def find() -> Event | None:
            return next((e for _, e in self._event_pairs() if matches(e)), None)

        try:
            event: Event = wait_until(find, want, timeout)
        except WaitTimeout:
            raise AssertionError(
                f"expected {want} (waited {timeout:g}s); {self.describe()}"
            ) from None
        return event

    def assert_no_errors(self, timeout: float = 10.0) -> None:
        """Fail if any error event arrived (call `sentry_sdk.flush()` first: what the SDK
        still holds has not arrived). Waits for indexing to finish before it looks."""
        self.settle(timeout)
        errors = [e for _, e in self._event_pairs() if _is_error(e)]
        if errors:
            lines = [
                f"  {_one_line(title_for(e))}  {_one_line(culprit_for(e), 40)}".rstrip()
                for e in errors[:_LISTED]
            ]
            raise AssertionError(
                f"expected no errors, but {len(errors)} arrived:\n" + "\n".join(lines)
            )

    # -- changing ---------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything that arrived (store and console output); the DSN stays valid.

        Runs on the server's loop, between requests, after what was acknowledged is indexed.
        Ids go on upward after a clear, so the running indexer simply carries on.
        """
        assert self.server is not None, "server not started"
        self.settle()

        async def wipe() -> None:
            with Store(self.store_path) as store:
                writes.clear(store.db)

        self._background.call(wipe())
        self._output.seek(0)
        self._output.truncate()

    def replay(
        self,
        *paths: str | Path,
        project: int | str = 1,
        refresh: bool = False,
        check: bool = True,
    ) -> Summary:
        """Send `.envelope` files (paths, directories or globs) to this server over HTTP, as
        `devsentry replay --to DSN` does, and wait until they are indexed.

        Returns the `replay.Summary`. With `check` (the default), a refused or unreadable
        file fails the test with the list of answers.
        """
        from devsentry.fixtures.replay import Target, replay_sync

        target = Target.parse(self.dsn_for(int(project)))
        # In the server's context: the app's SDK must not trace devsentry's own requests.
        summary: Summary = self._context.copy().run(replay_sync, paths, target, refresh_ids=refresh)
        if check and not summary.ok:
            bad = [f"  {a.path}: {a.outcome} {a.detail or ''}".rstrip() for a in summary.answers]
            raise ReplayFailed(summary.line() + "\n" + "\n".join(bad))
        self.settle()
        return summary

    # -- snapshots --------------------------------------------------------------------------

    def assert_snapshot(self, value: Any, name: str | None = None) -> None:
        """Compare `value` with the test's golden JSON file after normalizing what changes
        between runs (ids, times, durations, versions, paths, ports, addresses).

        `value` is a stored item (`wait_for(...)[0]`: its payload exactly as sent), an
        `Event` or other model, an envelope `Item`, or plain JSON data. Golden files live in
        `__snapshots__/<test module>/<test>[-name].json` beside the test; a missing one is
        written (and the test fails once), `--devsentry-update-snapshots` rewrites them.
        """
        from devsentry.fixtures.snapshot import check, normalize

        if self._snapshots is None:
            raise RuntimeError("assert_snapshot needs the devsentry pytest fixture")
        data = self._snapshot_data(value)
        replacements = {
            self.url: "http://<devsentry>",
            str(self.store_path.parent): "<store>",
            str(self._snapshots.rootdir): "<rootdir>",
        }
        check(
            self._snapshots.next_path(name),
            normalize(data, replacements),
            update=self._snapshots.update,
            hint="Run pytest with --devsentry-update-snapshots to accept the new output.",
        )

    def _snapshot_data(self, value: Any) -> Any:
        if isinstance(value, ItemRecord):
            value = self.payload(value)
        if isinstance(value, Item):
            return payload_view(value)
        if isinstance(value, Envelope):
            return envelope_json(value)
        if isinstance(value, msgspec.Struct):
            return msgspec.json.decode(msgspec.json.encode(value))
        return msgspec.to_builtins(value)


def _hide_from_sentry() -> Any:
    """In the current (fresh) context, make `sentry_sdk.get_client()` an inert client: one
    without integrations or DSN, so the SDK's patches (aiohttp server and client, threads)
    pass devsentry by. Nothing to do when no SDK was imported; returns the client."""
    sentry_sdk = sys.modules.get("sentry_sdk")
    if sentry_sdk is None:
        return None
    try:
        client = sentry_sdk.Client(
            dsn="", default_integrations=False, auto_enabling_integrations=False, spotlight=False
        )
        sentry_sdk.get_current_scope().set_client(client)
    except Exception:  # an SDK without 2.x scopes: the fresh context is all we can do
        return None
    return client


# -- pytest wiring --------------------------------------------------------------------------

_fixture_key = pytest.StashKey[DevSentry]()
_failed_key = pytest.StashKey[bool]()
_kept_key = pytest.StashKey[list[tuple[str, Path]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("devsentry", "devsentry (local Sentry server fixture)")
    group.addoption(
        "--devsentry-keep",
        action="store_true",
        help="Keep the devsentry store of a failed test and print how to inspect it.",
    )
    group.addoption(
        "--devsentry-update-snapshots",
        action="store_true",
        help="Rewrite the golden files of devsentry.assert_snapshot with this run's events.",
    )


def _store_commands(path: Path) -> str:
    return "\n".join(
        f"  devsentry {command} --store {path}"
        for command in ("issues", "events", "show DS-1", "export -o fixtures/")
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, add a "devsentry" section to the report: what arrived, and the store."""
    report: pytest.TestReport = yield
    server = item.stash.get(_fixture_key, None)
    if server is None or not report.failed or report.when == "teardown":
        return report
    item.stash[_failed_key] = True
    try:
        text = server.describe()
    except Exception as exc:  # the report must not fail because the store cannot be read
        text = f"(could not read the store: {exc})"
    if item.config.getoption("devsentry_keep"):
        text += f"\n\nstore kept: {server.store_path}\n{_store_commands(server.store_path)}"
    else:
        text += "\n\n(run with --devsentry-keep to keep this store for inspection)"
    report.sections.append(("devsentry", text))
    return report


@pytest.fixture
def devsentry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevSentry]:
    """A real devsentry server on 127.0.0.1 and an ephemeral port, with a fresh store.

    `.dsn` and `.spotlight_url` point SDKs at it; `.events`, `.issues`, `.envelopes`,
    `.items()` show what arrived; `.wait_for()`, `.assert_error()`, `.assert_message()`,
    `.assert_no_errors()` and `.assert_snapshot()` check it; `.replay()` feeds fixture files
    in; `.clear()` forgets. The store is removed after the test unless it failed under
    `--devsentry-keep`.
    """
    directory = tmp_path_factory.mktemp("devsentry")
    server = DevSentry(directory / "store.db")
    path = Path(str(request.node.path))
    server._snapshots = _Snapshots(
        directory=path.parent / "__snapshots__" / path.stem,
        stem=request.node.name,
        update=bool(request.config.getoption("devsentry_update_snapshots")),
        rootdir=request.config.rootpath,
    )
    server.start()
    request.node.stash[_fixture_key] = server
    try:
        yield server
    finally:
        server.stop()
        del request.node.stash[_fixture_key]
        keep = request.config.getoption("devsentry_keep")
        if keep and request.node.stash.get(_failed_key, False):
            request.config.stash.setdefault(_kept_key, []).append(
                (request.node.nodeid, server.store_path)
            )
        else:
            shutil.rmtree(directory, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    kept = config.stash.get(_kept_key, [])
    if not kept:
        return
    terminalreporter.section("devsentry: stores kept for failed tests")
    for nodeid, path in kept:
        terminalreporter.write_line(f"{nodeid}\n  {path}")
        terminalreporter.write_line(f"  devsentry issues --store {path}")


def _is_error(event: Event) -> bool:
    """An error event: one that reports a raised exception, or is at level error or fatal."""
    return bool(raised(event)) or event.level_name in ("error", "fatal")
