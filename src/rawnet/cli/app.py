"""The ``rawnet`` command: a click group whose subcommands live one module each, loaded on use.

Every error a user can cause ends as one line on stderr, ``rawnet <command>: <what> (<fix>)``,
with the exit code of common.py (2 usage, 3 permission, 1 no reply or network failure); no
traceback. Subcommands return their exit code.
"""

from __future__ import annotations

import errno
import importlib
import signal
import sys
from typing import Any

import click

from rawnet.cli.common import NO_REPLY, OK, PERMISSION, USAGE, StopOnce
from rawnet.errors import (
    DecodeError,
    FieldValueError,
    InputError,
    InterfaceError,
    PrivilegeError,
    RawnetError,
)

#: Subcommand name -> "module:function" (imported only when the subcommand runs or is listed).
COMMANDS = {
    "send": "rawnet.cli.send:send",
    "ping": "rawnet.cli.ping:ping",
    "traceroute": "rawnet.cli.traceroute:traceroute",
    "arping": "rawnet.cli.arping:arping",
    "scan": "rawnet.cli.scan:scan",
    "sniff": "rawnet.cli.sniff:sniff",
    "decode": "rawnet.cli.decode:decode",
    "pcap": "rawnet.cli.pcaptool:pcap",
    "echo": "rawnet.cli.echo:echo",
    "http": "rawnet.cli.http:http",
    "lab": "rawnet.cli.labcmd:lab",
    "demo": "rawnet.cli.demo:demo",
    "completion": "rawnet.cli.app:completion",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when it is needed (fast start, few imports)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="rawnet", prog_name="rawnet")
@click.pass_context
def cli(ctx: click.Context) -> int:
    """Craft, send, receive and decode packets at every layer Linux offers.

    \b
    rawnet send 198.18.1.2 -p 80 -S -c 3        # three TCP SYNs (hping3-style)
    rawnet ping 198.18.1.2                      # ICMP echo; --tcp, --udp, -6
    rawnet sniff -i eth0 'tcp port 80' -c 10    # tcpdump-like lines
    rawnet decode 45000014...                   # a field tree with checksum status

    Raw sockets need root or CAP_NET_RAW. Exit codes: 0 ok, 1 no reply / host down,
    2 usage error, 3 missing privilege.
    """
    if ctx.invoked_subcommand is None:  # a bare `rawnet`: its help on stdout, exit 0 (as git, ip)
        click.echo(ctx.get_help())
    return OK


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> int:
    """Print the shell completion script for SHELL.

    \b
    eval "$(rawnet completion bash)"     # in ~/.bashrc
    rawnet completion fish > ~/.config/fish/completions/rawnet.fish
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None
    click.echo(completer(cli, {}, "rawnet", "_RAWNET_COMPLETE").source())
    return OK


def exit_code(error: BaseException) -> tuple[int, str]:
    """The exit code and one-line message for an error a user can cause."""
    if isinstance(error, PrivilegeError):
        return PERMISSION, str(error)
    if isinstance(error, PermissionError) and not error.filename:
        return PERMISSION, f"{error.strerror or error}: run as root, or grant cap_net_raw with setcap"
    if isinstance(error, InputError | InterfaceError | FieldValueError | DecodeError):
        return USAGE, str(error)  # what the user typed or pointed at
    if isinstance(error, RawnetError):
        return NO_REPLY, str(error)  # the network said no: no route, no neighbour, too long
    if isinstance(error, OSError):
        if error.filename:  # a file the user named
            return USAGE, f"{error.filename}: {error.strerror}"
        if error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return NO_REPLY, f"{error.strerror}: see `ip route`"
        return NO_REPLY, error.strerror or str(error)
    raise error


def main(argv: list[str] | None = None) -> None:
    """The console script: run, then exit with the subcommand's code; errors as one line.

    SIGINT stops the run even when it was inherited ignored (``rawnet ... &`` in a script), and
    only its first stops it: those after it are ignored while the run prints its statistics.
    """
    signal.signal(signal.SIGINT, StopOnce())
    args = sys.argv[1:] if argv is None else argv
    command = next((arg for arg in args if arg in COMMANDS), "")
    prefix = f"rawnet {command}".strip()
    try:
        code: Any = cli.main(args=args, prog_name="rawnet", standalone_mode=False)
    except click.UsageError as error:
        where = error.ctx.command_path if error.ctx is not None else prefix
        click.echo(f"{where}: {error.format_message()} (see {where} --help)", err=True)
        sys.exit(USAGE)
    except click.ClickException as error:
        click.echo(f"{prefix}: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("", err=True)
        sys.exit(130)
    except (RawnetError, OSError) as error:
        code, message = exit_code(error)
        click.echo(f"{prefix}: {message}", err=True)
        sys.exit(code)
    sys.exit(code if isinstance(code, int) else OK)
