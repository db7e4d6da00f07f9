"""Forwarding: a real upstream (a second devsentry), outages, rate limits, final refusals.

Where the upstream must misbehave on cue (429, 400, hanging) it is `Upstream`, a small aiohttp
app standing in for Sentry's Relay — not a mock of devsentry.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner

from devsentry.cli import cli
from devsentry.ingest.forward import ForwardPolicy
from devsentry.protocol import parse
from devsentry.protocol.dsn import Dsn
from devsentry.protocol.ratelimits import RateLimits
from devsentry.protocol.rewrite import rewrite_for
from devsentry.store import Store
from devsentry.store.outbox import Outbox
from devsentry.testing import LocalServer
from tests.conftest import FIXTURES, run_python_app, wait_until

ERROR = (FIXTURES / "python" / "error_plain.envelope").read_bytes()
TRANSACTION = (FIXTURES / "python" / "transaction_profile.envelope").read_bytes()
AUTH = {"X-Sentry-Auth": "Sentry sentry_key=devsentry, sentry_version=7"}
UPSTREAM_KEY = "0123456789abcdef0123456789abcdef"


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers=AUTH, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def outbox_states(path: Path) -> dict[str, int]:
    with Store(path, readonly=True) as store:
        return Outbox(store).counts()


class Upstream:
    """A stand-in Sentry on port 0 whose answers the test scripts: `answers` is consumed in
    order (status, headers, body), then it answers 200; `always` headers go on every answer.
    Requests are recorded."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], bytes]] = []
        self.always: dict[str, str] = {}
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.release: asyncio.Event | None = None  # when set by a test, requests wait for it
        self.hold = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()  # aiohttp has undone the gzip devsentry applied
        self.requests.append((str(request.rel_url), dict(request.headers), body))
        if self.hold:
            assert self.release is not None
            await self.release.wait()
        if self.answers:
            status, headers, text = self.answers.pop(0)
            return web.Response(status=status, headers={**self.always, **headers}, body=text)
        return web.json_response({"id": parse(body).event_id}, headers=self.always)

    def types(self) -> list[str]:
        """The last item type of each envelope received, in order."""
        return [parse(body).items[-1].type for _, _, body in self.requests]

    async def _start(self) -> None:
        self.release = asyncio.Event()
        app = web.Application()
        app.router.add_post("/api/{project}/envelope/", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def __enter__(self) -> Upstream:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self.release.set)  # type: ignore[union-attr]
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def open_gate(self) -> None:
        self._loop.call_soon_threadsafe(self.release.set)  # type: ignore[union-attr]

    @property
    def dsn(self) -> str:
        return f"http://{UPSTREAM_KEY}@127.0.0.1:{self.port}/42"


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with Upstream() as up:
        yield up


def test_real_sdk_envelopes_reach_a_second_devsentry(tmp_path: Path) -> None:
    with LocalServer(tmp_path / "upstream.db") as up:
        upstream_dsn = up.dsn_for(42, key=UPSTREAM_KEY)
        policy = ForwardPolicy(dsn=upstream_dsn)
        with LocalServer(tmp_path / "local.db", forward=policy) as local:
            run_python_app("checkout", "error", SENTRY_DSN=local.dsn)
            run_python_app("checkout", "transaction", SENTRY_DSN=local.dsn)
            local.wait_for("event")
            (event,) = up.wait_for("event")
            up.wait_for("transaction")
            assert event.project == "42"
            assert event.title == "RuntimeError: checkout failed"
            local.wait_for_output("delivered")
            sent = {e.event_id: e for e in local.envelopes}
            for got in up.envelopes:
                original = sent[got.event_id]
                # payloads unchanged, byte for byte
                assert [i.payload for i in got.items] == [i.payload for i in original.items]
                assert [i.header for i in got.items] == [i.header for i in original.items]
                # what must change for the upstream did
                assert got.header["trace"]["public_key"] == UPSTREAM_KEY
                assert original.header["trace"]["public_key"] == "devsentry"
                assert got.header["sent_at"] != original.header["sent_at"]
            wait_until(lambda: outbox_states(local.store_path) == {"delivered": 2}, "2 delivered")


