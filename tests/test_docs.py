"""The README keeps up with the code: every command, every option, and the library imports
it shows (as sqlite-utils' `tests/test_docs.py` keeps its docs honest)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from devsentry.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text()
COMMANDS = sorted(cli.commands.items())


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_is_in_the_readme_with_help(name: str, command: click.Command) -> None:
    assert f"devsentry {name}" in README, f"the README never shows `devsentry {name}`"
    assert command.help and command.help.strip(), f"`devsentry {name}` has no --help text"


OPTIONS = [
    (name, flag)
    for name, command in COMMANDS
    for param in command.params
    if isinstance(param, click.Option)
    for flag in param.opts
    if flag.startswith("--")
]


@pytest.mark.parametrize(("name", "flag"), OPTIONS, ids=[f"{n} {f}" for n, f in OPTIONS])
def test_every_option_is_in_the_readme(name: str, flag: str) -> None:
    assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", README), (
        f"`devsentry {name} {flag}` is not in the README"
    )


def test_every_env_twin_is_in_the_readme() -> None:
    twins = {
        env
        for _, command in COMMANDS
        for param in command.params
        if isinstance(param, click.Option) and isinstance(param.envvar, str)
        for env in [param.envvar]
    }
    missing = sorted(t for t in twins if t not in README)
    assert not missing, f"environment variables not in the README: {missing}"


def test_the_library_imports_the_readme_shows_work() -> None:
    block = README.split("## The library", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    imports = [line for line in block.splitlines() if line.startswith(("from ", "import "))]
    assert imports, "the library section shows no imports"
    for line in imports:
        exec(compile(line, "README.md", "exec"), {})
