"""rawnet lab: named, persistent labs (network namespaces joined by veth pairs) from the shell.

A thin shell over rawnet.net.lab: ``lab up`` builds a named lab (Lab.pair / Lab.line with a
name) and leaves it standing, ``lab list`` and ``lab exec`` find it again from the kernel
(Lab.attach), ``lab down`` removes it. Nothing here touches a namespace that is not a lab's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click

from rawnet.cli.common import OK, Output
from rawnet.net.lab import (
    Lab,
    LabError,
    check_name,
    named_labs,
    remove_named,
    remove_stale,
    require_admin,
)


class LabName(click.ParamType[str]):
    """The name of a lab: 1 to 32 letters, digits, '_', '.' or '-'."""

    name = "name"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        try:
            check_name(text)
        except LabError as error:
            self.fail(str(error), param, ctx)
        return text


LAB_NAME = LabName()


@click.group()
def lab() -> None:
    """Named labs: network namespaces joined by veth pairs that outlive the command.

    A lab is hosts "a" and "b" (and routers "r1".."rN" between them, forwarding IPv4 and IPv6),
    each a network namespace named rawnet-keep-NAME-HOST, joined by veth pairs on 198.18.K.0/24
    and 2001:db8:K::/64 (link K counted from a). Nothing in a lab can reach the machine's own
    networks: only the lab's prefixes are routed. A lab stays until `rawnet lab down` removes it
    (the labs rawnet's own tests and demo make are removed when they end). Needs root
    (CAP_SYS_ADMIN): without it, exit 3.

    \b
    rawnet lab up --name demo --routers 1     # a - r1 - b
    rawnet lab list
    rawnet lab exec demo a -- ping -c 1 198.18.2.2
    rawnet lab exec demo b -- rawnet echo server --udp --host 198.18.2.2
    rawnet lab down demo
    """


@lab.command()
@click.option(
    "--name",
    "name",
    type=LAB_NAME,
    default="lab",
    show_default=True,
    help="The lab's name (1-32 of A-Z a-z 0-9 _ . -).",
)
@click.option(
    "--routers",
    type=click.IntRange(0, 254),
    default=0,
    show_default=True,
    help="Routers between a and b: 0 is one link a - b, 1 is a - r1 - b, and so on.",
)
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per host on stdout.")
def up(name: str, routers: int, json_lines: bool) -> int:
    """Build a named lab and leave it standing; print its hosts, interfaces and addresses.

    With --routers 0 (the default) hosts a (198.18.1.1, 2001:db8:1::1) and b (198.18.1.2,
    2001:db8:1::2) share one link. With N routers, link K joins the K-th and (K+1)-th host of
    a, r1, ..., rN, b on 198.18.K.0/24 (the left one .1, the right one .2) and 2001:db8:K::/64;
    a and b route the lab's prefixes through their neighbour. Each line printed is one
    interface: lab, host, namespace, interface, the host at its other end, addresses, MAC.
    A name already in use is an error (exit 2): `rawnet lab down NAME` first.

    \b
    rawnet lab up                              # lab "lab": a - b
    rawnet lab up --name t --routers 2         # a - r1 - r2 - b
    rawnet lab up --name t --json              # one object per host
    """
    require_admin()
    try:
        made = Lab.pair(name=name) if routers == 0 else Lab.line(routers, name=name)
    except LabError:
        raise click.BadParameter(
            f"a lab named {name!r} exists already (remove it with: rawnet lab down {name})",
            param_hint="'--name'",
        ) from None
    out = Output(json_lines)
    show(made, out)
    out.note(f"lab {name} is up; remove it with: rawnet lab down {name}")
    return OK


@lab.command(name="list")
@click.argument("name", type=LAB_NAME, required=False)
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per host on stdout.")
def list_(name: str | None, json_lines: bool) -> int:
    """List the named labs (or lab NAME): their hosts, namespaces, interfaces and addresses.

    What is printed is read back from the kernel (netlink), as `lab up` prints it. No lab is
    not an error: nothing is printed on stdout (exit 0). An unknown NAME is exit 2.

    \b
    rawnet lab list
    rawnet lab list demo --json
    """
    require_admin()
    names = sorted(named_labs())
    if name is not None:
        if name not in names:
            raise _unknown(name)
        names = [name]
    out = Output(json_lines)
    tables = [Lab.attach(each) for each in names]
    if not tables:
        out.note("no named labs (make one with: rawnet lab up --name NAME)")
    show_all(tables, out)
    return OK


@lab.command(
    name="exec",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("name", type=LAB_NAME)
@click.argument("host")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def exec_(name: str, host: str, command: tuple[str, ...]) -> int:
    """Run COMMAND inside HOST's namespace of lab NAME; exit with COMMAND's exit code.

    The command sees only HOST's interfaces, addresses and routes (`ip netns exec`); its
    standard input, output and error are this terminal's. Put `--` before a command that takes
    options of its own. A command that is not found exits 127 ("NAME: command not found"), one
    that is not executable 126, as a shell's.

    \b
    rawnet lab exec demo a -- ip addr
    rawnet lab exec demo a -- ping -c 1 198.18.1.2
    rawnet lab exec demo b -- tcpdump -n -i any
    """
    require_admin()
    namespaces = named_labs().get(name)
    if namespaces is None:
        raise _unknown(name)
    if host not in namespaces:
        raise click.BadParameter(
            f"lab {name!r} has no host {host!r} (it has {', '.join(sorted(namespaces))})", param_hint="'HOST'"
        )
    if command[:1] == ("--",):  # (click keeps the -- that comes after the positional arguments)
        command = command[1:]
    if not command:
        raise click.UsageError(
            "give the command to run after --, as in: rawnet lab exec NAME HOST -- ip addr"
        )
    refused = _not_runnable(command[0])
    if refused is not None:
        code, message = refused
        click.echo(f"rawnet lab exec: {message}", err=True)
        return code
    process = subprocess.Popen(["ip", "netns", "exec", namespaces[host], *command])
    try:
        code = process.wait()
    except KeyboardInterrupt:  # the command got the terminal's Ctrl-C too: let it finish
        code = process.wait()
    return code if code >= 0 else 128 - code


def _not_runnable(program: str) -> tuple[int, str] | None:
    """A shell's exit code and message for a program it could not run (127 not found, 126 not
    executable), or None when it can run. The namespace shares this file system and PATH."""
    if "/" not in program:
        return None if shutil.which(program) else (127, f"{program}: command not found")
    path = Path(program)
    if not path.exists():
        return 127, f"{program}: No such file or directory"
    if path.is_dir():
        return 126, f"{program}: Is a directory"
    if not os.access(path, os.X_OK):
        return 126, f"{program}: Permission denied"
    return None


@lab.command()
@click.argument("name", type=LAB_NAME, required=False)
@click.option(
    "--all", "everything", is_flag=True, help="Every named lab, and the namespaces of dead runs' labs."
)
@click.option("--json", "json_lines", is_flag=True, help="One JSON object per lab removed.")
def down(name: str | None, everything: bool, json_lines: bool) -> int:
    """Remove lab NAME (its namespaces, and with them its veth pairs).

    --all removes every named lab, and the namespaces that the temporary labs of processes no
    longer running left behind (an interrupted test run); the lab of a running process is never
    touched. An unknown NAME is exit 2.

    \b
    rawnet lab down demo
    rawnet lab down --all
    """
    if (name is None) == (not everything):
        raise click.UsageError("give a lab NAME or --all (not both)")
    require_admin()
    out = Output(json_lines)
    names = sorted(named_labs()) if everything else [name or ""]
    if not everything and name not in named_labs():
        raise _unknown(name or "")
    for each in names:
        try:
            removed = remove_named(each)
        except LabError:  # (removed by someone else meanwhile)
            continue
        out.line(
            f"removed lab {each}: {' '.join(removed)}", {"type": "removed", "lab": each, "netns": removed}
        )
    if everything:
        stale = remove_stale()
        if stale:
            out.line(
                f"removed namespaces of dead runs: {' '.join(stale)}",
                {"type": "removed", "lab": None, "netns": stale},
            )
        if not names and not stale:
            out.note("nothing to remove")
    return OK


def _unknown(name: str) -> click.BadParameter:
    known = sorted(named_labs())
    have = f"the labs are: {', '.join(known)}" if known else "there is none: rawnet lab up --name NAME"
    return click.BadParameter(f"no lab named {name!r} ({have})", param_hint="'NAME'")


def show(made: Lab, out: Output) -> None:
    """One lab's hosts: a table of interfaces, or one JSON object per host."""
    show_all([made], out)


