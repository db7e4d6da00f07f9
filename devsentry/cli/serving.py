"""`serve`, `intercept`, `run` and `addon-path`: the commands that receive what SDKs send."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from devsentry.cli.app import cli
from devsentry.cli.options import (
    alert_options,
    allow_origin_option,
    export_dir_option,
    forward_options,
    forward_policy,
    listen_options,
    quiet_option,
    resolve_store,
    sourcemap_options,
    store_option,
    workers_option,
)
from devsentry.protocol.limits import DEFAULT_MAX_SIZE, MIB
from devsentry.render.console import make_console
from devsentry.store.schema import StoreError
from devsentry.store.store import DEFAULT_KEEP
from devsentry.transports.address import DEFAULT_PORT

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractAsyncContextManager

    from rich.console import Console

    from devsentry.ingest.origins import OriginPolicy
    from devsentry.process.sourcemaps import SourceMapPolicy
    from devsentry.sinks.alerts import AlertPolicy
    from devsentry.transports.server import Server


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="DEVSENTRY_HOST",
    show_envvar=True,
    help="Address to listen on. Use 0.0.0.0 to accept other machines (e.g. containers).",
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="DEVSENTRY_PORT",
    show_envvar=True,
    help="Port to listen on (8969 is Spotlight's, so spotlight=True finds it); 0 picks one.",
)
@store_option
@click.option(
    "--keep",
    default=DEFAULT_KEEP,
    show_default=True,
    type=click.IntRange(1),
    envvar="DEVSENTRY_KEEP",
    show_envvar=True,
    help="Retention: keep the newest N envelopes, prune older ones.",
)
@click.option(
    "--max-size",
    default=DEFAULT_MAX_SIZE // MIB,
    show_default=True,
    type=click.IntRange(1),
    envvar="DEVSENTRY_MAX_SIZE",
    show_envvar=True,
    help="Largest envelope accepted, in MiB, after decompression (bigger gets a 413).",
)
@allow_origin_option
@sourcemap_options
@forward_options()
@alert_options
@quiet_option
@click.option(
    "--ui",
    "dashboard",
    is_flag=True,
    envvar="DEVSENTRY_UI",
    show_envvar=True,
    help="Show the dashboard (`devsentry ui`) instead of printing items as they arrive.",
)
@export_dir_option
@workers_option
def serve(
    host: str,
    port: int,
    store_path: Path | None,
    keep: int,
    max_size: int,
    origins: OriginPolicy,
    sourcemaps: SourceMapPolicy,
    forward: str | None,
    forward_types: str | None,
    forward_sample: float,
    alerts: AlertPolicy | None,
    quiet: bool,
    dashboard: bool,
    export_dir: Path,
    workers: int,
) -> None:
    """Run the local ingest server.

    Point an SDK at it with SENTRY_DSN=http://devsentry@127.0.0.1:8969/1 (any key and any
    numeric project id work; the project id is recorded), or turn on the SDK's Spotlight
    option. Every envelope is stored, grouped into issues and printed live.

    Requests from web pages (those with an Origin header) are accepted only from pages on
    localhost, 127.0.0.1 and [::1], and from origins given with --allow-origin: any website
    you visit could otherwise send events here.

    With --forward DSN, a copy of every accepted envelope also goes to that DSN (your team's
    Sentry, a staging Sentry or a Relay), in the background, through a durable outbox.

    With --notify, --on-issue CMD or --webhook URL, new issues and regressions raise an alert
    (--alert chooses which), off the ingest path, a burst summed up in one.

    With --ui, the dashboard of `devsentry ui` takes the terminal while the server runs
    beside it; quitting the dashboard stops the server.

    Processing, the index, the live console and alerts run in a worker process beside the
    one that answers SDKs (--workers 0: all in one process).
    """
    from devsentry.render.banner import serve_banner, sourcemaps_line
    from devsentry.render.forwarding import forward_line
    from devsentry.render.workflow import alerts_line
    from devsentry.service import run_until_stopped, serving

    console = make_console()
    path = resolve_store(store_path)
    policy = forward_policy(forward, forward_types, forward_sample, need_dsn=True)

    def server() -> AbstractAsyncContextManager[Server]:
        return serving(
            path,
            host=host,
            port=port,
            keep=keep,
            max_size=max_size * MIB,
            forward=policy,
            origins=origins,
            # the dashboard takes the terminal: no console beside it
            **after_commit(console, quiet or dashboard, workers, alerts, sourcemaps),
        )

    if dashboard:
        _serve_with_ui(server, path, export_dir, f"{host}:{port}")
        return

    def ready(server: Server) -> None:
        console.print(
            serve_banner(
                server.base_url, server.dsn(), server.spotlight_url, path, server.agents_url
            )
        )
        if policy is not None:
            console.print(forward_line(policy), highlight=False)
        if alerts is not None:
            console.print(alerts_line(alerts), highlight=False)
        if (maps := sourcemaps_line(sourcemaps.fetch_from, sourcemaps.dirs)) is not None:
            console.print(maps, highlight=False, soft_wrap=True)

    try:
        run_until_stopped(server, ready)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from None


def _serve_with_ui(
    factory: Callable[[], AbstractAsyncContextManager[Server]],
    path: Path,
    export_dir: Path,
    address: str,
) -> None:
    """The server on a loop of its own in a thread, the dashboard on the main thread (Textual
    owns it) until the user quits; then the server drains and stops."""
    from devsentry.service import Background
    from devsentry.ui.app import run_ui

    background = Background(factory, "devsentry-serve")
    try:
        server = background.start()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {address}: {exc.strerror or exc}") from None
    try:
        run_ui(path, export_dir=export_dir, serving=f"DSN {server.dsn()}")
    finally:
        background.stop()


@cli.command()
@listen_options
@click.option(
    "--sentry-host",
    "sentry_hosts",
    multiple=True,
    metavar="PATTERN",
    help="Also record the ingest routes of this host (a self-hosted Sentry), a name or an "
    "fnmatch pattern; repeatable. sentry.io and *.sentry.io always are, and so is any host "
    "when the request carries Sentry auth.",
)
@store_option
@sourcemap_options
@forward_options(dsn_optional=True)
@alert_options
@quiet_option
@workers_option
def intercept(
    listen_host: str,
    listen_port: int,
    confdir: Path,
    sentry_hosts: tuple[str, ...],
    store_path: Path | None,
    sourcemaps: SourceMapPolicy,
    forward: str | None,
    forward_types: str | None,
    forward_sample: float,
    alerts: AlertPolicy | None,
    quiet: bool,
    workers: int,
) -> None:
    """Record an app's Sentry traffic through mitmproxy, without changing its DSN.

    Runs mitmproxy as an HTTP(S) proxy. Requests to Sentry's ingest routes are stored and
    answered here, as Sentry would answer them, so nothing leaves the machine and no
    network is needed; all other traffic passes through untouched. The app needs the proxy
    variables and mitmproxy's CA, which this prints (or use `devsentry run --intercept`).
    """
    from mitmproxy.version import VERSION
    from rich.text import Text

    from devsentry.render.banner import intercept_banner, sourcemaps_line
    from devsentry.render.forwarding import forward_line
    from devsentry.render.workflow import alerts_line
    from devsentry.service import intercepting, run_until_stopped
    from devsentry.transports.addon import DEFAULT_HOSTS
    from devsentry.transports.intercept import InterceptError, Proxy

    console = make_console()
    path = resolve_store(store_path)
    policy = forward_policy(forward, forward_types, forward_sample, need_dsn=False)

    def warn(message: str) -> None:
        console.print(Text("mitmproxy: " + message, style="yellow"))

    def ready(proxy: Proxy) -> None:
        banner = intercept_banner(
            proxy.url,
            proxy.env(),
            proxy.ca_cert,
            proxy.store,
            (*DEFAULT_HOSTS, *sentry_hosts),
            mitmproxy_version=VERSION,
            forwarding=policy is not None,
        )
        console.print(banner, soft_wrap=True)
        if policy is not None:
            console.print(forward_line(policy), highlight=False)
        if alerts is not None:
            console.print(alerts_line(alerts), highlight=False)
        if (maps := sourcemaps_line(sourcemaps.fetch_from, sourcemaps.dirs)) is not None:
            console.print(maps, highlight=False, soft_wrap=True)

    try:
        run_until_stopped(
            lambda: intercepting(
                path,
                host=listen_host,
                port=listen_port,
                confdir=confdir,
                hosts=sentry_hosts,
                on_warning=warn,
                forward=policy,
                **after_commit(console, quiet, workers, alerts, sourcemaps),
            ),
            ready,
        )
    except (InterceptError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None


def after_commit(
    console: Console,
    quiet: bool,
    workers: int,
    alerts: AlertPolicy | None,
    sourcemaps: SourceMapPolicy,
) -> dict[str, Any]:
    """The `sinks=` (one process) or `work=` and `notices=` (a worker process) of an
    assembly in `devsentry.service`, for the console `console` unless quiet; alerts and
    source maps go wherever processing runs."""
    from devsentry.service import make_sinks

    after: dict[str, Any] = {"alerts": alerts, "sourcemaps": sourcemaps}
    if not workers:
        return {**after, "sinks": make_sinks(None if quiet else console)}
    from devsentry.worker import Work

    work = Work(console=not quiet)
    return {**after, "work": work, "notices": None if quiet else console}


@cli.command("addon-path")
def addon_path() -> None:
    """Print the path of devsentry's mitmproxy addon, for your own mitmproxy.

    mitmdump -s "$(devsentry addon-path)" records Sentry requests into the default store
    (--set devsentry_store=PATH for another, --set devsentry_hosts=HOST for a self-hosted
    Sentry) and answers them locally. Use the mitmdump or mitmproxy installed with
    devsentry, so the addon can import it.
    """
    import importlib.util

    spec = importlib.util.find_spec("devsentry.transports.addon")
    assert spec is not None and spec.origin is not None
    click.echo(spec.origin)


@cli.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.option(
    "--intercept",
    "use_proxy",
    is_flag=True,
    help="Send the command through `devsentry intercept` (proxy and CA variables) instead of "
    "setting its DSN, so the app keeps its own.",
)
@click.option(
    "--spotlight",
    is_flag=True,
    help="Set SENTRY_SPOTLIGHT instead of SENTRY_DSN: the app keeps its DSN and also sends "
    "a copy here.",
)
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="DEVSENTRY_PORT",
    show_envvar=True,
    help="Port of `devsentry serve`: used if one answers there, else one is started there for "
    "the command; 0 always starts one, on a free port.",
)
@listen_options
@store_option
@alert_options
@sourcemap_options
@quiet_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def run_command(
    use_proxy: bool,
    spotlight: bool,
    port: int,
    listen_host: str,
    listen_port: int,
    confdir: Path,
    store_path: Path | None,
    alerts: AlertPolicy | None,
    sourcemaps: SourceMapPolicy,
    quiet: bool,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND with its Sentry traffic going to devsentry: devsentry run -- npm start.

    Sets SENTRY_DSN to a running `devsentry serve` (or one started for the command's
    lifetime); with --intercept, the proxy and CA variables of a running `devsentry
    intercept` (or one started for the command). Items are printed on stderr as they
    arrive. Exits with the command's exit status; Ctrl-C goes to the command first.
    """
    from rich.text import Text

    from devsentry.launch import RunError, intercept_target, serve_target
    from devsentry.launch import run_command as run_child

    if use_proxy and spotlight:
        raise click.UsageError("--spotlight and --intercept are two different routes; pick one")

    console = make_console(stderr=True)
    sink_console = None if quiet else console
    path = resolve_store(store_path)

    def warn(message: str) -> None:
        console.print(Text("mitmproxy: " + message, style="yellow"))

    try:
        if use_proxy:
            target = intercept_target(
                listen_host,
                listen_port,
                confdir,
                path,
                sink_console,
                warn,
                alerts=alerts,
                sourcemaps=sourcemaps,
            )
        else:
            target = serve_target(
                port, path, sink_console, spotlight=spotlight, alerts=alerts, sourcemaps=sourcemaps
            )
    except RunError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(Text("devsentry run: " + target.description, style="dim"), soft_wrap=True)
    if alerts is not None and target.started is None:
        console.print(
            Text("devsentry run: alerts are the running devsentry's (its own options)", "yellow")
        )
    try:
        code = run_child(command, {**os.environ, **target.env})
    except RunError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if target.started is not None:
            target.started.stop()
    sys.exit(code)
