"""Performance, derived once per transaction at index time: its timing row (`timing`) and the
problems its spans show (`detect`), grouped into issues of their own as Sentry does.

The detectors follow Sentry's (`src/sentry/utils/performance_issues/detectors/`:
`n_plus_one_db_span_detector.py`, `slow_db_query_detector.py`, `consecutive_http_detector.py`,
default thresholds in `src/sentry/options/defaults.py`, read by `performance_detection.py`).
Their rules are kept; where a threshold assumes production latency, devsentry uses a local one,
because a query against a local SQLite file takes microseconds and a call to a service on the
same machine a few milliseconds:

- **N+1 queries**: Sentry wants at least 5 repeats of one statement (`n_plus_one_db.count_
  threshold`) after a different "source" query under the same parent span, taking 50 ms or more
  in all (`duration_threshold`). devsentry keeps the 5 repeats and drops the time floor: locally
  the loop is the bug, whatever it costs on a laptop.
- **Slow DB queries**: Sentry flags a `SELECT` span over 1,000 ms (`slow_db_query.duration_
  threshold`); devsentry flags one over 100 ms, already a lot for a development database.
- **Consecutive HTTP calls**: Sentry wants 3 or more sequential `http.client` spans (no overlap,
  under 500 ms apart), each over 500 ms, that would save 2,000 ms if run in parallel.
  devsentry keeps the count and the gap, and wants each call over 20 ms and 100 ms saved.

Fingerprints are Sentry's: the problem type with a SHA-1 of the parent op, the parent's and
the source's statement hash and the repeating statement's hash (N+1); the statement hash (slow
query); the called URL paths (consecutive HTTP). Statements are hashed after the normalization
Relay applies to span descriptions (`relay-event-normalization/src/normalize/span/
description/sql/`): literals and placeholders become `%s`, whitespace is collapsed.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Sequence

import msgspec

from devsentry.model import Span, SpanContainer, SpanV2, Transaction
from devsentry.store.records import NewIssue, NewTransaction, storable

__all__ = [
    "CONSECUTIVE_HTTP",
    "N_PLUS_ONE",
    "SLOW_DB",
    "VITAL_THRESHOLDS",
    "Problem",
    "container_timing",
    "detect",
    "detect_segment",
    "grade_vital",
    "normalize_statement",
    "problem_issue",
    "timing",
]

#: Sentry's group types (`src/sentry/issues/grouptype.py`), their titles and local thresholds.
N_PLUS_ONE = "performance_n_plus_one_db_queries"
SLOW_DB = "performance_slow_db_query"
CONSECUTIVE_HTTP = "performance_consecutive_http"
TITLES = {
    N_PLUS_ONE: "N+1 Query",
    SLOW_DB: "Slow DB Query",
    CONSECUTIVE_HTTP: "Consecutive HTTP",
}
N_PLUS_ONE_COUNT = 5  # Sentry's n_plus_one_db.count_threshold
N_PLUS_ONE_MIN_MS = 0.0  # Sentry: 50 ms in all; locally the loop is the bug
SLOW_DB_MS = 100.0  # Sentry: 1,000 ms
HTTP_COUNT = 3  # Sentry's consecutive_http.consecutive_count_threshold
HTTP_SPAN_MS = 20.0  # Sentry: 500 ms each
HTTP_MAX_GAP_MS = 500.0  # Sentry's consecutive_http.max_duration_between_spans
HTTP_MIN_SAVED_MS = 100.0  # Sentry: 2,000 ms
_MAX_SPANS = 5_000  # spans a detector walks (Relay keeps at most 1,000 per transaction anyway)
_VITALS = ("lcp", "fcp", "cls", "inp", "ttfb")
_HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class Problem(msgspec.Struct, kw_only=True):
    """One performance problem found in a transaction, with Sentry's evidence."""

    type: str
    fingerprint: str
    statement: str  # the repeated (or slow) statement, or the first call
    parent_op: str | None = None
    parent: str | None = None  # the parent span's description (or the transaction's name)
    count: int = 1  # how many times it ran
    duration_ms: float = 0.0  # their time in all
    span_ids: list[str] = msgspec.field(default_factory=list)


