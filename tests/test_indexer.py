"""The indexer: envelopes committed but not yet indexed (a crash, a flood) are never lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

from devsentry.protocol import parse
from devsentry.store import NewEnvelope
from devsentry.store.writer import StoreWriter
from devsentry.testing import LocalServer
from tests.conftest import FIXTURES


def test_unindexed_envelopes_are_indexed_and_shown_at_next_start(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    raw = (FIXTURES / "python" / "error_plain.envelope").read_bytes()

    async def commit_without_indexing() -> None:
        writer = StoreWriter(path)
        try:
            for _ in range(3):
                await writer.write(
                    NewEnvelope(
                        raw=raw,
                        project="9",
                        transport="envelope",
                        received=1.0,
                        items=[],
                        event_id=parse(raw).event_id,
                    )
                )
        finally:
            writer.close()

    asyncio.run(commit_without_indexing())  # as if the process died right after the commits
    with LocalServer(path) as server:
        items = server.wait_for("event", count=3)
        assert {i.project for i in items} == {"9"}
        (issue,) = server.issues
        assert issue.count == 3
        server.wait_for_output("seen 3 times")
