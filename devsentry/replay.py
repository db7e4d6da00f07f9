"""Replay `.envelope` files into any DSN, a Spotlight URL, or a store (`devsentry replay`).

A `.envelope` file is the plain wire envelope (reference §6), so replaying is sending it again.
What has to change is only what names the sender and the moment: for a DSN the auth header,
the envelope header's `dsn` and `trace.public_key` (Relay refuses a key that does not match,
reference §1.3, §4.5), and `sent_at`, which Relay uses to correct clock drift. `--refresh`
also gives the events fresh ids and moves their timestamps to now, so one recorded fixture
can be replayed many times and still look new.

Into a store, files go through the same `Pipeline.ingest` as the server (transport
"replay"), so they are checked, grouped and indexed exactly like live traffic.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import glob
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import msgspec

from devsentry import __version__
from devsentry.dsn import Dsn, DsnError
from devsentry.envelope import (
    DEFAULT_MAX_SIZE,
    Envelope,
    EnvelopeError,
    Item,
    decompress,
    header_bytes,
    parse,
    sniff_encoding,
)

__all__ = [
    "Answer",
    "Fixture",
    "ReplayError",
    "Summary",
    "Target",
    "find_files",
    "load",
    "parse_rate",
    "refresh",
    "replay",
    "replay_sync",
    "rewrite",
]

#: `--rate` units, in seconds.
_RATE_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
#: Payload keys holding an event-like id that `--refresh` renews (consistently per run).
_ID_KEYS = frozenset({"event_id", "associated_event_id", "check_in_id"})
#: Payload keys holding a point in time that `--refresh` shifts.
_TIME_KEYS = frozenset(
    {"timestamp", "start_timestamp", "end_timestamp", "started", "replay_start_timestamp"}
)
#: Plausible epoch seconds (2001…2286): numbers outside are counters or milliseconds.
_EPOCH_RANGE = (1e9, 1e10)
_GLOB_CHARS = frozenset("*?[")


class ReplayError(Exception):
    """A replay that cannot start (no files, a bad target or rate); the message says why."""


# -- where to -------------------------------------------------------------------------------


class Target(msgspec.Struct, frozen=True):
    """Where envelopes go: a DSN (with auth), a plain URL (no auth) or a store file."""

    kind: Literal["dsn", "url", "store"]
    url: str = ""  # the URL posted to (dsn, url)
    dsn: Dsn | None = None
    store: Path | None = None
    project: str | None = None  # store only: the project to file envelopes under

    @classmethod
    def parse(cls, text: str) -> Target:
        """A DSN when the URL has a key (`http://key@host/1`), else a URL posted to as is."""
        value = text.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ReplayError(
                f"--to {text!r} is neither a DSN (http://KEY@HOST/PROJECT) nor an http(s) URL"
            )
        if parts.username:
            try:
                dsn = Dsn.parse(value)
            except DsnError as exc:
                raise ReplayError(f"--to: {exc}") from None
            return cls("dsn", url=dsn.envelope_url, dsn=dsn)
        return cls("url", url=value)

    @classmethod
    def for_store(cls, path: Path, project: str | None = None) -> Target:
        return cls("store", store=path, project=project)

    def __str__(self) -> str:
        if self.kind == "store":
            return f"store {self.store}"
        return str(self.dsn) if self.dsn is not None else self.url


# -- what -----------------------------------------------------------------------------------


def find_files(args: Iterable[str | Path]) -> list[Path]:
    """Files named by `args`: files as given, directories' `*.envelope` files (recursively,
    sorted), and glob patterns. Order is kept and duplicates dropped; nothing found raises."""
    found: list[Path] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            matches = sorted(p for p in path.rglob("*.envelope") if p.is_file())
            if not matches:
                raise ReplayError(f"{arg}: no .envelope files in this directory")
        elif path.is_file():
            matches = [path]
        elif _GLOB_CHARS & set(str(arg)):
            # glob.glob, not Path.glob: the pattern may be absolute (`/tmp/run-*/**/*.envelope`).
            found_paths = glob.glob(str(arg), recursive=True)  # noqa: PTH207
            matches = sorted(Path(p) for p in found_paths)
            matches = [p for p in matches if p.is_file()]
            if not matches:
                raise ReplayError(f"{arg}: no files match this pattern")
        else:
            raise ReplayError(f"{arg}: no such file or directory")
        found.extend(matches)
    return list(dict.fromkeys(found))


class Fixture(msgspec.Struct):
    """One file to replay: its envelope, or why it could not be read."""

    path: Path
    envelope: Envelope | None = None
    error: str | None = None


def load(paths: Iterable[Path], *, limit: int = DEFAULT_MAX_SIZE) -> list[Fixture]:
    """Read and parse files; compressed ones (`.envelope.gz`, `.br`, …) are recognised."""
    fixtures = []
    for path in paths:
        try:
            data = path.read_bytes()
            envelope = parse(decompress(data, sniff_encoding(data), limit=limit))
        except (OSError, EnvelopeError) as exc:
            fixtures.append(Fixture(path, error=f"not a valid envelope: {exc}"))
        else:
            fixtures.append(Fixture(path, envelope))
    return fixtures


def parse_rate(text: str) -> float:
    """`--rate`: `20/s`, `300/m`, `5000/h` or a plain number per second → envelopes/second."""
    value = text.strip().lower()
    number, _, unit = value.partition("/")
    try:
        count = float(number)
    except ValueError:
        raise ReplayError(f"--rate {text!r}: expected N/s, N/m or N/h (e.g. 20/s)") from None
    if unit not in ("", *_RATE_UNITS) or count <= 0:
        raise ReplayError(f"--rate {text!r}: expected a positive N/s, N/m or N/h (e.g. 20/s)")
    return count / _RATE_UNITS.get(unit, 1.0)


# -- rewriting ------------------------------------------------------------------------------


def utc_iso(seconds: float) -> str:
    """`sent_at` as SDKs write it: RFC 3339, UTC, milliseconds."""
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rewrite(envelope: Envelope, target: Target, *, now: float | None = None) -> Envelope:
    """The envelope as it must be sent to `target`: `sent_at` set to now, and for a DSN its
    `dsn` header (when there is one) and `trace.public_key` naming the new DSN.

    Items are untouched, so their bytes arrive exactly as recorded.
    """
    changes: dict[str, Any] = {"sent_at": utc_iso(time.time() if now is None else now)}
    if target.dsn is not None:
        if "dsn" in envelope.header:
            changes["dsn"] = str(target.dsn)
        trace = envelope.header.get("trace")
        if isinstance(trace, dict) and "public_key" in trace:
            changes["trace"] = {**trace, "public_key": target.dsn.public_key}
    return envelope.with_header(**changes)


def _client(envelope: Envelope) -> str:
    """`name/version` of the SDK that wrote the envelope, when its header says (JS does)."""
    sdk = envelope.header.get("sdk")
    if isinstance(sdk, dict) and isinstance(sdk.get("name"), str):
        version = sdk.get("version")
        return f"{sdk['name']}/{version}" if isinstance(version, str) else sdk["name"]
    return f"devsentry/{__version__}"


class _Renewer:
    """Fresh ids and shifted times for `--refresh`, consistent over one replay run: the same
    old id always becomes the same new id, so attachments, feedback and user reports keep
    pointing at their (renewed) event."""

    def __init__(self, shift: float) -> None:
        self.shift = shift
        self.ids: dict[str, str] = {}

    def new_id(self, old: str) -> str:
        key = old.replace("-", "").lower()
        if key not in self.ids:
            self.ids[key] = uuid.uuid4().hex
        new = self.ids[key]
        return str(uuid.UUID(new)) if "-" in old else new

    def value(self, key: str | None, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.value(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(None, v) for v in value]
        if key in _ID_KEYS and isinstance(value, str) and value:
            return self.new_id(value)
        if key in _TIME_KEYS and self.shift:
            return _shift_time(value, self.shift)
        return value

    def item(self, item: Item) -> Item:
        if item.is_binary:
            return item
        try:
            payload = msgspec.json.decode(item.payload)
        except msgspec.DecodeError:
            return item
        renewed = msgspec.json.encode(self.value(None, payload))
        if "length" not in item.header:
            return msgspec.structs.replace(item, payload=renewed)
        header = {**item.header, "length": len(renewed)}
        return Item(header=header, payload=renewed, raw_header=header_bytes(header))

    def envelope(self, envelope: Envelope) -> Envelope:
        items = tuple(self.item(item) for item in envelope.items)
        changes: dict[str, Any] = {}
        if isinstance(old := envelope.header.get("event_id"), str) and old:
            changes["event_id"] = self.new_id(old)
        if "sent_at" in envelope.header and self.shift:
            changes["sent_at"] = _shift_time(envelope.header["sent_at"], self.shift)
        renewed = envelope.with_header(**changes) if changes else envelope
        return msgspec.structs.replace(renewed, items=items)


def _seconds(value: Any) -> float | None:
    """A payload time as epoch seconds, or None when it is not one we can shift."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if _EPOCH_RANGE[0] < value < _EPOCH_RANGE[1] else None
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-":
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.timestamp()
    return None


