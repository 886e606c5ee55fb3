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
- **Modes** of one command are one at a time: two (`ping --tcp --udp`, `scan -sS -sT`) are a
  usage error naming both (exit 2), never the last one kept silently. `scan -sS -sU` (or
  `-sT -sU`) runs both, as nmap does.
- **Live counters** (rich) appear on stderr only when it is a terminal.
- **Shell completion**: `eval "$(rawnet completion bash)"` (or zsh, fish).
- **Intervals** take seconds (`0.5`, `2s`), `10ms`, `100us`, or hping3's `u100` (microseconds).
- **Ports** take `80`, `20-25`, `22,80,443`, or hping3's `++1024` (one more per packet sent).

## Where rawnet differs from the tools it mirrors

- `send`: hping3's defaults (no TCP flags, window 512, a new random seq and ack per packet,
  destination port 0, a random source port counting up per packet) and data (`-d SIZE`, `-e`,
  `-E FILE`, 'X' filler). Where hping3 has no option: `--payload TEXT` and `--hex HEX` give the
  data's bytes (started by `-e`, filled to `-d`); `-E` without `-d` sends the whole file; `--dns
  NAME` (with `--dns-type TYPE`, A by default) sends a DNS query, built by rawnet's DNS class,
  over UDP to port 53 unless `-p` (one random id for the run; no -e, -E or other data). `-9/
  --listen SIGNATURE` is hping3's listen mode (rawnet's old `--listen` flag is gone: replies are
  shown by default, `-q` counts them); it writes only what follows the signature in packets
  coming in (not those sent), no statistics, and `-c N` ends it after N. `-W` is the reply
  timeout (hping3: winid). `-o` takes hex with or without 0x (hping3 reads `0x10` as 0);
  `-g` is bytes and must be a multiple of 8 (hping3 rounds down). `-b` gives hping3's wire: the
  TCP/UDP/ICMP checksum XOR 0x5555 (the kernel refills the IPv4 one; at layer 2, `-I`, that
  one is spoilt too). `--tcp-timestamp` sends the option but does not guess the peer's uptime.
  `--rand-source` may keep to `-a`'s rule (`-a 198.18.1.x`), and `--rand-dest` needs no `-I`.
  A packet above its route's MTU goes out as fragments of it, as hping3's (with `-y`: an
  error). `-8` scans TCP only, sends each silent port 3 times, and `-v` shows every answer
  (hping3's `-V`). At layer 3 the IPv4 id is left to the kernel unless `-N`; fragments count it
  up per datagram. `--flood` builds one cycle of the packets that differ (ports, ICMP seq, and
  65536 random seq/ack values) and replays their bytes. A run ends as soon as every probe is
  answered (hping3 waits a second more), so a duplicate of the last answer (`DUP!`) may go
  unseen; ping does the same.
- `ping`: `-c 4` by default so that it ends, except with `-w` (the deadline ends it) and `-f`
  (floods until Ctrl-C, as ping -f). `-p` is ping's pad pattern; the `--tcp`/`--udp` port is
  `--port` (it was `-p` before issue 11; `-p` with `--tcp`/`--udp` and no payload is a usage
  error naming `--port`). The payload counts 0, 1, 2, ... (or repeats `-p`'s pattern) from its
  first byte: ping puts its send time in the first 16 bytes, rawnet times replies by its own
  clock, so `-s` below 16 still shows times. `-W` is per reply (a later reply counts as lost;
  ping counts it while it still runs). `-M want` is the default, as ping's (Don't Fragment on
  probes that fit the route's MTU); `-M do` above the MTU is a local error per probe, nothing
  sent. `-f` without `-i`: the next probe when the last is answered or after 10 ms (ping's
  rule); `-f` with `-q` or `--json` writes no dots. The statistics' `time` is the whole run's
  (ping: up to the last probe sent). TCP and UDP probes take a new source port each. A probe
  above the route's MTU goes out as fragments of it and a fragmented reply is reassembled, as
  ping's; the IPv4 fragments take a random id (ping's kernel: its own counter). `-b` as ping's:
  a broadcast destination without it is refused with ping's words (exit 2), found from the
  route before anything is sent (ping: from the send's EACCES).
- Broadcasts: `send` may always send to a broadcast address (SO_BROADCAST set, as hping3 does),
  and so may the library's send()/sr() (as scapy's). A send the kernel still refuses with
  EACCES is named as what it is (a prohibit route or a firewall rule), never as a privilege.
- `traceroute`: Linux traceroute's (Dmitry Butskoy's) options, scheduling (-N 16 probes in
  flight, past the destination too), -w 5,3,10 waits, ports and lines, but always numeric, and
  exit 1 when the destination never answered (traceroute exits 0). -T sends traceroute's
  60-byte SYN (options MSS, SACK, timestamps, window scale) whatever PACKETLEN says. -F longer
  than the first link's MTU prints `!F-MTU` without traceroute's made-up times; -F ignores a
  path MTU learned before (traceroute's IP_PMTUDISC_PROBE). traceroute's heuristic that moves a
  late final answer ("* * !H") into an earlier hop is not done. Linux rate-limits ICMP errors
  (6 at once, then 1/s): fast runs lose hops (a smaller -N or a -z helps); `scan` backs off to that
  pace, as nmap does.
- `arping`: iputils arping's requests, lines and exit codes (broadcast until answered, then
  unicast; -D, -U, -A, -f, -q, -b; -w a deadline, with -c stopping at N replies), but `-c 4` by
  default so that it ends (without -c, -w runs until its deadline), `-i` and `-w` take
  fractions, and `-s` is used as given (iputils refuses an address that is not the host's).
  IPv6 addresses get a neighbour solicitation (no -D, -U, -A, -s there). An address the route
  sends through the loopback (127.0.0.1, the host's own) is a usage error unless -I names the
  link: it has no link-layer neighbour, and arping asks on an Ethernet interface.
- `scan`: nmap's options, lines and files, with these differences. Lines say "rawnet" where nmap
  says "Nmap" (`rawnet scan report for`, `# rawnet done at`); the -oX file says
  `scanner="nmap"` (nmap.dtd admits no other value; `args` and `version` name rawnet). Host
  discovery is nmap's off-LAN ping everywhere (an ICMP echo, a SYN to 443, an ACK to 80; no
  ARP or timestamp probe, so no "MAC Address" line); `-Pn` scans anyway and reports the host up
  ("received user-set"), but the exit code is still 1 when the host answered nothing. Without
  privilege rawnet does not fall back to `-sT` by itself: give `-sT` (its ping is then a
  connect to 80 and 443, as nmap's unprivileged one). `-sO` runs alone (nmap allows it with a
  port scan). Ports are probed in order, not shuffled. The default ports, `-F` and
  `--top-ports` use nmap's ranking, read at run time from /usr/share/nmap/nmap-services when
  nmap is installed (its data is not copied into rawnet); without it, the ports /etc/services
  registers (IANA's), lowest first, stand in; service names come from the same table. Timing:
  unanswered probes are resent in passes; signs of a rate limit (a resent probe answered, or
  for UDP and -sO silence while the host sends ICMP errors) double the pause between probes
  each pass, from 50 ms to 1 s, until a pass sent that slowly brings nothing, or
  `--max-retries` (10); without them a silent port gets one retry. `-sT` tries a silent port
  twice, whatever `--max-retries`. A UDP probe is an empty datagram, except to DNS, NTP and
  SNMP ports, which get a minimal request of their protocol (as nmap). `-n` is accepted and
  changes nothing (rawnet never resolves names).
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
  those, get smaller numbers here. `-v`/`-vv` are tcpdump's (`-vvv` as `-vv`), for the protocols
  rawnet decodes (of the application printers, DNS's: others, BGP..., stay "UDP, length N");
  rawnet's field tree, with each checksum's status, is `--tree`. A packet the snapshot length
  cut (`-s`, or a file's caplen below its length on the wire) prints as tcpdump prints it: the
  headers that are there, sizes as they say, `[|tcp]`-style marks where a header is cut;
  lengths that disagree with a frame kept whole get tcpdump's words (`truncated-ip - N bytes
  missing!`, `bad-len N`; an IPv4 length of 0 is `bad-len 0`, an IPv6 payload length of 0 is 0,
  though rawnet's decoder reads both as a segmentation offload's buffer).
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