def show_all(labs: list[Lab], out: Output) -> None:
    """The hosts of several labs: a table (one line per interface), or a JSON object per host."""
    rows = [("LAB", "HOST", "NAMESPACE", "INTERFACE", "TO", "IPV4", "IPV6", "MAC")]
    for each in labs:
        for host in each.hosts.values():
            if out.json:
                interfaces = [
                    {"name": interface.name, "peer": peer, "mac": interface.mac}
                    | {"ipv4": interface.ipv4, "prefix4": interface.prefix4}
                    | {"ipv6": interface.ipv6, "prefix6": interface.prefix6}
                    for peer, interface in host.interfaces.items()
                ]
                record = {"type": "host", "lab": each.name, "host": host.name, "netns": host.netns}
                out.line("", record | {"interfaces": interfaces})
                continue
            lab_name = str(each.name)
            if not host.interfaces:  # (a lab whose building was cut short)
                rows.append((lab_name, host.name, host.netns, "-", "-", "-", "-", "-"))
            for peer, interface in host.interfaces.items():
                ipv4 = f"{interface.ipv4}/{interface.prefix4}"
                ipv6 = f"{interface.ipv6}/{interface.prefix6}" if interface.ipv6 else "-"
                rows.append(
                    (lab_name, host.name, host.netns, interface.name, peer, ipv4, ipv6, interface.mac)
                )
    if out.json or len(rows) == 1:
        return
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        out.line("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