def timing(tx: Transaction) -> NewTransaction | None:
    """The transaction's row for `perf` and `traces`; None without a start and an end."""
    start, end = tx.start_timestamp_seconds, tx.timestamp_seconds
    if start is None or end is None:
        return None
    trace = tx.trace_context
    vitals: dict[str, float] = {}
    for name, measurement in (tx.measurements or {}).items():
        if name in _VITALS and isinstance(measurement.value, int | float):
            vitals[name] = float(measurement.value)
    spans = tx.span_list
    return _bounded(
        NewTransaction(
            name=storable(tx.transaction or "<unnamed transaction>", 500) or "",
            start=start,
            duration_ms=max(end - start, 0.0) * 1000,
            trace_id=trace.trace_id if trace else None,
            span_id=trace.span_id if trace else None,
            parent_span_id=trace.parent_span_id if trace else None,
            op=trace.op if trace else None,
            status=trace.status if trace else None,
            vitals=vitals,
            ops=_op_times((s.op, s.start_timestamp_seconds, s.timestamp_seconds) for s in spans),
            spans=len(spans),
        )
    )


def container_timing(container: SpanContainer) -> NewTransaction | None:
    """Streamed (v2) spans, as browser SDKs send them: the segment's row (a pageload is one,
    its Web Vitals read from the `browser.web_vital.<name>.value` attributes of its spans),
    or, for a later container holding only vital spans (INP, CLS), a row with no name that
    adds its vitals to the segment's (matched by trace and `sentry.segment.id`)."""
    spans = container.spans[:_MAX_SPANS]
    segment = container.segment
    vitals: dict[str, float] = {}
    segment_id: str | None = None
    for span in spans:
        attrs = span.attrs
        for name in _VITALS:
            value = attrs.get(f"browser.web_vital.{name}.value")
            if isinstance(value, int | float) and not isinstance(value, bool):
                vitals.setdefault(name, float(value))
        if segment_id is None and isinstance(attrs.get("sentry.segment.id"), str):
            segment_id = attrs["sentry.segment.id"]
    if segment is None:
        if not vitals or segment_id is None or not spans:
            return None
        return _bounded(
            NewTransaction(
                name="",
                start=0.0,
                duration_ms=0.0,
                trace_id=spans[0].trace_id,
                span_id=segment_id,
                vitals=vitals,
            )
        )
    start, end = segment.start_timestamp_seconds, segment.end_timestamp_seconds
    if start is None or end is None:
        return None
    attrs = segment.attrs
    name = segment.name or "<unnamed segment>"
    if attrs.get("sentry.segment.name.source") == "url" and isinstance(attrs.get("url.path"), str):
        name = attrs["url.path"]  # "Pageload" named by its URL: the page is what tells them apart
    children = [s for s in spans if s is not segment]
    return _bounded(
        NewTransaction(
            name=storable(name, 500) or "",
            start=start,
            duration_ms=max(end - start, 0.0) * 1000,
            trace_id=segment.trace_id,
            span_id=segment.span_id,
            parent_span_id=segment.parent_span_id,
            op=segment.op,
            status=segment.status,
            vitals=vitals,
            ops=_op_times(
                (s.op, s.start_timestamp_seconds, s.end_timestamp_seconds) for s in children
            ),
            spans=len(children),
        )
    )


def _bounded(row: NewTransaction) -> NewTransaction:
    """The row as the index can hold it: ids, op and status cut short, valid UTF-8."""
    for name in ("trace_id", "span_id", "parent_span_id", "op", "status"):
        setattr(row, name, storable(getattr(row, name), 200))
    row.ops = [(storable(op, 100) or "", took) for op, took in row.ops]
    return row


