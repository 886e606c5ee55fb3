"""docs/cli.md, the command reference, generated from the --help texts (one source for both).

``python -m rawnet.cli.reference > docs/cli.md``; tests/cli/test_app.py checks the file is current.
"""

from __future__ import annotations

import click

from rawnet.cli.app import cli

HEADER = """\
# rawnet command reference

Generated from the `--help` texts by `python -m rawnet.cli.reference > docs/cli.md`; a test
fails when this file and the help texts differ. `rawnet COMMAND --help` shows the same.

## Conventions

- **Privileges.** Sending and capturing need raw sockets: run as root, or give the Python
  interpreter CAP_NET_RAW (`sudo setcap cap_net_raw+ep $(readlink -f $(which python3))`); `rawnet
  lab` needs CAP_SYS_ADMIN. `decode`, `pcap` and `sniff -r` need nothing.
- **Exit codes.** 0 ok; 1 no reply, host down, or a network failure (no route); 2 usage error
  (a bad option, address, interface, filter or file); 3 a missing privilege; 130 interrupted
  before anything could be summarised.
- **Errors** are one line on stderr, `rawnet COMMAND: what went wrong (how to fix it)`, never a
  traceback.
- **`--json`**: results as one JSON object per line on stdout (bytes as hex), and for commands
  with statistics a last object `{"type": "statistics", ...}`. Remarks for people go to stderr.
- **Ctrl-C** ends a long run and prints its summary (statistics, capture counts) first.
- **Live counters** (rich) appear on stderr only when it is a terminal.
- **Shell completion**: `eval "$(rawnet completion bash)"` (or zsh, fish).
- **Intervals** take seconds (`0.5`, `2s`), `10ms`, `100us`, or hping3's `u100` (microseconds).
- **Ports** take `80`, `20-25`, `22,80,443`, or hping3's `++1024` (one more per packet sent).
"""


def render() -> str:
    """The whole reference: the header, then every command's help, subcommands nested."""
    root = click.Context(cli, info_name="rawnet", terminal_width=100, **cli.context_settings)
    parts = [HEADER, f"## rawnet\n\n```text\n{cli.get_help(root)}\n```\n"]
    _commands(cli, root, parts, "##")
    return "\n".join(parts)


def _commands(group: click.Group, parent: click.Context, parts: list[str], level: str) -> None:
    for name in group.list_commands(parent):
        command = group.get_command(parent, name)
        if command is None:
            continue
        context = click.Context(
            command, info_name=name, parent=parent, terminal_width=100, max_content_width=100
        )
        parts.append(f"{level} {context.command_path}\n\n```text\n{command.get_help(context)}\n```\n")
        if isinstance(command, click.Group):
            _commands(command, context, parts, level + "#")


if __name__ == "__main__":
    print(render(), end="")
