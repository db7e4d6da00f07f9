"""Alerts with the real sentry-sdk: a webhook against a local aiohttp receiver, a command hook,
a burst summed up in one alert, a failing target said once, the terminal's notification."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from click.testing import CliRunner

from devsentry.cli import cli
from devsentry.service import Background
from devsentry.sinks.alert_targets import Desktop, needs_shell, terminal_notification
from devsentry.sinks.alerts import Alert, AlertPolicy, Batch
from devsentry.testing import LocalServer, wait_until
from tests.conftest import APPS, run_python_app


class Receiver:
    """A webhook receiver on 127.0.0.1, port 0: keeps every JSON body POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.url = ""

    async def _post(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return web.Response(text="ok")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Receiver]:
        app = web.Application()
        app.router.add_post("/hook", self._post)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        try:
            yield self
        finally:
            await runner.cleanup()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    background = Background(Receiver().running, "webhook receiver")
    yield background.start()
    background.stop()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """`serve(AlertPolicy(...))`: a LocalServer with those alerts, stopped after the test."""
    started: list[LocalServer] = []

    def start(policy: AlertPolicy) -> LocalServer:
        server = LocalServer(tmp_path / f"alerts-{len(started)}.db", alerts=policy).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def fail_once(server: LocalServer, release: str | None = None) -> None:
    run_python_app("regress", *([release] if release else []), SENTRY_DSN=server.dsn)


def test_webhook_gets_new_issues_and_regressions(serve: Any, receiver: Receiver) -> None:
    server = serve(AlertPolicy(webhook=receiver.url, quiet=0.1))
    fail_once(server)
    wait_until(lambda: receiver.bodies, "the webhook got nothing", 15)
    (body,) = receiver.bodies
    assert body["text"].startswith("New issue DS-1: KeyError: 'sku'")
    assert body["blocks"][0]["type"] == "section"
    assert "New issue DS-1" in body["blocks"][0]["text"]["text"]
    assert body["devsentry"]["alert"] == "new"
    issue = body["devsentry"]["issue"]
    assert issue["id"] == "DS-1" and issue["status"] == "unresolved" and issue["count"] == 1

    fail_once(server)  # one more event of an open issue: no alert
    resolved = CliRunner().invoke(cli, ["resolve", "DS-1", "--store", str(server.store_path)])
    assert resolved.exit_code == 0, resolved.output
    fail_once(server)
    wait_until(lambda: len(receiver.bodies) == 2, "no alert for the regression", 15)
    regressed = receiver.bodies[1]
    assert regressed["devsentry"]["alert"] == "regressed"
    assert regressed["devsentry"]["issue"]["substatus"] == "regressed"
    assert regressed["text"].startswith("Regressed DS-1")
    assert "resolved" in regressed["text"]
    server.stop()
    assert len(receiver.bodies) == 2


def test_command_hook_gets_the_issue_in_env_and_stdin(serve: Any, tmp_path: Path) -> None:
    out = tmp_path / "hook.jsonl"
    command = f"{sys.executable} {APPS / 'hook.py'} {out}"
    assert not needs_shell(command)  # run directly, no shell
    server = serve(AlertPolicy(command=command, quiet=0.1, kinds=frozenset({"new"})))
    fail_once(server, "shop@2.1.0")
    wait_until(lambda: out.exists() and out.read_text().strip(), "the hook never ran", 15)
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    env = record["env"]
    assert env["DEVSENTRY_ALERT"] == "new"
    assert env["DEVSENTRY_ISSUE_ID"] == "DS-1"
    assert env["DEVSENTRY_ISSUE_TITLE"] == "KeyError: 'sku'"
    assert env["DEVSENTRY_ISSUE_SUBSTATUS"] == "new"
    assert env["DEVSENTRY_RELEASE"] == "shop@2.1.0"
    assert env["DEVSENTRY_STORE"] == str(server.store_path)
    assert record["stdin"]["alert"] == "new"
    assert record["stdin"]["issue"]["id"] == "DS-1"
    assert record["stdin"]["issue"]["title"] == "KeyError: 'sku'"


def test_a_shell_command_hook_runs_through_sh(serve: Any, tmp_path: Path) -> None:
    out = tmp_path / "shell.txt"
    command = f'echo "$DEVSENTRY_ALERT $DEVSENTRY_ISSUE_ID" >> {out}'
    assert needs_shell(command)
    server = serve(AlertPolicy(command=command, quiet=0.1))
    fail_once(server)
    wait_until(lambda: out.exists() and out.read_text(), "the shell hook never ran", 15)
    assert out.read_text() == "new DS-1\n"


def test_a_burst_of_new_issues_is_one_summary_alert(serve: Any, receiver: Receiver) -> None:
    # a long quiet gap: the whole burst is gathered however the machine's load spaces it
    server = serve(AlertPolicy(webhook=receiver.url, quiet=3.0, max_wait=120))
    run_python_app("burst", "1000", SENTRY_DSN=server.dsn)
    server.wait_for("event", count=1000, timeout=60)
    wait_until(lambda: receiver.bodies, "no summary alert", 30)
    server.stop()  # delivers anything still gathered
    (body,) = receiver.bodies
    assert body["devsentry"]["alert"] == "summary"
    assert body["devsentry"]["issue"] is None
    assert body["devsentry"]["counts"] == {"new": 1000}
    assert len(body["devsentry"]["issues"]) == 20  # the newest, named
    assert body["text"].startswith("devsentry: 1,000 new issues")
    assert "and 995 more" in body["text"]


