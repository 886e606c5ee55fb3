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
  before anything could be summarised. `lab exec` exits with its command's code, and as a shell
  does when it cannot run it: 127 not found (`nosuchcmd: command not found`), 126 not
  executable. A bare `rawnet` prints its help on stdout and exits 0 (as `git`).
- **Errors** are one line on stderr, `rawnet COMMAND: what went wrong (how to fix it)`, never a
  traceback.
- **`--json`**: results as one JSON object per line on stdout (bytes as hex), and for commands
  with statistics a last object `{"type": "statistics", ...}`. Remarks for people go to stderr.
- **Ctrl-C** ends a long run and prints its summary (statistics, capture counts) first, with
  the run's exit code (not 130: ping's and tcpdump's habit); SIGTERM does the same for `send`
  and `sniff`. Only the first counts: a second Ctrl-C while the summary is printed is ignored,
  as hping3, ping and tcpdump ignore it. Ctrl-C works even when rawnet was started with SIGINT
  ignored (a background job of a script, `rawnet ... &`).
- **Modes** of one command are one at a time: two (`ping --tcp --udp`, `scan -sS -sU`) are a
  usage error naming both (exit 2), never the last one kept silently.
- **Live counters** (rich) appear on stderr only when it is a terminal.
- **Shell completion**: `eval "$(rawnet completion bash)"` (or zsh, fish).
- **Intervals** take seconds (`0.5`, `2s`), `10ms`, `100us`, or hping3's `u100` (microseconds).
- **Ports** take `80`, `20-25`, `22,80,443`, or hping3's `++1024` (one more per packet sent).

## Where rawnet differs from the tools it mirrors

- `send`: hping3's defaults (no TCP flags, window 64, destination port 0, a random source port
  counting up per packet, a random fixed seq), but `-d` is the payload text (hping3: a size;
  here `--size`) and `-E` hex (hping3: a file; here `--file`). Replies are shown only with
  `--listen`, and with `-q` only counted in the statistics (hping3's `-q`). At layer 3 the
  IPv4 id is left to the kernel (0) unless `-N`; with `-f` it counts up per datagram so that
  fragments share one. `--flood` builds one cycle of the packets that
  differ (ports, ICMP seq) and replays their bytes; `--flood --listen` is refused. A `--listen`
  run ends as soon as every probe is answered (hping3 waits a second more), so a duplicate of
  the last answer (`DUP!`) may go unseen; ping does the same.
- `ping`: `-c 4` by default so that it ends; `-p` is a port (`--tcp`, `--udp`), not ping's pad
  pattern; TCP and UDP probes take a new source port each. A probe above the route's MTU goes
  out as fragments of it and a fragmented reply is reassembled, as ping's; the IPv4 fragments
  take a random id (ping's kernel: its own counter). `-b` as ping's: a broadcast destination
  without it is refused with ping's words (exit 2), found from the route before anything is
  sent (ping: from the send's EACCES).
- Broadcasts: `send` may always send to a broadcast address (SO_BROADCAST set, as hping3 does),
  and so may the library's send()/sr() (as scapy's). A send the kernel still refuses with
  EACCES is named as what it is (a prohibit route or a firewall rule), never as a privilege.
- `traceroute`: UDP by default like traceroute(8), one hop at a time (no probe goes past the
  destination), 2 s wait. Linux rate-limits ICMP errors (6 at once, then 1/s): fast runs lose
  hops, and a UDP scan of many closed ports reports the rest open|filtered.
- `arping`: always broadcast requests; IPv6 addresses get a neighbour solicitation. An address
  the route sends through the loopback (127.0.0.1, the host's own) is a usage error: it has no
  link-layer neighbour, and arping asks on an Ethernet interface.
- `scan`: one scan type per run (nmap runs `-sS -sU` together; here that is a usage error: run
  each); a host with no answer at all is "down" (exit 1); a UDP probe is an empty datagram,
  except to DNS, NTP and SNMP ports, which get a minimal request of their protocol (as nmap).
- `ping -I`, `traceroute -i/-s`, `scan -e/-S`: an interface binds the probes to it
  (SO_BINDTODEVICE, from its address); a source address is used as given, never checked to
  be local (rawnet may spoof: answers then go to that address).
- `sniff`: names are never resolved (`-n` is accepted); with `-w`, no packet lines unless
  `--print`, as tcpdump; a "listening on ..." line on stderr says capture has started. On
  every interface (no `-i`, or `-i any`) the capture is cooked and `-w` writes Linux cooked v2
  (SLL2), as tcpdump does; on a tun or wireguard interface (no link header) it writes raw IP.
  Timestamps are the kernel's, cut to microseconds as libpcap cuts them. VLAN tags the kernel
  takes out of received frames are put back (as libpcap does); a filter naming `vlan` runs in
  rawnet on the restored frame, since the kernel's filter sees it untagged. As tcpdump: the
  time is the local time of day (TZ) unless `-t`...`-ttttt`; `-x`/`-X`/`-A` dump from the
  network header (doubled: from the link header); an interface is captured in promiscuous mode
  unless `-p` (`any` never is); `-s`, `-p`, `-Q` and `-B` act on live captures only (with `-r`
  they change nothing); `-C` counts millions of bytes; `-F` ignores an expression given too.
  Where tcpdump silently ignores them, `-C`/`-G`/`-W` without `-w`, and `-W` without `-C` or
  `-G`, are usage errors. Packet lines are always flushed one by one (`-l` is accepted). `-D`
  lists interfaces in libpcap's order but leaves out libpcap's other capture sources
  (bluetooth, nflog, nfqueue, dbus): interfaces that are down, which tcpdump lists after
  those, get smaller numbers here. `-v` is rawnet's field tree, not tcpdump's `-v` lines.
- `decode`: `--link auto` starts at IPv4 or IPv6 when the bytes' version and length fit, else at
  Ethernet; checksums inside an ICMP error's quote or a fragment are "not checked".
- `echo`: host 127.0.0.1 and port 31500 by default, as in the post; the TCP server serves
  connections concurrently and prints `received: DATA from (addr, port)`.
- `lab up` labs are named namespaces `rawnet-keep-NAME-HOST` that outlive the command (the
  library's `with Lab.pair()` labs do not); `lab down NAME` removes them.
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