def _op_times(
    spans: Iterable[tuple[str | None, float | None, float | None]],
) -> list[tuple[str, float]]:
    """Milliseconds covered by each span op (overlapping spans of one op counted once), the
    way Relay's span-ops breakdown counts them (`relay-event-normalization/src/normalize/
    breakdowns.rs`)."""
    by_op: dict[str, list[tuple[float, float]]] = {}
    for op, start, end in itertools.islice(spans, _MAX_SPANS):
        if op and start is not None and end is not None and end >= start:
            by_op.setdefault(op[:100], []).append((start, end))
    out: list[tuple[str, float]] = []
    for op, intervals in by_op.items():
        intervals.sort()
        total, (lo, hi) = 0.0, intervals[0]
        for start, end in intervals[1:]:
            if start > hi:
                total += hi - lo
                lo, hi = start, end
            else:
                hi = max(hi, end)
        out.append((op, (total + hi - lo) * 1000))
    return out


_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?\b")
_PLACEHOLDER = re.compile(r"\?|%s|%\(\w+\)s|:\w+|\$\d+")
_IN_LIST = re.compile(r"\(\s*%s(?:\s*,\s*%s)*\s*\)")
_SPACE = re.compile(r"\s+")


def normalize_statement(description: str) -> str:
    """A SQL statement with its values scrubbed, so the same query with other arguments
    hashes alike (as Relay scrubs span descriptions)."""
    text = _STRING.sub("%s", description[:2000])
    text = _PLACEHOLDER.sub("%s", text)
    text = _NUMBER.sub("%s", text)
    text = _IN_LIST.sub("(%s)", text)
    return _SPACE.sub(" ", text).strip()


def _hash(text: str | None) -> str:
    return hashlib.md5((text or "").encode("utf-8", "replace")).hexdigest()[:16]


def _ms(span: Span) -> float:
    took = span.duration
    return took * 1000 if took is not None else 0.0


def _is_db(op: str | None) -> bool:
    return bool(op) and op.startswith("db") and not op.startswith("db.redis")  # type: ignore[union-attr]


def detect(tx: Transaction) -> list[Problem]:
    """The performance problems of one transaction, at most one per fingerprint."""
    trace = tx.trace_context
    root = (trace.span_id, trace.op, tx.transaction) if trace else (None, None, tx.transaction)
    return _detect(tx.span_list, *root)


def detect_segment(container: SpanContainer) -> list[Problem]:
    """The same for streamed (v2) spans whose segment is in the container (as Node's and
    the browser's SDKs send a request): each span read as the v1 span Sentry's detectors
    walk, its statement from `db.query.text` (or `db.statement`), a call as `METHOD url`."""
    segment = container.segment
    if segment is None:
        return []
    spans = [_as_v1(s) for s in container.spans[:_MAX_SPANS] if s is not segment]
    return _detect(spans, segment.span_id, segment.op, segment.name)


def _as_v1(span: SpanV2) -> Span:
    attrs = span.attrs
    description = span.name
    for key in ("db.query.text", "db.statement"):
        if isinstance(attrs.get(key), str):
            description = attrs[key]
            break
    method, url = attrs.get("http.request.method"), attrs.get("url.full")
    if isinstance(method, str) and isinstance(url, str):
        description = f"{method} {url}"
    return Span(
        span_id=span.span_id,
        parent_span_id=span.parent_span_id,
        op=span.op,
        description=description,
        start_timestamp=span.start_timestamp,
        timestamp=span.end_timestamp,
    )


def _detect(
    all_spans: Sequence[Span], root_id: str | None, root_op: str | None, name: str | None
) -> list[Problem]:
    spans = [s for s in all_spans[:_MAX_SPANS] if s.span_id]
    if not spans:
        return []
    problems: dict[str, Problem] = {}
    found = (*_n_plus_one(spans, root_id, root_op, name), *_slow_db(spans))
    for problem in (*found, *_consecutive_http(spans)):
        problems.setdefault(problem.fingerprint, problem)
    return list(problems.values())


