"""What the commands share: options defined once (with their `DEVSENTRY_…` env twins), the
parameter types, and the edge where library errors become messages and exit codes."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from devsentry.cli.status import ExitStatus
from devsentry.model.kinds import ITEM_TYPES
from devsentry.protocol.levels import LEVELS

if TYPE_CHECKING:
    from devsentry.ingest.forward import ForwardPolicy
    from devsentry.ingest.origins import OriginPolicy
    from devsentry.sinks.alerts import AlertPolicy
    from devsentry.store.store import Store

F = TypeVar("F", bound=Callable[..., object])


def store_option(func: F) -> F:
    """`--store PATH` (env DEVSENTRY_STORE), shared by every command that touches the store."""
    return click.option(
        "--store",
        "store_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="DEVSENTRY_STORE",
        show_envvar=True,
        default=None,
        help="SQLite store file. [default: devsentry.db in the user data directory]",
    )(func)


def resolve_store(path: Path | None) -> Path:
    """`--store`, or the default store when it is not given."""
    from devsentry.store.store import default_store_path

    return path if path is not None else default_store_path()


def forward_options(*, dsn_optional: bool = False) -> Callable[[F], F]:
    """`--forward`, `--forward-types`, `--forward-sample`, shared by serve and intercept.

    For intercept the DSN is optional: a bare `--forward` sends each request on to the Sentry
    it was bound for.
    """

    def decorate(func: F) -> F:
        func = click.option(
            "--forward-sample",
            type=click.FloatRange(0.0, 1.0),
            default=1.0,
            show_default=True,
            envvar="DEVSENTRY_FORWARD_SAMPLE",
            show_envvar=True,
            help="Forward only this fraction of envelopes (chosen at random).",
        )(func)
        func = click.option(
            "--forward-types",
            metavar="TYPES",
            envvar="DEVSENTRY_FORWARD_TYPES",
            show_envvar=True,
            help="Forward only envelopes with these item types, e.g. event,transaction.",
        )(func)
        if dsn_optional:
            return click.option(
                "--forward",
                metavar="[DSN]",
                is_flag=False,
                flag_value="",
                envvar="DEVSENTRY_FORWARD",
                show_envvar=True,
                help="Also deliver each recorded request upstream, asynchronously (durable "
                "outbox): to the Sentry it was bound for, or to DSN when given.",
            )(func)
        return click.option(
            "--forward",
            metavar="DSN",
            envvar="DEVSENTRY_FORWARD",
            show_envvar=True,
            help="Also deliver every accepted envelope to this DSN, asynchronously (durable "
            "outbox).",
        )(func)

    return decorate


def json_option(func: F) -> F:
    """`--json`: machine-readable output, shared by every inspection command."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of the human view."
    )(func)


def forward_policy(
    forward: str | None, types: str | None, sample: float, *, need_dsn: bool
) -> ForwardPolicy | None:
    """The forwarding policy the options describe, or None; a bad DSN names the flag."""
    from devsentry.ingest.forward import ForwardPolicy
    from devsentry.protocol.dsn import Dsn, DsnError

    if forward is None:
        if types or sample < 1.0:
            raise click.UsageError("--forward-types and --forward-sample need --forward")
        return None
    dsn = None
    if forward or need_dsn:
        try:
            dsn = str(Dsn.parse(forward))
        except DsnError as exc:
            raise click.BadParameter(str(exc), param_hint="--forward") from None
    kinds = frozenset(t.strip() for t in (types or "").split(",") if t.strip())
    return ForwardPolicy(dsn=dsn, types=kinds, sample=sample)


def allow_origin_option(func: F) -> F:
    """`--allow-origin` (repeatable; env DEVSENTRY_ALLOW_ORIGIN, origins separated by spaces or
    commas), passed on as an `OriginPolicy` named `origins`."""

    def convert(
        ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
    ) -> OriginPolicy:
        from devsentry.ingest.origins import OriginPolicy

        try:
            return OriginPolicy.parse(values)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None

    return click.option(
        "--allow-origin",
        "origins",
        multiple=True,
        metavar="ORIGIN",
        envvar="DEVSENTRY_ALLOW_ORIGIN",
        show_envvar=True,
        callback=convert,
        help="Also accept requests from web pages of this origin (e.g. https://app.example.com; "
        "* for any); repeatable. Pages on localhost, 127.0.0.1 and [::1] always are, others get "
        "a 403, so a website you visit cannot send events here.",
    )(func)


