"""The processing stage end to end with the real sentry-sdk: tags, facets, releases, filters.

Two releases of an app fail for several users (`tests/apps/releases.py`); what Sentry derives
from those events is checked where a user reads it: `show --json`, `issues --json`, `tags`,
the `--tag` and `--new-in` filters, and the live console.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from devsentry.cli import cli
from devsentry.testing import LocalServer
from tests.conftest import run_python_app


def run(store: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "--store", str(store), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """shop@2.0.0 fails for users 1 (gold), 2 and 3; shop@2.1.0 for 1 and 4, and brings a new
    failure. Returns the store and what the live console printed."""
    store = tmp_path_factory.mktemp("processing") / "store.db"
    with LocalServer(store) as server:
        run_python_app("releases", "shop@2.0.0", "1:gold", "2", "3", SENTRY_DSN=server.dsn)
        server.wait_for(count=3)
        run_python_app("releases", "shop@2.1.0", "1:gold", "4", "--new", SENTRY_DSN=server.dsn)
        server.wait_for(count=6)
        output = server.wait_for_output("KeyError")
    return store, output


def facet(tags: list[dict[str, Any]], key: str) -> dict[str, int]:
    (found,) = [t for t in tags if t["key"] == key]
    return {v["value"]: v["count"] for v in found["values"]}


def test_an_issue_counts_its_tags_over_every_event(shop: tuple[Path, str]) -> None:
    store, _ = shop
    shown = run(store, "show", "DS-1")
    tags = shown["issue"]["tags"]
    assert facet(tags, "tier") == {"free": 3, "gold": 2}
    assert facet(tags, "user") == {"id:1": 2, "id:2": 1, "id:3": 1, "id:4": 1}
    assert facet(tags, "release") == {"shop@2.0.0": 3, "shop@2.1.0": 2}
    assert facet(tags, "environment") == {"staging": 5}
    (user,) = [t for t in tags if t["key"] == "user"]
    assert (user["total"], user["distinct"]) == (5, 4)
    assert user["values"][0] == {"value": "id:1", "count": 2}  # most common first
    # The event's own tags, as Sentry's event JSON has them: pairs, the SDK's first.
    assert shown["tags"][0] == ["tier", "free"]
    assert ["user", "id:4"] in shown["tags"] and ["release", "shop@2.1.0"] in shown["tags"]
    assert shown["normalized"]["tags"] == shown["tags"]
    assert shown["in_sentry"] == {"verdict": "kept", "notes": []}


def test_issues_know_their_first_release_and_every_release(shop: tuple[Path, str]) -> None:
    store, _ = shop
    issues = {i["title"].split(":")[0]: i for i in run(store, "issues")}
    assert issues["RuntimeError"]["first_release"] == "shop@2.0.0"
    assert issues["RuntimeError"]["releases"] == ["shop@2.0.0", "shop@2.1.0"]
    assert issues["KeyError"]["first_release"] == "shop@2.1.0"
    assert issues["KeyError"]["releases"] == ["shop@2.1.0"]
    new = run(store, "issues", "--new-in", "shop@2.1.0")
    assert [i["title"] for i in new] == ["KeyError: 'coupon'"]
    assert run(store, "issues", "--new-in", "shop@9.9.9") == []


def test_the_console_says_when_a_release_brings_a_new_issue(shop: tuple[Path, str]) -> None:
    _, output = shop
    assert "new issue DS-2 · new in shop@2.1.0" in output
    # The first issue came with the first release seen: nothing was "before" it.
    assert "new issue DS-1   devsentry show DS-1" in output


def test_tag_filters_match_events_and_issues(shop: tuple[Path, str]) -> None:
    store, _ = shop
    gold = run(store, "events", "--tag", "tier:gold")
    assert len(gold) == 2 and {e["user"] for e in gold} == {"id:1"}
    both = run(store, "events", "--tag", "tier:free", "--tag", "release:shop@2.1.0")
    assert {e["user"] for e in both} == {"id:4"}  # every --tag must match
    assert run(store, "events", "--tag", "user:id:3")[0]["user"] == "id:3"  # `:` in the value
    assert [i["id"] for i in run(store, "issues", "--tag", "user:id:2")] == ["DS-1"]
    assert run(store, "issues", "--tag", "tier:platinum") == []


def test_export_takes_the_tag_filter(shop: tuple[Path, str], tmp_path: Path) -> None:
    store, _ = shop
    written = run(store, "export", "--output", str(tmp_path), "--tag", "tier:gold")
    assert len(written) == 2


def test_tags_prints_the_whole_distribution(shop: tuple[Path, str]) -> None:
    store, _ = shop
    data = run(store, "tags", "DS-1", "user")
    assert data["issue"] == "DS-1" and data["count"] == 5
    assert [(t["key"], t["total"]) for t in data["tags"]] == [("user", 5)]
    text = CliRunner().invoke(cli, ["tags", "DS-1", "--store", str(store)], env={"COLUMNS": "100"})
    assert text.exit_code == 0, text.output
    assert "tier (5 events, 2 values)" in text.output
    assert "gold" in text.output and "40%" in text.output
    missing = CliRunner().invoke(cli, ["tags", "DS-1", "nope", "--store", str(store)])
    assert missing.exit_code == 3 and "no event of DS-1 has the tag 'nope'" in missing.output
    gone = CliRunner().invoke(cli, ["tags", "DS-99", "--store", str(store)])
    assert gone.exit_code == 3


def test_show_prints_facets_and_releases(shop: tuple[Path, str]) -> None:
    store, _ = shop
    page = CliRunner().invoke(cli, ["show", "DS-1", "--store", str(store)], env={"COLUMNS": "120"})
    assert page.exit_code == 0, page.output
    assert "first seen in shop@2.0.0 · in 2 releases" in page.output
    assert "Tags of DS-1 (5 events)" in page.output
    assert "free 60% · gold 40%" in page.output
    assert "In Sentry" in page.output and "kept" in page.output