def _n_plus_one(
    spans: list[Span], root_id: str | None, root_op: str | None, name: str | None
) -> list[Problem]:
    """A db span (the source) followed by N spans of one other statement under the same
    parent; a span of another kind breaks the run (Sentry's `NPlusOneDBSpanDetector`)."""
    parents: dict[str, tuple[str | None, str | None]] = {}
    if root_id:
        parents[root_id] = (root_op, name)
    found: list[Problem] = []
    source: Span | None = None
    repeats: list[Span] = []
    hashes: dict[int, str] = {}

    def statement_hash(span: Span) -> str:
        key = id(span)
        if key not in hashes:
            hashes[key] = _hash(normalize_statement(span.description or ""))
        return hashes[key]

    def finish() -> None:
        if source is None or len(repeats) < N_PLUS_ONE_COUNT:
            return
        if sum(map(_ms, repeats)) < N_PLUS_ONE_MIN_MS:
            return
        statement = repeats[0].description or ""
        if " " not in statement.strip() or statement.endswith("..."):
            return  # Sentry: not a parameterized query, or cut off
        parent_op, parent = parents.get(source.parent_span_id or "", (None, None))
        seed = f"{parent_op}{_hash(parent)}{statement_hash(source)}{statement_hash(repeats[0])}"
        found.append(
            Problem(
                type=N_PLUS_ONE,
                fingerprint=f"1-{N_PLUS_ONE}-{hashlib.sha1(seed.encode()).hexdigest()}",
                statement=statement,
                parent_op=parent_op,
                parent=parent,
                count=len(repeats),
                duration_ms=sum(map(_ms, repeats)),
                span_ids=[s.span_id for s in repeats if s.span_id],
            )
        )

    def continues(span: Span) -> bool:
        if source is None or span.parent_span_id != source.parent_span_id:
            return False
        if statement_hash(span) == statement_hash(source):
            return False
        return not repeats or statement_hash(span) == statement_hash(repeats[0])

    for span in sorted(spans, key=lambda s: s.start_timestamp_seconds or 0.0):
        if not _is_db(span.op):
            finish()
            source, repeats = None, []
            if span.parent_span_id and span.span_id:
                parents[span.span_id] = (span.op, span.description)
            continue
        if source is None:
            source = span if span.parent_span_id in parents else None
        elif continues(span):
            repeats.append(span)
        else:
            previous = repeats[-1] if repeats else source
            finish()
            source, repeats = (previous if previous.parent_span_id in parents else None), []
            if continues(span):
                repeats.append(span)
            else:
                source = span if span.parent_span_id in parents else None
    finish()
    return found


def _slow_db(spans: list[Span]) -> list[Problem]:
    """A `SELECT` db span over the local threshold (Sentry's `SlowDBQueryDetector`)."""
    found: list[Problem] = []
    for span in spans:
        statement = (span.description or "").strip()
        if not _is_db(span.op) or statement[:6].upper() != "SELECT" or statement.endswith("..."):
            continue
        took = _ms(span)
        if took >= SLOW_DB_MS:
            digest = hashlib.sha1(_hash(normalize_statement(statement)).encode()).hexdigest()
            found.append(
                Problem(
                    type=SLOW_DB,
                    fingerprint=f"1-{SLOW_DB}-{digest}",
                    statement=statement,
                    parent_op=span.op,
                    count=1,
                    duration_ms=took,
                    span_ids=[span.span_id] if span.span_id else [],
                )
            )
    return found


def _url_path(description: str) -> str:
    """`GET http://host:8000/items/12?x=1` → `/items/%s` (Sentry's `parameterize_url`)."""
    url = description.split(" ", 1)[-1].split("?", 1)[0]
    path = url.split("://", 1)[-1].partition("/")[2]
    return "/" + "/".join("%s" if part.isdigit() else part for part in path.split("/"))