def sourcemap_options(func: F) -> F:
    """`--fetch-from HOST` and `--sourcemaps DIR` (both repeatable; env DEVSENTRY_FETCH_FROM,
    DEVSENTRY_SOURCEMAPS, separated by spaces), passed on as a `SourceMapPolicy` named
    `sourcemaps`."""

    @functools.wraps(func)
    def wrapper(
        *args: Any, fetch_from: tuple[str, ...], sourcemap_dirs: tuple[Path, ...], **kwargs: Any
    ) -> Any:
        from devsentry.process.sourcemaps import SourceMapPolicy

        hosts = tuple(h for value in fetch_from for h in value.replace(",", " ").split())
        policy = SourceMapPolicy(fetch_from=hosts, dirs=tuple(p.resolve() for p in sourcemap_dirs))
        return func(*args, sourcemaps=policy, **kwargs)

    wrapper = click.option(
        "--sourcemaps",
        "sourcemap_dirs",
        multiple=True,
        metavar="DIR",
        envvar="DEVSENTRY_SOURCEMAPS",
        show_envvar=True,
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="A build directory (dist/, build/, .next/) whose source maps resolve JavaScript "
        "frames by debug ID; repeatable. Indexed at start, looked at again after a rebuild.",
    )(wrapper)
    wrapper = click.option(
        "--fetch-from",
        "fetch_from",
        multiple=True,
        metavar="HOST",
        envvar="DEVSENTRY_FETCH_FROM",
        show_envvar=True,
        help="Also fetch JavaScript files and their source maps from this host (name or "
        "name:port); repeatable. Loopback (localhost, 127.0.0.1, [::1]) always is; no other "
        "host a payload names is ever fetched from.",
    )(wrapper)
    return cast(F, wrapper)


