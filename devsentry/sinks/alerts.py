"""Alerts on new issues and regressions, off the ingest path: desktop, command, webhook.

The indexer tells every sink what it stored; this one picks out the events that opened an
issue (`new`), brought a resolved one back (`regressed`) or ended an ignore (`unignored`) and
queues them (`publish` only appends, to a bounded queue). A task of its own gathers what comes
close together — a burst ends once `quiet` seconds pass without another, or after `max_wait`,
and deliveries are at least `min_interval` apart — and hands it to each target
(`alert_targets.py`): up to `SUMMARY_OVER` alerts one by one, more as one summary, so a
thousand new issues in a flood are one alert. Each target is tried again briefly (`retries`,
each try bounded by `timeout`); one that keeps failing is said once on the console and the
next batches go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from devsentry.render.text import clean
from devsentry.store.ids import short_id
from devsentry.store.records import IssueRecord
from devsentry.tasks import call_on, supervise

if TYPE_CHECKING:
    from devsentry.process.indexer import Captured

__all__ = [
    "ALERT_KINDS",
    "SUMMARY_OVER",
    "Alert",
    "AlertPolicy",
    "AlertSink",
    "Batch",
    "Target",
    "TargetFailed",
]

log = logging.getLogger(__name__)

#: What can be alerted on: an issue's first event, a resolved issue's comeback, an ignore
#: that ran out.
ALERT_KINDS: tuple[str, ...] = ("new", "regressed", "unignored")
#: A batch of more alerts than this goes out as one summary.
SUMMARY_OVER = 3
_SUMMARY_ISSUES = 20  # the issues a summary names (the newest)


class AlertPolicy(msgspec.Struct, kw_only=True):
    """What to alert on and where: the options of `serve`, `intercept` and `run`."""

    kinds: frozenset[str] = frozenset(ALERT_KINDS)
    notify: bool = False  # a desktop notification (or the terminal's)
    command: str | None = None  # --on-issue CMD
    webhook: str | None = None  # --webhook URL
    quiet: float = 0.5  # seconds without a new alert that end a burst
    max_wait: float = 5.0  # … and the longest a burst is gathered
    min_interval: float = 2.0  # seconds between deliveries: a steady trickle is batched too
    timeout: float = 10.0  # seconds per try of a target
    retries: int = 2  # tries after the first
    max_pending: int = 10_000  # alerts queued; beyond that only counted

    @property
    def targets(self) -> bool:
        return self.notify or self.command is not None or self.webhook is not None


class Alert(msgspec.Struct):
    """One event worth an alert, as the indexer reported it."""

    kind: str  # new, regressed, unignored
    issue_id: int
    received: float
    release: str | None = None  # the event's
    since: float | None = None  # when it had been resolved or ignored
    resolved_in: str | None = None  # the release it had been resolved in


class Batch(msgspec.Struct):
    """What one delivery carries: the alerts (the newest last) with their issues as stored
    now, and how many of each kind there were in all (more than `alerts` after an overflow)."""

    alerts: list[Alert]
    issues: dict[int, IssueRecord]
    counts: dict[str, int]
    store: Path

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class TargetFailed(Exception):
    """A target could not deliver; the message says why, in a line."""


class Target(Protocol):
    """Where alerts go. `send` delivers one alert (`alert` set) or a summary (None)."""

    name: str  # the option, for messages: --notify, --on-issue, --webhook
    retry: bool  # whether a failed send is tried again

    async def start(self) -> str | None: ...  # a line worth saying on the console, if any

    async def send(self, batch: Batch, alert: Alert | None) -> None: ...

    async def stop(self) -> None: ...


class AlertSink:
    """Queues alerts as the indexer reports them and delivers them to `targets`."""

    def __init__(
        self,
        policy: AlertPolicy,
        store: Path,
        *,
        say: Callable[[str], None] | None = None,
        terminal: Callable[[str], None] | None = None,
        targets: Sequence[Target] | None = None,
    ) -> None:
        self.policy = policy
        self.store = store
        self._say = say
        if targets is None:
            from devsentry.sinks.alert_targets import make_targets

            targets = make_targets(policy, terminal)
        self.targets = list(targets)
        self._pending: deque[Alert] = deque()
        self._overflow: Counter[str] = Counter()
        self._wakeup: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._failing: set[str] = set()  # targets whose failure was said
        self._stopping = False
        self._last = float("-inf")  # when the last delivery started (loop time)

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="devsentry-alerts")
        for target in self.targets:
            try:
                line = await asyncio.wait_for(target.start(), self.policy.timeout)
            except Exception as exc:  # the target reports failures when it sends
                line = f"{target.name}: {exc or type(exc).__name__}"
            if line:
                self.say(line)
        self._task = supervise(self._run, name="devsentry alerts")

    async def stop(self, grace: float = 15.0) -> None:
        """Deliver what is queued (within `grace`), then stop the targets."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping = True
            self._wake()
            try:
                await asyncio.wait_for(asyncio.shield(task), grace)
            except TimeoutError:
                log.warning("alerts still queued after %.0fs were dropped", grace)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for target in self.targets:
            with contextlib.suppress(Exception):
                await target.stop()
        if self._reader is not None:
            self._reader.shutdown(wait=False)
            self._reader = None

    def say(self, line: str) -> None:
        if self._say is not None:
            self._say(line)
        else:
            log.warning("%s", line)

    # -- the ingest side --------------------------------------------------------------------

    def publish(self, captured: Captured) -> None:
        """Pick out what is worth an alert; never blocks."""
        kinds = self.policy.kinds
        found = False
        for index, stored in enumerate(captured.stored.items):
            if stored.issue_id is None:
                continue
            back = stored.came_back
            kind = back.kind if back is not None else ("new" if stored.issue_count == 1 else "")
            if kind not in kinds:
                continue
            record = captured.records[index] if index < len(captured.records) else None
            alert = Alert(
                kind,
                stored.issue_id,
                captured.received,
                record.release if record is not None else None,
                back.since if back is not None else None,
                back.release if back is not None and back.kind == "regressed" else None,
            )
            if len(self._pending) < self.policy.max_pending:
                self._pending.append(alert)
            else:
                self._overflow[kind] += 1
            found = True
        if found:
            self._wake()

    def _wake(self) -> None:
        if self._wakeup is not None:
            call_on(self._loop, self._wakeup.set)

    # -- the delivering side ----------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            if not self._pending and not self._overflow:
                if self._stopping:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await self._gather()
            await self._pace()
            alerts = list(self._pending)
            self._pending.clear()
            counts = Counter(a.kind for a in alerts) + self._overflow
            self._overflow = Counter()
            await self._deliver(alerts, dict(counts))

    async def _pace(self) -> None:
        """At most one delivery per `min_interval`: what arrives meanwhile joins the batch."""
        loop = asyncio.get_running_loop()
        wait = self._last + self.policy.min_interval - loop.time()
        if wait > 0 and not self._stopping:
            assert self._wakeup is not None
            deadline = loop.time() + wait
            while not self._stopping and (left := deadline - loop.time()) > 0:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), left)
        self._last = loop.time()

    async def _gather(self) -> None:
        """Wait for a burst to end: `quiet` seconds without another alert, at most
        `max_wait` (no wait when stopping)."""
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.policy.max_wait
        while not self._stopping:
            self._wakeup.clear()
            left = deadline - loop.time()
            if left <= 0:
                return
            try:
                await asyncio.wait_for(self._wakeup.wait(), min(self.policy.quiet, left))
            except TimeoutError:
                return  # quiet: the burst is over

    async def _deliver(self, alerts: list[Alert], counts: dict[str, int]) -> None:
        loop = asyncio.get_running_loop()
        ids = list(dict.fromkeys(a.issue_id for a in reversed(alerts)))[:_SUMMARY_ISSUES]
        try:
            issues = await loop.run_in_executor(self._reader, self._read, ids)
        except Exception as exc:  # the store is busy or gone: alert with what is known
            log.warning("alerts: could not read the issues: %r", exc)
            issues = {}
        batch = Batch(alerts, issues, counts, self.store)
        singles: list[Alert | None] = (
            [a for a in alerts if a.issue_id in issues] if batch.total <= SUMMARY_OVER else [None]
        )
        if not singles:
            return
        await asyncio.gather(*(self._send(t, batch, singles) for t in self.targets))

    def _read(self, ids: list[int]) -> dict[int, IssueRecord]:
        from devsentry.store.store import Store

        with Store(self.store, readonly=True) as store:
            return {i: issue for i in ids if (issue := store.issue(i)) is not None}

    async def _send(self, target: Target, batch: Batch, singles: list[Alert | None]) -> None:
        for alert in singles:
            error = await self._try(target, batch, alert)
            if error is None:
                self._failing.discard(target.name)
            elif target.name not in self._failing:
                self._failing.add(target.name)
                self.say(f"alert {target.name} failed: {error} (said once; later alerts still try)")

    async def _try(self, target: Target, batch: Batch, alert: Alert | None) -> str | None:
        """None once `target` delivered; else why its last try failed."""
        error = "?"
        tries = 1 + (self.policy.retries if target.retry else 0)
        for attempt in range(tries):
            if attempt:
                await asyncio.sleep(0.5 * 2 ** (attempt - 1))
            try:
                await asyncio.wait_for(target.send(batch, alert), self.policy.timeout)
                return None
            except TimeoutError:
                error = f"no answer within {self.policy.timeout:g}s"
            except TargetFailed as exc:
                error = str(exc)
            except Exception as exc:  # a bug or an unexpected failure: that alert's problem
                error = repr(exc)
        return clean(error, single_line=True, limit=300)