def test_upstream_down_then_up_delivers_everything_exactly_once(tmp_path: Path) -> None:
    port = free_port()
    policy = ForwardPolicy(dsn=f"http://{UPSTREAM_KEY}@127.0.0.1:{port}/42", backoff=0.2)
    with LocalServer(tmp_path / "local.db", forward=policy) as local:
        for _ in range(3):
            assert post(f"{local.url}/api/1/envelope/", _fresh(ERROR)) == 200
        wait_until(
            lambda: _rows(local.store_path, "pending", attempted=True) == 3,
            "3 failed attempts recorded while the upstream is down",
        )
        with Store(local.store_path, readonly=True) as store:
            details = {d.detail for d in Outbox(store).list()}
        assert any("Connect" in (d or "") or "refused" in (d or "") for d in details), details
        with LocalServer(tmp_path / "upstream.db", port=port) as up:
            up.wait_for("event", count=3)
            wait_until(lambda: outbox_states(local.store_path) == {"delivered": 3}, "all delivered")
            assert len(up.envelopes) == 3  # exactly once


def test_outbox_survives_a_restart(tmp_path: Path, upstream: Upstream) -> None:
    policy = ForwardPolicy(dsn=upstream.dsn)
    upstream.answers = [(503, {}, b"busy")]
    store = tmp_path / "local.db"
    with LocalServer(store, forward=ForwardPolicy(dsn=upstream.dsn, backoff=60)) as local:
        assert post(f"{local.url}/api/1/envelope/", ERROR) == 200
        wait_until(lambda: _rows(store, "pending", attempted=True) == 1, "a failed attempt")
    # a new run delivers what the last one could not (after `outbox --retry` makes it due now)
    result = CliRunner().invoke(cli, ["outbox", "--store", str(store), "--retry"])
    assert result.exit_code == 0, result.output
    with LocalServer(store, forward=policy):
        wait_until(lambda: outbox_states(store) == {"delivered": 1}, "delivery after restart")
    assert len(upstream.requests) == 2


def test_rate_limits_pause_the_limited_category_only(tmp_path: Path, upstream: Upstream) -> None:
    upstream.answers = [
        (429, {"X-Sentry-Rate-Limits": "2:error:key:quota_exceeded", "Retry-After": "2"}, b"")
    ]
    with LocalServer(tmp_path / "local.db", forward=ForwardPolicy(dsn=upstream.dsn)) as local:
        assert post(f"{local.url}/api/1/envelope/", _fresh(ERROR)) == 200
        wait_until(lambda: _rows(local.store_path, "rate_limited") == 1, "the 429 recorded")
        # another error waits for the limit; a transaction (another category) goes through
        assert post(f"{local.url}/api/1/envelope/", _fresh(ERROR)) == 200
        assert post(f"{local.url}/api/1/envelope/", _fresh(TRANSACTION)) == 200
        wait_until(lambda: _rows(local.store_path, "delivered") == 1, "the transaction delivered")
        assert _rows(local.store_path, "rate_limited") == 2
        assert [parse(body).items[-1].type for _, _, body in upstream.requests] == [
            "event",
            "transaction",
        ]
        # after the limit, both errors go
        wait_until(lambda: outbox_states(local.store_path) == {"delivered": 3}, "errors after 2s")
        local.wait_for_output("rate-limited")


# What Bugsink 2.6 answers to every envelope: it never takes transactions or spans.
BUGSINK = {"X-Sentry-Rate-Limits": "86400:transaction;span:organization"}
BUGSINK_REASON = (
    "the upstream takes no transaction, span for 24 h"
    " (X-Sentry-Rate-Limits 86400:transaction;span:organization)"
)