class _ParsedParam(click.ParamType):
    """A value `parse` turns into seconds; its ValueError is click's usage error."""

    @staticmethod
    def parse(text: str) -> float:
        raise NotImplementedError

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        try:
            return self.parse(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class SinceParam(_ParsedParam):
    """`--since 10m` / `--since 2026-01-31T14:00` as epoch seconds."""

    name = "when"

    @staticmethod
    def parse(text: str) -> float:
        from devsentry.browse.query import parse_since

        return parse_since(text)


class DurationParam(_ParsedParam):
    """`--for 1h30m` as seconds."""

    name = "duration"

    @staticmethod
    def parse(text: str) -> float:
        from devsentry.browse.query import parse_duration

        return parse_duration(text)


def status_option(func: F) -> F:
    """`issues --status`: which statuses to list (unresolved by default, as Sentry's stream)."""
    from devsentry.store.workflow import STATUS_FILTERS

    return click.option(
        "--status",
        type=click.Choice(STATUS_FILTERS, case_sensitive=False),
        default="unresolved",
        show_default=True,
        help="Only issues with this status (ignored issues whose ignore ran out count as "
        "unresolved); all lists every issue.",
    )(func)


class IssueParam(click.ParamType):
    """`--issue DS-12` (or `12`) as the issue's number."""

    name = "DS-n"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        from devsentry.store.ids import parse_issue_id

        if isinstance(value, int):
            return value
        try:
            return parse_issue_id(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class TagParam(click.ParamType):
    """`--tag browser.name:Chrome` as `("browser.name", "Chrome")` (the value may hold `:`)."""

    name = "KEY:VALUE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        from devsentry.browse.query import parse_tag

        if isinstance(value, tuple):
            return value
        try:
            return parse_tag(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def since_option(what: str = "Only what arrived") -> Callable[[F], F]:
    """`--since` as epoch seconds (`SinceParam`), its help starting with `what`."""
    return click.option(
        "--since",
        type=SinceParam(),
        help=f"{what} since a duration ago (30s, 10m, 2h, 1d, 1w) or an ISO date (local time "
        "unless it has a zone).",
    )


def project_option(func: F) -> F:
    return click.option("--project", help="Only this project id (the number in the DSN).")(func)


def filter_options(func: F) -> F:
    """The filters `issues`, `events` and `tail` share, folded into one `query` argument."""

    @functools.wraps(func)
    def wrapper(
        *args: object,
        project: str | None,
        release: str | None,
        environment: str | None,
        level: str | None,
        since: float | None,
        search: str | None,
        tags: tuple[tuple[str, str], ...],
        **kwargs: object,
    ) -> object:
        from devsentry.store.query import Query

        # `--type`, `--issue` and `--limit` come from other decorators, when the command has them.
        types, issue_id, limit, new_in, status = (
            kwargs.pop(k, None) for k in ("types", "issue_id", "limit", "new_in", "status")
        )
        kwargs["query"] = Query(
            project=project,
            release=release,
            environment=environment,
            level=level.lower() if level else None,
            since=since,
            search=search,
            tags=tags,
            new_in=new_in if isinstance(new_in, str) else None,
            status=status.lower() if isinstance(status, str) and status != "all" else None,
            types=tuple(str(t) for t in types) if isinstance(types, tuple) else (),
            issue_id=issue_id if isinstance(issue_id, int) else None,
            limit=(limit or None) if isinstance(limit, int) else None,
        )
        return func(*args, **kwargs)

    options = [
        project_option,
        click.option("--release", help="Only this release."),
        click.option("--environment", help="Only this environment."),
        click.option(
            "--level",
            type=click.Choice(LEVELS[::-1], case_sensitive=False),
            help="Only this level (warn is warning).",
        ),
        since_option("Only what arrived (for issues: was last seen)"),
        click.option(
            "--search", metavar="TEXT", help="Only titles (and culprits) containing TEXT."
        ),
        click.option(
            "--tag",
            "tags",
            type=TagParam(),
            multiple=True,
            help="Only events with this tag (browser.name:Chrome, user:id:42, release:1.2); "
            "repeatable, all must match. An issue matches when its events carry it.",
        ),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def limit_option(func: F) -> F:
    return click.option(
        "--limit",
        default=50,
        show_default=True,
        type=click.IntRange(0),
        help="Show at most this many rows (0: all).",
    )(func)


def type_options(func: F) -> F:
    """`--type` (repeatable) and `--issue`, for the commands that list items."""
    func = click.option(
        "--issue", "issue_id", type=IssueParam(), help="Only the events of this issue."
    )(func)
    return click.option(
        "--type",
        "types",
        multiple=True,
        metavar="TYPE",
        type=click.Choice(ITEM_TYPES, case_sensitive=False),
        help="Only items of this type; repeat for several. One of: " + ", ".join(ITEM_TYPES) + ".",
    )(func)


class NotFoundError(click.ClickException):
    exit_code = ExitStatus.NOT_FOUND


@contextlib.contextmanager
def library_errors(store_path: Path | None) -> Iterator[None]:
    """Library errors as messages and exit codes: not found 3, anything else 1."""
    import sqlite3

    from devsentry.browse.errors import Ambiguous, BrowseError, NotFound
    from devsentry.store.schema import StoreError

    try:
        yield
    except NotFound as exc:
        raise NotFoundError(str(exc)) from None
    except Ambiguous as exc:
        from devsentry.render.text import clean

        lines = [
            clean(
                f"  {c.event_id}  #{c.id}  {c.type}  {c.title or ''}", single_line=True, limit=100
            )
            for c in exc.candidates
        ]
        raise click.ClickException("\n".join([str(exc), *lines])) from None
    except (BrowseError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(
            f"cannot read the store {resolve_store(store_path)}: {exc}"
        ) from None


@contextlib.contextmanager
def reading(store_path: Path | None, *, writable: bool = False) -> Iterator[Store]:
    """The store (never created), read-only unless `writable`, inside `library_errors`."""
    from devsentry.browse.errors import open_store

    path = resolve_store(store_path)
    with library_errors(store_path), open_store(path, writable=writable) as store:
        yield store


def print_json(data: object, *, pretty: bool = True) -> None:
    """`data` as JSON on stdout: indented, or one line (`tail --json`, `decode --json`)."""
    import msgspec

    encoded = msgspec.json.encode(data)
    if pretty:
        encoded = msgspec.json.format(encoded, indent=2)
    sys.stdout.buffer.write(encoded + b"\n")
    sys.stdout.flush()


def listen_options(func: F) -> F:
    """`--listen-host`, `--listen-port` and `--confdir` of the intercepting proxy."""
    from devsentry.transports.address import DEFAULT_PROXY_PORT

    func = click.option(
        "--confdir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("~/.mitmproxy"),
        show_default=True,
        envvar="DEVSENTRY_CONFDIR",
        show_envvar=True,
        help="mitmproxy's configuration directory; its CA, mitmproxy-ca-cert.pem, is created "
        "there on first start.",
    )(func)
    func = click.option(
        "--listen-port",
        default=DEFAULT_PROXY_PORT,
        show_default=True,
        type=click.IntRange(0, 65535),
        envvar="DEVSENTRY_LISTEN_PORT",
        show_envvar=True,
        help="Port of the intercepting proxy; 0 picks one.",
    )(func)
    return click.option(
        "--listen-host",
        default="127.0.0.1",
        show_default=True,
        envvar="DEVSENTRY_LISTEN_HOST",
        show_envvar=True,
        help="Address of the intercepting proxy. Use 0.0.0.0 to accept other machines.",
    )(func)


def quiet_option(func: F) -> F:
    """`-q`/`--quiet`: no live console."""
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        envvar="DEVSENTRY_QUIET",
        show_envvar=True,
        help="Do not print items as they arrive.",
    )(func)


def export_dir_option(func: F) -> F:
    """`--export-dir`: where the dashboard's `e` writes an event's `.envelope` file."""
    return click.option(
        "--export-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=".",
        show_default=True,
        envvar="DEVSENTRY_EXPORT_DIR",
        show_envvar=True,
        help="Directory the dashboard's e key exports events into, as .envelope fixtures.",
    )(func)


def alert_options(func: F) -> F:
    """`--alert`, `--notify`, `--on-issue`, `--webhook` (serve, intercept and run), folded
    into one `alerts` argument: an `AlertPolicy`, or None when no target is given."""

    @functools.wraps(func)
    def wrapper(
        *args: object,
        alert: str | None,
        notify: bool,
        on_issue: str | None,
        webhook: str | None,
        **kwargs: object,
    ) -> object:
        kwargs["alerts"] = alert_policy(alert, notify, on_issue, webhook)
        return func(*args, **kwargs)

    options = [
        click.option(
            "--alert",
            metavar="KINDS",
            envvar="DEVSENTRY_ALERT_ON",
            show_envvar=True,
            help="What to alert on: new (an issue's first event), regressed (a resolved issue "
            "came back), unignored (an ignore ran out), comma-separated, or all. [default: all]",
        ),
        click.option(
            "--notify",
            is_flag=True,
            envvar="DEVSENTRY_NOTIFY",
            show_envvar=True,
            help="Alert with a desktop notification (else the terminal's notification and bell).",
        ),
        click.option(
            "--on-issue",
            metavar="CMD",
            envvar="DEVSENTRY_ON_ISSUE",
            show_envvar=True,
            help="Alert by running CMD, the issue in DEVSENTRY_ISSUE_* variables and its JSON on "
            "stdin (through sh -c only when CMD has shell syntax).",
        ),
        click.option(
            "--webhook",
            metavar="URL",
            envvar="DEVSENTRY_WEBHOOK",
            show_envvar=True,
            help="Alert by POSTing a Slack incoming-webhook message (Mattermost takes it too) "
            "with the issue as JSON.",
        ),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def alert_policy(
    alert: str | None, notify: bool, on_issue: str | None, webhook: str | None
) -> AlertPolicy | None:
    """The policy the alert options describe; a bad value names its flag."""
    from urllib.parse import urlsplit

    from devsentry.sinks.alerts import ALERT_KINDS, AlertPolicy

    if not (notify or on_issue or webhook):
        if alert:
            raise click.UsageError("--alert needs --notify, --on-issue or --webhook")
        return None
    kinds = frozenset(ALERT_KINDS)
    if alert:
        words = {w.strip().lower() for w in alert.split(",") if w.strip()}
        unknown = sorted(words - {*ALERT_KINDS, "all"})
        if unknown or not words:
            raise click.BadParameter(
                f"{', '.join(unknown) or alert!r}: use {', '.join(ALERT_KINDS)} or all",
                param_hint="--alert",
            )
        kinds = frozenset(ALERT_KINDS) if "all" in words else frozenset(words)
    if on_issue is not None and not on_issue.strip():
        raise click.BadParameter("the command is empty", param_hint="--on-issue")
    if webhook is not None:
        parts = urlsplit(webhook)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise click.BadParameter(f"{webhook!r} is not an http(s) URL", param_hint="--webhook")
    return AlertPolicy(kinds=kinds, notify=notify, command=on_issue, webhook=webhook)


def workers_option(func: F) -> F:
    """`--workers`: whether processing, the index and the console run in a process of their
    own (the default) or in the ingest process."""
    return click.option(
        "--workers",
        default=1,
        show_default=True,
        type=click.IntRange(0, 1),
        envvar="DEVSENTRY_WORKERS",
        show_envvar=True,
        help="Worker processes for what follows the commit (processing, the index, the "
        "console, forwarding): 1 runs them beside the ingest process, on a core of their "
        "own; 0 runs everything in one process.",
    )(func)
