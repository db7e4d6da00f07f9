"""Where alerts go: a desktop notification, a command, a Slack-style webhook.

- `--notify` uses `desktop-notifier` (D-Bus notifications on Linux, the notification centres
  of macOS and Windows). Where there is no notification service (no session bus: SSH, a
  container), it falls back to the terminal's own notification escape — OSC 777 on VTE and
  rxvt-style terminals, OSC 9 elsewhere (iTerm2, WezTerm, Windows Terminal, ConEmu) — and the
  bell, written to the console's terminal, and only when that is a terminal.
- `--on-issue CMD` runs CMD with the issue in `DEVSENTRY_…` variables and its JSON on
  standard input. As git does for hooks and `!` aliases (`prepare_shell_cmd` in git's
  `run-command.c`), CMD runs through `sh -c` only when it holds shell syntax (a pipe, a
  redirection, `$VAR`, a glob, …); otherwise it is split like a shell would and run directly.
  A command is not run again when it fails: it may have done half its work.
- `--webhook URL` POSTs a Slack incoming-webhook body (`text` and `blocks`; Mattermost and
  Discord's `/slack` endpoints take it too) with `devsentry: {"alert", "issue"}` beside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
from collections.abc import Callable
from typing import Any

import msgspec

from devsentry.render.text import clean
from devsentry.sinks.alerts import (
    Alert,
    AlertPolicy,
    Batch,
    Target,
    TargetFailed,
    alert_env,
    alert_json,
    detail,
    headline,
    summary_detail,
    summary_headline,
)

__all__ = [
    "Command",
    "Desktop",
    "Webhook",
    "make_targets",
    "needs_shell",
    "terminal_notification",
    "webhook_host",
]

#: Characters that make a command shell syntax (git's list, less the quotes and blanks that
#: `shlex` splits as a shell would).
_SHELL_SYNTAX = re.compile(r"[|&;<>()$`\\*?\[#~=%\n]")
_OUTPUT_KEPT = 2000  # bytes of a failed command's stderr said in the console


def make_targets(policy: AlertPolicy, terminal: Callable[[str], None] | None) -> list[Target]:
    targets: list[Target] = []
    if policy.notify:
        targets.append(Desktop(terminal))
    if policy.command is not None:
        targets.append(Command(policy.command))
    if policy.webhook is not None:
        targets.append(Webhook(policy.webhook))
    return targets


def _texts(batch: Batch, alert: Alert | None) -> tuple[str, str]:
    if alert is None:
        return summary_headline(batch), summary_detail(batch)
    issue = batch.issues.get(alert.issue_id)
    return headline(alert, issue), detail(alert, issue)


# -- --notify ------------------------------------------------------------------------------------


def terminal_notification(title: str, body: str, env: dict[str, str] | None = None) -> str:
    """The escape that asks the terminal for a notification, then the bell. `title` and
    `body` must be clean already (no control characters); `;` would end an OSC 777 field."""
    env = dict(os.environ) if env is None else env
    title, body = title.replace(";", ","), body.replace(";", ",")
    term = env.get("TERM", "")
    if env.get("VTE_VERSION") or term.startswith(("rxvt", "foot")):
        return f"\x1b]777;notify;{title};{body}\x07\a"
    return f"\x1b]9;{title} — {body}\x07\a"


class Desktop:
    """A desktop notification, or the terminal's when no notification service answers."""

    name = "--notify"
    retry = True

    def __init__(self, terminal: Callable[[str], None] | None) -> None:
        self.terminal = terminal
        self._notifier: Any = None

    async def start(self) -> str | None:
        try:
            from desktop_notifier import DesktopNotifier

            notifier = DesktopNotifier(app_name="devsentry")
            # Connecting is what fails without a service (no D-Bus session bus): ask once.
            await asyncio.wait_for(notifier.get_capabilities(), 3.0)
        except Exception as exc:
            reason = clean(str(exc) or type(exc).__name__, single_line=True, limit=60)
            if self.terminal is None:
                return (
                    f"--notify: no desktop notification service ({reason}), and the console is "
                    "no terminal: no notifications"
                )
            return (
                f"--notify: no desktop notification service ({reason}): using the terminal's "
                "notification and bell"
            )
        self._notifier = notifier
        return None

    async def send(self, batch: Batch, alert: Alert | None) -> None:
        title, body = _texts(batch, alert)
        if self._notifier is not None:
            await self._notifier.send(title=title, message=body)
        elif self.terminal is not None:
            self.terminal(terminal_notification(title, body))
        else:
            raise TargetFailed("no notification service and no terminal")

    async def stop(self) -> None:
        self._notifier = None


