"""`trace`, `traces` and `perf`: following requests across services, and how fast they are."""

from __future__ import annotations

from pathlib import Path

import click

from devsentry.cli.app import cli
from devsentry.cli.options import (
    json_option,
    limit_option,
    print_json,
    project_option,
    reading,
    since_option,
    store_option,
)
from devsentry.render.console import make_console


@cli.command()
@click.argument("trace_id", metavar="TRACE_ID")
@click.option("--full", is_flag=True, help="Draw every span (long traces are cut).")
@store_option
@json_option
def trace(trace_id: str, full: bool, store_path: Path | None, as_json: bool) -> None:
    """Show one trace across services: every transaction, span, error and log as one tree.

    TRACE_ID is a trace id or a unique start of one (`devsentry traces` lists them; `show`
    of any item of a trace prints the command). Spans are joined on their parent span across
    services; each row names its service (project, SDK, server), op, duration and status,
    and errors and logs are marked on the span and at the moment they happened.
    """
    from devsentry.browse.traces import load_trace, trace_json
    from devsentry.render.trace import render_trace

    with reading(store_path) as store:
        found = load_trace(store, trace_id)
    if as_json:
        print_json(trace_json(found))
    else:
        make_console().print(render_trace(found, full=full))


@cli.command()
@since_option("Only traces that started")
@project_option
@limit_option
@store_option
@json_option
def traces(
    since: float | None, project: str | None, limit: int, store_path: Path | None, as_json: bool
) -> None:
    """List recent traces, newest first: root transaction, services, duration, spans, errors."""
    from devsentry.browse.traces import recent_traces, traces_json
    from devsentry.render.trace import render_traces

    with reading(store_path) as store:
        rows = recent_traces(store, since=since, project=project, limit=limit or None)
    if as_json:
        print_json(traces_json(rows))
    else:
        make_console().print(render_traces(rows))


@cli.command()
@since_option("Only transactions that started")
@project_option
@limit_option
@store_option
@json_option
def perf(
    since: float | None, project: str | None, limit: int, store_path: Path | None, as_json: bool
) -> None:
    """Show how fast each transaction is: count, throughput, p50 to p99, failure rate.

    One row per transaction name and op (an endpoint, a pageload), busiest first, with a chart
    of its duration over the window, the span ops that take its time, and for browser
    pageloads and navigations the Web Vitals the SDK measured, graded good, meh or poor as
    Sentry grades them. The failure rate is Sentry's: the share of transactions whose status
    is not ok, cancelled or unknown.
    """
    from devsentry.browse.perf import perf_json, perf_report
    from devsentry.render.perf import render_perf

    with reading(store_path) as store:
        report = perf_report(store, since=since, project=project, limit=limit or None)
    if as_json:
        print_json(perf_json(report))
    else:
        make_console().print(render_perf(report))
