"""Write a store file with a devsentry release, for the upgrade tests (`tests/test_schema.py`).

Every release's schema must open in every later one. This replays the recorded fixtures into a
fresh store with the `devsentry` command given (an installed release, say
`/tmp/old/.venv/bin/devsentry`), clears nothing, and checkpoints the WAL so the store is one
file. Commit the result as `fixtures/stores/<version>.db`.

Usage: python scripts/record_store.py DEVSENTRY OUT.db
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    devsentry, out = sys.argv[1], Path(sys.argv[2])
    if out.exists():
        sys.exit(f"{out} exists; remove it first")
    for directory in ("python", "node"):
        subprocess.run(
            [devsentry, "replay", ROOT / "fixtures" / directory, "--to-store", "--store", out],
            check=True,
        )
    db = sqlite3.connect(out)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode = DELETE")
    db.close()
    version = subprocess.run([devsentry, "--version"], capture_output=True, text=True, check=True)
    print(f"{out}: written by {version.stdout.strip()}")


if __name__ == "__main__":
    main()