def _shift_time(value: Any, shift: float) -> Any:
    """`value` moved by `shift` seconds, written the way it was (number, or RFC 3339 with the
    same precision and zone style)."""
    seconds = _seconds(value)
    if seconds is None:
        return value
    if not isinstance(value, str):
        return round(seconds + shift, 6)
    moment = dt.datetime.fromtimestamp(seconds + shift, dt.UTC)
    text = moment.isoformat(timespec="microseconds" if "." in value else "seconds")
    if value.endswith(("Z", "z")):
        return text.replace("+00:00", "Z")
    has_zone = "+" in value[19:] or "-" in value[19:]
    return text if has_zone else text.removesuffix("+00:00")


def _newest(value: Any, key: str | None = None) -> float:
    """The latest payload time in a decoded JSON value (0 when there is none)."""
    if isinstance(value, dict):
        return max((_newest(v, k) for k, v in value.items()), default=0.0)
    if isinstance(value, list):
        return max((_newest(v) for v in value), default=0.0)
    if key in _TIME_KEYS:
        return _seconds(value) or 0.0
    return 0.0


def refresh(envelopes: Sequence[Envelope], *, now: float | None = None) -> list[Envelope]:
    """Fresh event ids (header and payloads, consistently) and every timestamp moved by the
    same amount so that the newest is `now`: relative timing between events survives."""
    newest = 0.0
    for envelope in envelopes:
        for item in envelope.items:
            if not item.is_binary:
                with suppress(msgspec.DecodeError):
                    newest = max(newest, _newest(msgspec.json.decode(item.payload)))
    shift = ((time.time() if now is None else now) - newest) if newest else 0.0
    renewer = _Renewer(shift)
    return [renewer.envelope(envelope) for envelope in envelopes]


