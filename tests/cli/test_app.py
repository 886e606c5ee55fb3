"""The command as a whole: help with examples everywhere, one-line errors, completion, the reference."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click
import pytest

from rawnet.cli.app import COMMANDS, cli
from rawnet.cli.reference import render
from tests.cli.conftest import RAWNET, assert_one_line_error, rawnet

ROOT = Path(__file__).resolve().parents[2]


def every_command() -> list[list[str]]:
    """The path of every subcommand, nested groups included (rawnet pcap info, ...)."""
    found: list[list[str]] = []

    def walk(group: click.Group, context: click.Context, path: list[str]) -> None:
        for name in group.list_commands(context):
            command = group.get_command(context, name)
            assert command is not None
            found.append([*path, name])
            if isinstance(command, click.Group):
                walk(command, click.Context(command, info_name=name, parent=context), [*path, name])

    walk(cli, click.Context(cli, info_name="rawnet"), [])
    return found


def test_the_reference_in_docs_is_generated_from_the_help_texts() -> None:
    written = (ROOT / "docs" / "cli.md").read_text()
    assert written == render(), "docs/cli.md is stale: python -m rawnet.cli.reference > docs/cli.md"


@pytest.mark.parametrize("path", every_command(), ids=" ".join)
def test_every_command_has_help_with_examples(path: list[str]) -> None:
    result = rawnet(None, "", *path, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: rawnet {' '.join(path)}")
    examples = [line for line in result.stdout.splitlines() if line.strip().startswith("rawnet ")]
    assert examples, f"rawnet {' '.join(path)} --help shows no example"


def test_the_registry_and_the_group_agree() -> None:
    assert [path[0] for path in every_command() if len(path) == 1] == list(COMMANDS)


def test_an_unknown_command_or_choice_is_one_line_and_exit_2() -> None:
    assert_one_line_error(rawnet(None, "", "nosuch"), 2, "No such command 'nosuch'")
    assert_one_line_error(rawnet(None, "", "completion", "tcsh"), 2, "rawnet completion", "tcsh")


def test_a_bare_rawnet_prints_its_help_on_stdout_and_exits_0() -> None:
    result = rawnet(None, "")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout == rawnet(None, "", "--help").stdout
    assert result.stdout.startswith("Usage: rawnet [OPTIONS] [COMMAND] [ARGS]...")


def test_version() -> None:
    result = rawnet(None, "", "--version")
    assert result.returncode == 0 and result.stdout.startswith("rawnet, version ")


def test_shell_completion_completes_subcommands_and_options() -> None:
    script = rawnet(None, "", "completion", "bash")
    assert script.returncode == 0
    syntax = subprocess.run(["bash", "-n"], input=script.stdout, text=True, capture_output=True)
    assert syntax.returncode == 0, syntax.stderr  # bash accepts the script
    environment = {
        **os.environ,
        "_RAWNET_COMPLETE": "bash_complete",
        "COMP_WORDS": "rawnet sn",
        "COMP_CWORD": "1",
    }
    assert "sniff" in completions(environment) and "send" not in completions(environment)
    environment["COMP_WORDS"], environment["COMP_CWORD"] = "rawnet completion ", "2"
    assert {"bash", "zsh", "fish"} <= set(completions(environment))


def completions(environment: dict[str, str]) -> list[str]:
    """What click's bash completion offers: lines of "type,value"."""
    out = subprocess.run(RAWNET, env=environment, capture_output=True, text=True).stdout
    return [line.partition(",")[2] for line in out.splitlines()]