# -- the words of an alert (every target says the same) ------------------------------------------


def headline(alert: Alert, issue: IssueRecord | None) -> str:
    """`New issue DS-4: KeyError: 'sku'`, `Regressed DS-4: …`, `Back from ignored DS-4: …`."""
    what = {"new": "New issue", "regressed": "Regressed", "unignored": "Unignored"}[alert.kind]
    title = clean(issue.title, single_line=True, limit=200) if issue is not None else "?"
    return f"{what} {short_id(alert.issue_id)}: {title}"


def detail(alert: Alert, issue: IssueRecord | None, now: float | None = None) -> str:
    """The line under the headline: culprit, what happened before, release, project."""
    from devsentry.render.lists import ago

    now = time.time() if now is None else now
    parts: list[str] = []
    if issue is not None and issue.culprit:
        parts.append(clean(issue.culprit, single_line=True, limit=120))
    if alert.kind == "regressed" and alert.since is not None:
        parts.append(f"resolved {ago(alert.since, now)}")
    elif alert.kind == "unignored" and alert.since is not None:
        parts.append(f"ignored {ago(alert.since, now)}, the ignore ran out")
    if alert.release:
        parts.append(clean(alert.release, single_line=True, limit=60))
    if issue is not None:
        parts.append(f"project {clean(issue.project, single_line=True, limit=40)}")
    return " · ".join(parts)