def test_a_failing_target_is_said_once(serve: Any) -> None:
    # nothing listens on port 9 of loopback (discard): connection refused at once
    server = serve(AlertPolicy(webhook="http://127.0.0.1:9/hook", quiet=0.1, retries=1))
    fail_once(server)
    server.wait_for_output("alert --webhook failed")
    run_python_app("burst", "2", SENTRY_DSN=server.dsn)
    server.wait_for("event", count=3)
    server.stop()
    assert server.output.count("alert --webhook failed") == 1
    assert "(said once" in server.output


def test_notify_without_a_notification_service_uses_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "VTE_VERSION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    terminal = io.StringIO()
    desktop = Desktop(terminal.write)

    async def go() -> str | None:
        said = await desktop.start()
        batch = Batch([Alert("new", 7, 0.0)], {}, {"new": 1}, Path("x.db"))
        await desktop.send(batch, batch.alerts[0])
        return said

    said = asyncio.run(go())
    assert said is not None and "using the terminal's notification" in said
    assert terminal.getvalue() == "\x1b]9;New issue DS-7: ? — \x07\a"


def test_terminal_notification_escapes() -> None:
    vte = terminal_notification("New issue DS-1", "a; b", {"VTE_VERSION": "7600"})
    assert vte == "\x1b]777;notify;New issue DS-1;a, b\x07\a"
    assert terminal_notification("t", "b", {"TERM": "xterm"}) == "\x1b]9;t — b\x07\a"


def test_alert_options_name_the_flag_at_fault() -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["serve", "--notify", "--alert", "new,soon"])
    assert bad.exit_code == 2 and "--alert" in bad.output and "soon" in bad.output
    alone = runner.invoke(cli, ["serve", "--alert", "new"])
    assert alone.exit_code == 2 and "--alert needs" in alone.output
    url = runner.invoke(cli, ["serve", "--webhook", "file:///etc/passwd"])
    assert url.exit_code == 2 and "--webhook" in url.output


@pytest.mark.parametrize("route", ["serve", "intercept"])
def test_run_alerts_through_its_env_twin(tmp_path: Path, route: str) -> None:
    """`devsentry run` (the real CLI, in a subprocess) with DEVSENTRY_ON_ISSUE: the server or
    proxy it starts for the command alerts, and delivers before it stops."""
    from tests.test_addon import SENTRY_DSN
    from tests.test_run import CHECKOUT, devsentry

    out = tmp_path / "hook.jsonl"
    via = (
        ["--intercept", "--listen-port", "0", "--confdir", str(tmp_path / "mitm")]
        if route == "intercept"
        else ["--port", "0"]
    )
    proc = devsentry(
        "run", *via, "--store", str(tmp_path / "s.db"), "--", sys.executable, CHECKOUT, "error",
        DEVSENTRY_ON_ISSUE=f"{sys.executable} {APPS / 'hook.py'} {out}",
        DEVSENTRY_ALERT_ON="new",
        SENTRY_DSN=SENTRY_DSN,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["env"]["DEVSENTRY_ALERT"] == "new"
    assert record["stdin"]["issue"]["title"] == "RuntimeError: checkout failed"


def test_payload_text_reaches_no_target_as_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A title that carries terminal escapes is shown as escapes, never written raw."""
    import msgspec

    from devsentry.sinks.alert_targets import slack_body
    from devsentry.sinks.alerts import alert_env
    from devsentry.store.records import IssueRecord

    for name in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "VTE_VERSION"):
        monkeypatch.delenv(name, raising=False)
    evil = "x\x1b]0;owned\x07<!channel> & \x00"
    issue = msgspec.convert(
        {
            "id": 3, "project": "1", "title": evil, "culprit": evil, "level": "error",
            "type": None, "value": None, "platform": None, "basis": None, "count": 1,
            "users": 0, "first_seen": 0.0, "last_seen": 0.0, "hash": "h",
        },
        IssueRecord,
    )  # fmt: skip
    batch = Batch([Alert("new", 3, 0.0)], {3: issue}, {"new": 1}, Path("x.db"))
    terminal = io.StringIO()

    async def go() -> None:
        desktop = Desktop(terminal.write)
        await desktop.start()
        await desktop.send(batch, batch.alerts[0])

    asyncio.run(go())
    written = terminal.getvalue()
    assert written.count("\x1b") == 1 and written.startswith("\x1b]9;")  # ours only
    assert "\\x1b]0,owned\\x07" in written
    env = alert_env(batch, batch.alerts[0])
    assert all("\x00" not in v and "\x1b" not in v for v in env.values())
    body = slack_body(batch, batch.alerts[0])
    assert "<!channel>" not in body["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt; &amp;" in body["blocks"][0]["text"]["text"]


@pytest.mark.parametrize("tty", [True, False])
def test_the_terminal_notification_goes_through_the_console_only_on_a_terminal(tty: bool) -> None:
    from rich.console import Console

    from devsentry.sinks.console import ConsoleSink

    out = io.StringIO()
    sink = ConsoleSink(Console(file=out, force_terminal=tty, width=80))

    async def go() -> None:
        await sink.start()
        sink.control(terminal_notification("New issue DS-1", "x", {"TERM": "xterm"}))
        await sink.drain()
        await sink.stop()

    asyncio.run(go())
    assert out.getvalue() == ("\x1b]9;New issue DS-1 — x\x07\a" if tty else "")