def _consecutive_http(spans: list[Span]) -> list[Problem]:
    """Sequential (non-overlapping) outgoing HTTP calls that could have run in parallel
    (Sentry's `ConsecutiveHTTPSpanDetector`)."""
    calls = [
        s
        for s in spans
        if (s.op or "").startswith("http.client")
        and (s.description or "").strip().upper().startswith(_HTTP_METHODS)
        and s.start_timestamp_seconds is not None
        and s.timestamp_seconds is not None
    ]
    calls.sort(key=lambda s: s.start_timestamp_seconds or 0.0)
    found: list[Problem] = []
    run: list[Span] = []

    def finish() -> None:
        if len(run) < HTTP_COUNT or not all(_ms(s) > HTTP_SPAN_MS for s in run):
            return
        gaps = [
            ((b.start_timestamp_seconds or 0.0) - (a.timestamp_seconds or 0.0)) * 1000
            for a, b in itertools.pairwise(run)
        ]
        took = [_ms(s) for s in run]
        if any(gap >= HTTP_MAX_GAP_MS for gap in gaps) or sum(took) - max(took) < HTTP_MIN_SAVED_MS:
            return
        paths = "".join(_url_path(s.description or "") for s in run)
        found.append(
            Problem(
                type=CONSECUTIVE_HTTP,
                fingerprint=f"1-{CONSECUTIVE_HTTP}-{hashlib.sha1(paths.encode()).hexdigest()}",
                statement=run[0].description or "",
                parent_op="http.client",
                count=len(run),
                duration_ms=sum(took),
                span_ids=[s.span_id for s in run if s.span_id],
            )
        )

    for span in calls:
        if run and (run[-1].timestamp_seconds or 0.0) > (span.start_timestamp_seconds or 0.0):
            finish()  # it overlaps the last call: they already run in parallel
            run = []
        run.append(span)
    finish()
    return found


_encode = msgspec.json.Encoder().encode
_EVIDENCE_TEXT = 2000  # characters of a statement or span name kept as evidence


def problem_issue(problem: Problem, name: str | None, platform: str | None) -> NewIssue:
    """The issue a problem groups into: titled as Sentry titles it, the transaction (`name`)
    as its culprit, the statement as its value and the evidence kept beside."""
    evidence = msgspec.structs.asdict(problem)
    evidence["statement"] = storable(problem.statement, _EVIDENCE_TEXT)
    evidence["parent"] = storable(problem.parent, _EVIDENCE_TEXT)
    evidence["span_ids"] = problem.span_ids[:50]
    evidence["transaction"] = storable(name, _EVIDENCE_TEXT)
    return NewIssue(
        hash=hashlib.md5(problem.fingerprint.encode()).hexdigest(),
        title=TITLES[problem.type],
        culprit=name,
        level="warning",
        type=problem.type,
        value=problem.statement[:1024],
        platform=platform,
        basis="performance",
        category="performance",
        evidence=_encode(evidence).decode(),
    )


#: Web Vitals graded as Sentry grades them: (meh from, poor from). LCP, FCP and CLS are Sentry's
#: `webVitalMeh` / `webVitalPoor` (`static/app/views/performance/vitalDetail/utils.tsx`);
#: INP and TTFB are web.dev's (https://web.dev/articles/inp, https://web.dev/articles/ttfb),
#: which Sentry's Web Vitals module uses too. Durations in ms, CLS unitless.
VITAL_THRESHOLDS: dict[str, tuple[float, float]] = {
    "lcp": (2500.0, 4000.0),
    "fcp": (1000.0, 3000.0),
    "cls": (0.1, 0.25),
    "inp": (200.0, 500.0),
    "ttfb": (800.0, 1800.0),
}


def grade_vital(name: str, value: float) -> str:
    """ "good", "meh" or "poor" (Sentry grades a page's p75)."""
    meh, poor = VITAL_THRESHOLDS[name]
    return "poor" if value >= poor else "meh" if value >= meh else "good"