def summary_headline(batch: Batch) -> str:
    """`devsentry: 1,000 new issues, 2 regressed`."""
    words = {"new": "new issue", "regressed": "regressed", "unignored": "unignored"}
    parts = []
    for kind in ALERT_KINDS:
        n = batch.counts.get(kind, 0)
        if n:
            noun = words[kind] + ("s" if kind == "new" and n != 1 else "")
            parts.append(f"{n:,} {noun}")
    return "devsentry: " + ", ".join(parts)


def summary_detail(batch: Batch) -> str:
    """The newest issues of a summary, and how to see them all."""
    named = [short_id(i) for i in list(batch.issues)[:5]]
    more = batch.total - len(named)
    text = ", ".join(named) + (f" and {more:,} more" if more > 0 else "")
    return f"{text} — devsentry issues"


def alert_env(batch: Batch, alert: Alert | None) -> dict[str, str]:
    """The variables `--on-issue` commands get (values cleaned: no control characters)."""
    from devsentry.store.workflow import effective

    env = {
        "DEVSENTRY_ALERT": alert.kind if alert is not None else "summary",
        "DEVSENTRY_ALERT_COUNT": str(batch.total if alert is None else 1),
        "DEVSENTRY_STORE": str(batch.store),
    }
    issue = batch.issues.get(alert.issue_id) if alert is not None else None
    if alert is not None:
        env["DEVSENTRY_ISSUE_ID"] = short_id(alert.issue_id)
        env["DEVSENTRY_RELEASE"] = clean(alert.release or "", single_line=True, limit=200)
    if issue is not None:
        status, substatus = effective(issue)
        fields: dict[str, Any] = {
            "TITLE": issue.title,
            "CULPRIT": issue.culprit or "",
            "LEVEL": issue.level or "",
            "COUNT": issue.count,
            "STATUS": status,
            "SUBSTATUS": substatus or "",
            "PROJECT": issue.project,
        }
        for key, value in fields.items():
            env[f"DEVSENTRY_ISSUE_{key}"] = clean(value, single_line=True, limit=1000)
    return env


def alert_json(batch: Batch, alert: Alert | None) -> dict[str, Any]:
    """`{"alert", "issue"}` (the issue as `issues --json` prints it); a summary has
    `"issue": null`, `counts` and the newest `issues`."""
    from devsentry.browse.json import issue_json

    if alert is not None:
        issue = batch.issues.get(alert.issue_id)
        return {"alert": alert.kind, "issue": issue_json(issue) if issue is not None else None}
    return {
        "alert": "summary",
        "issue": None,
        "counts": batch.counts,
        "issues": [issue_json(i) for i in batch.issues.values()],
    }