def test_a_long_rate_limit_drops_its_categories_while_errors_flow(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.always = BUGSINK
    store = tmp_path / "local.db"
    with LocalServer(store, forward=ForwardPolicy(dsn=upstream.dsn)) as local:
        assert post(f"{local.url}/api/1/envelope/", _fresh(ERROR)) == 200
        wait_until(lambda: _rows(store, "delivered") == 1, "the error delivered")
        # the answer carried the day-long limit: transactions are dropped, not queued for a day
        for _ in range(2):
            assert post(f"{local.url}/api/1/envelope/", _fresh(TRANSACTION)) == 200
        wait_until(lambda: _rows(store, "dropped") == 2, "both transactions dropped")
        assert post(f"{local.url}/api/1/envelope/", _fresh(ERROR)) == 200
        wait_until(lambda: _rows(store, "delivered") == 2, "the next error delivered")
        assert upstream.types() == ["event", "event"]  # no transaction was sent
        with Store(store, readonly=True) as db:
            dropped = Outbox(db).list(["dropped"])
        assert {(d.detail, d.status, d.attempts) for d in dropped} == {(BUGSINK_REASON, None, 0)}
        local.wait_for_output("dropped  the upstream takes no transaction")
        runner = CliRunner()
        text = runner.invoke(cli, ["outbox", "--store", str(store)]).output
        assert f"2 dropped: {BUGSINK_REASON}" in " ".join(text.split())
        listed = json.loads(runner.invoke(cli, ["outbox", "--store", str(store), "--json"]).output)
        assert [r["detail"] for r in listed if r["state"] == "dropped"] == [BUGSINK_REASON] * 2


def test_a_long_rate_limit_survives_a_restart(tmp_path: Path, upstream: Upstream) -> None:
    upstream.always = BUGSINK
    store = tmp_path / "local.db"
    policy = ForwardPolicy(dsn=upstream.dsn)
    with LocalServer(store, forward=policy) as local:
        assert post(f"{local.url}/api/1/envelope/", _fresh(ERROR)) == 200
        wait_until(lambda: _rows(store, "delivered") == 1, "the error delivered")
    upstream.always = {}  # the new run can know the limit only from the store
    with LocalServer(store, forward=policy) as local:
        assert post(f"{local.url}/api/1/envelope/", _fresh(TRANSACTION)) == 200
        wait_until(lambda: _rows(store, "dropped") == 1, "the transaction dropped")
        assert post(f"{local.url}/api/1/envelope/", _fresh(ERROR)) == 200
        wait_until(lambda: _rows(store, "delivered") == 2, "the error delivered")
    assert upstream.types() == ["event", "event"]
    with Store(store, readonly=True) as db:
        (dropped,) = Outbox(db).list(["dropped"])
    assert dropped.detail == BUGSINK_REASON


def test_a_short_rate_limit_holds_back_then_delivers(tmp_path: Path, upstream: Upstream) -> None:
    upstream.answers = [(429, {"X-Sentry-Rate-Limits": "2:transaction:organization"}, b"")]
    store = tmp_path / "local.db"
    with LocalServer(store, forward=ForwardPolicy(dsn=upstream.dsn)) as local:
        assert post(f"{local.url}/api/1/envelope/", _fresh(TRANSACTION)) == 200
        local.wait_for_output("429: held back: the upstream takes no transaction for 2 s")
        wait_until(lambda: _rows(store, "delivered") == 1, "delivery once the limit ends")
        with Store(store, readonly=True) as db:
            (row,) = Outbox(db).list()
        assert (row.status, row.attempts) == (200, 2)  # the 429, then the delivery
    assert upstream.types() == ["transaction", "transaction"]


def test_a_429_with_a_long_limit_drops_at_once(tmp_path: Path, upstream: Upstream) -> None:
    upstream.answers = [(429, {"X-Sentry-Rate-Limits": "3600::organization:quota"}, b"")]
    store = tmp_path / "local.db"
    with LocalServer(store, forward=ForwardPolicy(dsn=upstream.dsn)) as local:
        assert post(f"{local.url}/api/1/envelope/", ERROR) == 200
        wait_until(lambda: _rows(store, "dropped") == 1, "the error dropped")
    with Store(store, readonly=True) as db:
        (row,) = Outbox(db).list()
    reason = "the upstream takes nothing for 1 h (X-Sentry-Rate-Limits 3600::organization:quota)"
    assert (row.status, row.detail, row.attempts) == (429, reason, 1)
    assert len(upstream.requests) == 1


def test_a_full_outbox_drops_the_oldest_waiting_rows(tmp_path: Path) -> None:
    down = f"http://{UPSTREAM_KEY}@127.0.0.1:{free_port()}/42"  # nothing listens: rows wait
    store = tmp_path / "local.db"
    policy = ForwardPolicy(dsn=down, backoff=60, max_waiting=3)
    with LocalServer(store, forward=policy) as local:
        for _ in range(5):
            assert post(f"{local.url}/api/1/envelope/", _fresh(ERROR)) == 200
        wait_until(lambda: _rows(store, "dropped") == 2, "the two oldest dropped")
        with Store(store, readonly=True) as db:
            rows = sorted(Outbox(db).list(), key=lambda d: d.envelope_id)
        assert [r.state for r in rows] == ["dropped"] * 2 + ["pending"] * 3
        assert {r.detail for r in rows[:2]} == {"outbox full (3 waiting)"}
        local.wait_for_output("outbox full (3 waiting)")


def test_400_is_final_and_records_the_detail(tmp_path: Path, upstream: Upstream) -> None:
    upstream.answers = [(400, {}, b'{"detail":"invalid event envelope"}')]
    with LocalServer(tmp_path / "local.db", forward=ForwardPolicy(dsn=upstream.dsn)) as local:
        assert post(f"{local.url}/api/1/envelope/", ERROR) == 200
        wait_until(lambda: _rows(local.store_path, "failed") == 1, "the 400 recorded")
        with Store(local.store_path, readonly=True) as store:
            (row,) = Outbox(store).list()
        assert (row.status, row.detail, row.attempts) == (400, "invalid event envelope", 1)
        local.wait_for_output("invalid event envelope")
        runner = CliRunner()
        result = runner.invoke(cli, ["outbox", "--store", str(local.store_path), "--json"])
        (listed,) = json.loads(result.output)
        assert listed["state"] == "failed" and listed["status"] == 400
        # the state is on the item too, in `events --json`, `show --json` and `show`
        result = runner.invoke(cli, ["events", "--store", str(local.store_path), "--json"])
        (item,) = json.loads(result.output)
        assert item["forward"]["state"] == "failed"
        assert item["forward"]["detail"] == "invalid event envelope"
        shown = runner.invoke(cli, ["show", str(item["id"]), "--store", str(local.store_path)])
        assert "forwarded: failed  400 invalid event envelope" in shown.output
        shown = runner.invoke(
            cli, ["show", str(item["id"]), "--store", str(local.store_path), "--json"]
        )
        assert json.loads(shown.output)["item"]["forward"]["status"] == 400
    assert len(upstream.requests) == 1  # never retried


def test_the_sdk_is_answered_before_the_upstream_answers(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.hold = True  # the upstream takes every request and answers only when released
    with LocalServer(tmp_path / "local.db", forward=ForwardPolicy(dsn=upstream.dsn)) as local:
        assert post(f"{local.url}/api/1/envelope/", ERROR) == 200  # answered while upstream hangs
        wait_until(lambda: len(upstream.requests) == 1, "the upstream to receive the copy")
        assert _rows(local.store_path, "pending") == 1
        upstream.open_gate()
        wait_until(lambda: _rows(local.store_path, "delivered") == 1, "delivery once released")


def test_filters(tmp_path: Path, upstream: Upstream) -> None:
    policy = ForwardPolicy(dsn=upstream.dsn, types=frozenset({"transaction"}))
    with LocalServer(tmp_path / "a.db", forward=policy) as local:
        post(f"{local.url}/api/1/envelope/", _fresh(ERROR))
        post(f"{local.url}/api/1/envelope/", _fresh(TRANSACTION))
        wait_until(lambda: _rows(local.store_path, "delivered") == 1, "the transaction")
        assert outbox_states(local.store_path) == {"delivered": 1}
    with LocalServer(tmp_path / "b.db", forward=ForwardPolicy(dsn=upstream.dsn, sample=0.0)) as b:
        post(f"{b.url}/api/1/envelope/", _fresh(ERROR))
        b.wait_for("event")
        assert outbox_states(b.store_path) == {}


def test_outbox_command_lists_retries_and_drops(tmp_path: Path, upstream: Upstream) -> None:
    upstream.answers = [(400, {}, b'{"detail":"nope"}')] * 2
    store = tmp_path / "local.db"
    with LocalServer(store, forward=ForwardPolicy(dsn=upstream.dsn)) as local:
        post(f"{local.url}/api/1/envelope/", _fresh(ERROR))
        post(f"{local.url}/api/1/envelope/", _fresh(ERROR))
        wait_until(lambda: _rows(store, "failed") == 2, "two refusals")
        runner = CliRunner()
        text = runner.invoke(cli, ["outbox", "--store", str(store)]).output
        assert "failed" in text and "nope" in text
        assert runner.invoke(cli, ["outbox", "--store", str(store), "--retry", "1"]).exit_code == 0
        wait_until(lambda: _rows(store, "delivered") == 1, "the retried one delivered")
        assert runner.invoke(cli, ["outbox", "--store", str(store), "--drop"]).exit_code == 0
        assert outbox_states(store) == {"delivered": 1, "dropped": 1}


def test_cli_rejects_a_bad_forward_dsn() -> None:
    result = CliRunner().invoke(cli, ["serve", "--forward", "not-a-dsn"])
    assert result.exit_code == 2
    assert "--forward" in result.output and "scheme must be http or https" in result.output


def test_rate_limit_header_parsing() -> None:
    now = [1000.0]
    limits = RateLimits(clock=lambda: now[0])
    limits.update(
        200,
        {
            "X-Sentry-Rate-Limits": "60:transaction:key, 2700:default;error;security:organization, bogus"
        },
    )
    assert limits.blocked_until({"transaction"}) == 1060.0
    assert limits.blocked_until({"error"}) == 3700.0
    assert limits.blocked_until({"session"}) == 0.0
    assert limits.blocked_until({"internal"}) == 0.0  # client reports are never limited
    limits.update(429, {"Retry-After": "30"})  # no X-Sentry-Rate-Limits: everything
    assert limits.blocked_until({"session"}) == 1030.0
    limits.update(429, {"X-Sentry-Rate-Limits": "10::organization"})  # empty categories: all
    now[0] = 1035.0
    assert limits.blocked_until({"session"}) == 0.0


def test_rate_limits_round_trip_and_say_why() -> None:
    now = [1000.0]
    limits = RateLimits(clock=lambda: now[0])
    assert limits.encode() is None
    assert limits.update(200, BUGSINK)
    assert limits.update(429, {"Retry-After": "30"})
    assert not limits.update(200, {"X-Sentry-Rate-Limits": "10:transaction:key"})  # shorter
    again = RateLimits.decode(limits.encode() or b"", clock=lambda: now[0])
    limit = again.limiting({"transaction", "profile"})
    assert limit is not None and limit.until == 87400.0
    assert limit.describe() == BUGSINK_REASON
    assert again.blocked_until({"error"}) == 1030.0  # the Retry-After, on every category
    now[0] = 1031.0
    assert again.limiting({"error"}) is None
    assert RateLimits.decode(b"not json").limits == {}  # a damaged value is forgotten


def test_rewrite_for_changes_only_dsn_key_and_sent_at() -> None:
    env = parse(
        b'{"event_id":"ab","dsn":"https://old@o1.ingest.sentry.io/1","sent_at":"2020-01-01T00:00:00Z",'
        b'"trace":{"trace_id":"t","public_key":"old"}}\n{"type":"event","length":2}\n{}\n'
    )
    out = rewrite_for(env, Dsn.parse("https://new@o2.ingest.sentry.io/2"))
    assert out.header["dsn"] == "https://new@o2.ingest.sentry.io/2"
    assert out.header["trace"] == {"trace_id": "t", "public_key": "new"}
    assert out.header["sent_at"] != "2020-01-01T00:00:00Z"
    assert out.items == env.items


def _fresh(raw: bytes) -> bytes:
    """The same envelope with a new event id, so the upstream sees distinct events."""
    event_id = parse(raw).event_id
    assert event_id is not None
    return raw.replace(event_id.encode(), _fresh.counter().encode())


def _counter() -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"{n:032x}"


_ids = _counter()
_fresh.counter = lambda: next(_ids)  # type: ignore[attr-defined]


def _rows(path: Path, state: str, *, attempted: bool = False) -> int:
    with Store(path, readonly=True) as store:
        rows = Outbox(store).list([state], limit=None)
    return len([r for r in rows if r.attempts > 0 or not attempted])


# -- intercept --forward: through a real mitmproxy ------------------------------------------


def _through_proxy(proxy_url: str, url: str, body: bytes, headers: dict[str, str]) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy_url}))
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with opener.open(request, timeout=10) as response:
        return int(response.status)