# -- --on-issue -------------------------------------------------------------------------------


def needs_shell(command: str) -> bool:
    """Whether `command` is shell syntax (run by `sh -c`) rather than a program and words."""
    return bool(_SHELL_SYNTAX.search(command))


class Command:
    """Runs `command` for each alert (or once for a summary)."""

    name = "--on-issue"
    retry = False

    def __init__(self, command: str) -> None:
        self.command = command
        self.argv = ["sh", "-c", command] if needs_shell(command) else shlex.split(command)

    async def start(self) -> None:
        if not self.argv:
            raise TargetFailed("the command is empty")

    async def send(self, batch: Batch, alert: Alert | None) -> None:
        stdin = msgspec.json.encode(alert_json(batch, alert))
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env={**os.environ, **alert_env(batch, alert)},
            )
        except OSError as exc:
            raise TargetFailed(f"cannot run {self.argv[0]!r}: {exc.strerror or exc}") from None
        try:
            _, stderr = await proc.communicate(stdin)
        except asyncio.CancelledError:  # timed out: it must not outlive the alert
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise
        if proc.returncode:
            said = stderr[-_OUTPUT_KEPT:].decode("utf-8", "replace").strip()
            raise TargetFailed(f"exit status {proc.returncode}" + (f": {said}" if said else ""))

    async def stop(self) -> None:
        return None


# -- --webhook --------------------------------------------------------------------------------


def _slack(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally: `&`, `<` and `>` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(batch: Batch, alert: Alert | None) -> dict[str, Any]:
    """A Slack incoming-webhook message (`text` for notifications, `blocks` for the
    message) with the alert's JSON under `devsentry`."""
    title, body = _texts(batch, alert)
    hint = f"devsentry show {alert_json(batch, alert)['issue']['id']}" if alert else ""
    if alert is not None and batch.issues.get(alert.issue_id) is None:
        hint = ""
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack(title)}*"}},
    ]
    if body:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _slack(body)}]})
    if hint:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"`{hint}`"}]})
    return {
        "text": f"{title} — {body}" if body else title,
        "blocks": blocks,
        "devsentry": alert_json(batch, alert),
    }


def webhook_host(url: str) -> str:
    """`https://hooks.slack.com/…`: a webhook URL as it may be shown (its path is a secret)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


class Webhook:
    """POSTs each alert (or the summary) to `url`."""

    name = "--webhook"
    retry = True

    def __init__(self, url: str) -> None:
        self.url = url
        self._session: Any = None

    async def start(self) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession(
            headers={"User-Agent": f"devsentry/{_version()}"}, trust_env=False
        )

    async def send(self, batch: Batch, alert: Alert | None) -> None:
        import aiohttp

        assert self._session is not None
        try:
            async with self._session.post(self.url, json=slack_body(batch, alert)) as response:
                if response.status >= 300:
                    text = (await response.content.read(300)).decode("utf-8", "replace")
                    raise TargetFailed(f"HTTP {response.status} {text.strip()}".strip())
        except aiohttp.ClientError as exc:
            # aiohttp's message names the host, never the path (a Slack URL's path is its key)
            raise TargetFailed(f"{exc or type(exc).__name__}") from None

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _version() -> str:
    from devsentry import __version__

    return __version__