# -- sending --------------------------------------------------------------------------------


class Answer(msgspec.Struct):
    """What became of one file: the HTTP status (or the pipeline's), or why none came."""

    path: str
    status: int | None  # None: not sent (invalid file) or no answer (connection failed)
    outcome: str  # "200", "400", … or "invalid", "unreachable"
    event_id: str | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Summary(msgspec.Struct):
    """A replay's answers, in the order the files were given."""

    target: str
    answers: list[Answer]

    @property
    def ok(self) -> bool:
        return all(answer.ok for answer in self.answers)

    @property
    def by_outcome(self) -> dict[str, int]:
        """Counts by status, numeric statuses first: `{"200": 12, "400": 1}`."""
        counts: dict[str, int] = {}
        for answer in self.answers:
            counts[answer.outcome] = counts.get(answer.outcome, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (not kv[0].isdigit(), kv[0])))

    def line(self) -> str:
        counts = ", ".join(f"{k}: {v}" for k, v in self.by_outcome.items()) or "nothing sent"
        noun = "envelope" if len(self.answers) == 1 else "envelopes"
        return f"replayed {len(self.answers)} {noun} to {self.target}: {counts}"

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "total": len(self.answers),
            "ok": self.ok,
            "by_status": self.by_outcome,
            "files": [msgspec.structs.asdict(a) for a in self.answers],
        }


class _Sender(Protocol):
    async def send(self, envelope: Envelope) -> tuple[int | None, str, str | None, str | None]:
        """Send one envelope; `(status, outcome, event_id, detail)`."""
        ...


class _HttpSender:
    """POSTs to a DSN's envelope endpoint (with auth) or to a URL as is, over keep-alive."""

    def __init__(self, target: Target, session: Any) -> None:
        self.target = target
        self.session = session

    async def send(self, envelope: Envelope) -> tuple[int | None, str, str | None, str | None]:
        import aiohttp

        envelope = rewrite(envelope, self.target)
        client = _client(envelope)
        headers = {"Content-Type": "application/x-sentry-envelope", "User-Agent": client}
        if self.target.dsn is not None:
            headers["X-Sentry-Auth"] = self.target.dsn.auth_header(client)
        try:
            async with self.session.post(
                self.target.url, data=bytes(envelope), headers=headers
            ) as response:
                status, body = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return None, "unreachable", None, f"{type(exc).__name__}: {exc}".rstrip(": ")
        try:
            answer = msgspec.json.decode(body)
        except msgspec.DecodeError:
            answer = None
        if not isinstance(answer, dict):
            text = body.decode("utf-8", "replace").strip()[:200]
            return status, str(status), None, text or None
        event_id, detail = answer.get("id"), answer.get("detail")
        return (
            status,
            str(status),
            event_id if isinstance(event_id, str) else None,
            detail if isinstance(detail, str) else None,
        )