@pytest.mark.parametrize("to_dsn", [False, True], ids=["original-host", "another-dsn"])
def test_intercept_forwards_to_the_original_host_or_a_dsn(
    tmp_path: Path, upstream: Upstream, to_dsn: bool
) -> None:
    from devsentry.service import Background, intercepting, make_sinks

    with Upstream() as other:
        policy = ForwardPolicy(dsn=other.dsn) if to_dsn else ForwardPolicy()
        store = tmp_path / "store.db"
        background = Background(
            lambda: intercepting(
                store,
                port=0,
                confdir=tmp_path / "mitmproxy",
                sinks=make_sinks(None),
                forward=policy,
            ),
            "test-proxy",
        )
        proxy = background.start()
        try:
            # The app's own DSN points at `upstream`; its Sentry auth makes the proxy record it.
            url = f"http://127.0.0.1:{upstream.port}/api/42/envelope/"
            own_auth = {"X-Sentry-Auth": "Sentry sentry_key=appkey, sentry_version=7"}
            assert _through_proxy(proxy.url, url, ERROR, own_auth) == 200  # answered locally
            wait_until(lambda: outbox_states(store) == {"delivered": 1}, "the copy delivered")
        finally:
            background.stop()
        target, untouched = (other, upstream) if to_dsn else (upstream, other)
        assert untouched.requests == []
        ((path, headers, body),) = target.requests
        assert parse(body).items == parse(ERROR).items
        if to_dsn:
            assert path == "/api/42/envelope/"
            assert f"sentry_key={UPSTREAM_KEY}" in headers["X-Sentry-Auth"]
        else:
            assert path == "/api/42/envelope/"
            assert headers["X-Sentry-Auth"] == own_auth["X-Sentry-Auth"]  # the app's own auth