class _StoreSender:
    """Hands envelopes to the pipeline, exactly as the server would (transport "replay")."""

    def __init__(self, target: Target, pipeline: Any) -> None:
        self.target = target
        self.pipeline = pipeline

    async def send(self, envelope: Envelope) -> tuple[int | None, str, str | None, str | None]:
        from devsentry.pipeline import Refused, Request

        # Without a DSN in its header an envelope names no project: file it under 1, the
        # project of `devsentry serve`'s default DSN.
        project = self.target.project or (None if envelope.dsn else "1")
        request = Request(
            body=bytes(envelope),
            transport="replay",
            project=project,
            headers={"User-Agent": _client(envelope)},
        )
        try:
            event_id = await self.pipeline.ingest(request)
        except Refused as exc:
            return exc.status, str(exc.status), None, exc.detail
        return 200, "200", event_id, None


@asynccontextmanager
async def _sender(target: Target, concurrency: int) -> AsyncIterator[_Sender]:
    if target.kind == "store":
        from devsentry.pipeline import Pipeline
        from devsentry.writer import StoreWriter

        assert target.store is not None
        writer = StoreWriter(target.store)
        pipeline = Pipeline(writer)
        try:
            await pipeline.start()
            try:
                yield _StoreSender(target, pipeline)
            finally:
                await pipeline.stop()  # indexes everything before the store closes
        finally:
            writer.close()
        return
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield _HttpSender(target, session)


async def replay(
    fixtures: Sequence[Fixture],
    target: Target,
    *,
    refresh_ids: bool = False,
    concurrency: int = 1,
    rate: float | None = None,
    on_answer: Callable[[Answer], None] | None = None,
) -> Summary:
    """Send every valid fixture to `target`; invalid ones are answered "invalid", unsent.

    `concurrency` workers take files in order (1, the default, keeps the order exactly);
    `rate` caps the envelopes started per second across all workers.
    """
    valid = [f for f in fixtures if f.envelope is not None]
    envelopes = [f.envelope for f in valid if f.envelope is not None]
    if refresh_ids:
        envelopes = refresh(envelopes)
    answers: dict[int, Answer] = {}
    for index, fixture in enumerate(fixtures):
        if fixture.envelope is None:
            answers[index] = Answer(str(fixture.path), None, "invalid", detail=fixture.error)
            if on_answer is not None:
                on_answer(answers[index])
    todo = [i for i, f in enumerate(fixtures) if f.envelope is not None]
    queue = list(zip(todo, envelopes, strict=True))
    loop = asyncio.get_running_loop()
    next_slot = loop.time()

    async def worker(sender: _Sender) -> None:
        nonlocal next_slot
        while queue:
            index, envelope = queue.pop(0)
            if rate is not None:  # each start takes the next free slot, 1/rate apart
                slot = max(next_slot, loop.time())
                next_slot = slot + 1 / rate
                await asyncio.sleep(slot - loop.time())
            status, outcome, event_id, detail = await sender.send(envelope)
            answers[index] = Answer(str(fixtures[index].path), status, outcome, event_id, detail)
            if on_answer is not None:
                on_answer(answers[index])

    async with _sender(target, max(1, concurrency)) as sender:
        await asyncio.gather(*(worker(sender) for _ in range(max(1, min(concurrency, len(queue))))))
    return Summary(str(target), [answers[i] for i in range(len(fixtures))])


def replay_sync(
    paths: Iterable[str | Path],
    target: Target,
    *,
    refresh_ids: bool = False,
    concurrency: int = 1,
    rate: float | None = None,
) -> Summary:
    """`replay` for synchronous callers (the pytest fixture), even inside a running loop."""
    fixtures = load(find_files(paths))

    def run() -> Summary:
        return asyncio.run(
            replay(fixtures, target, refresh_ids=refresh_ids, concurrency=concurrency, rate=rate)
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    # Called from async test code: the loop in this thread is busy, so use a thread of our own.
    result: list[Summary] = []
    errors: list[BaseException] = []

    def target_thread() -> None:
        try:
            result.append(run())
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    thread = threading.Thread(target=target_thread, name="devsentry-replay")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]
