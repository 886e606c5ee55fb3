"""rawnet send: craft packets from the command line and send them, as hping3 does.

The click command: its options and help text, checking them against each other, and what the
run prints (the SEND line, the live counter, the statistics). The packet and the send loops are
in rawnet.cli.sender, the replies of --listen in rawnet.cli.replies; nothing here builds or
parses packets.
"""

from __future__ import annotations

import ipaddress
import random
import signal
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import click

from rawnet.cli.common import (
    ADDRESS,
    INTERVAL,
    NO_REPLY,
    OK,
    PORTS,
    Output,
    PortSpec,
    RttStats,
    payload_from,
    stopped_by_signals,
)
from rawnet.cli.replies import listening_run
from rawnet.cli.sender import (
    FLAG_LETTERS,
    Options,
    Run,
    Template,
    build_probe,
    flood,
    link_addresses,
    open_sender,
    paced_run,
    tcp_flags,
)
from rawnet.net.routes import interface_ipv4, is_loopback, source_for

# -- the options -------------------------------------------------------------------------------


def _flags(letters: str | None, short: dict[str, bool]) -> int:
    value = 0
    if letters:
        text = letters.strip().upper()
        try:
            value = int(text, 0)
        except ValueError:
            for letter in text:
                if letter not in FLAG_LETTERS:
                    raise click.BadParameter(
                        f"{letters!r}: TCP flags are letters of {FLAG_LETTERS} (as SA, PA) or a number",
                        param_hint="--flags",
                    ) from None
                value |= 1 << FLAG_LETTERS.index(letter)
        if not 0 <= value <= 0x1FF:
            raise click.BadParameter(f"{letters!r} is not 0..0x1ff", param_hint="--flags")
    for letter, given in short.items():
        if given:
            value |= 1 << FLAG_LETTERS.index(letter)
    return value


def _family(dst: str, src: str | None, ipv6: bool) -> int:
    version = ipaddress.ip_address(dst.split("%")[0]).version
    if ipv6 and version == 4:
        raise click.BadParameter(f"{dst} is IPv4, and -6 asks for IPv6", param_hint="DST")
    if src is not None and ipaddress.ip_address(src.split("%")[0]).version != version:
        raise click.BadParameter(f"{src} and {dst} are not of one IP version", param_hint="-a/--spoof")
    return socket.AF_INET6 if version == 6 else socket.AF_INET


def _interval(
    interval: float | None, fast: bool, faster: bool, rate: float | None, flood_mode: bool
) -> tuple[float, bool]:
    chosen = [
        name
        for name, given in (
            ("-i", interval is not None), ("--fast", fast), ("--faster", faster),
            ("--rate", rate is not None), ("--flood", flood_mode),
        )
        if given
    ]  # fmt: skip
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)}: give the pace one way")
    if flood_mode:
        return 0.0, True
    if fast:
        return 0.1, False
    if faster:
        return 0.01, False
    if rate is not None:
        return 1.0 / rate, False
    return (1.0 if interval is None else interval), False


#: The --help text (and docs/cli.md), raw: the raw-socket post's payload has its \r\n as one types them.
_HELP = r"""Craft packets and send them, hping3-style: TCP, UDP, ICMP or raw IP, over IPv4 or IPv6.

Every header field has an option, with hping3's letter where it has one, and hping3's defaults
(no TCP flags, window 64, destination port 0, a random source port counting up per packet);
the payload comes from -d text, -E hex or --file, cut or zero-padded by --size. Packets leave
at layer 3 through a raw IP socket (the kernel routes them; the source is the route's unless
-a, the IPv4 id the kernel's unless -N), or at layer 2 on the interface of -I. From one packet
to the next only what the options ask changes (ports with ++ or lists, --seq-increment, the
ICMP seq), and only that header is repacked; --flood replays that cycle of packets as fast as
one core goes. --listen shows each reply matched to its probe, as `len=44 ip=198.18.1.2 ttl=64
DF id=0 sport=80 flags=SA seq=0 win=64240 rtt=0.3 ms` (seq= is the probe's number; a second
reply to one probe starts with `DUP! ` and is counted apart, as ping's duplicates), and adds
received, loss and round-trip times to the statistics block that ends every run (Ctrl-C and
SIGTERM included). The SEND line and remarks go to stderr, results to stdout.

\b
rawnet send 198.18.1.2 -S -p 80 -c 3 --listen        # three SYNs: SA from an open port, RA closed
rawnet send 198.18.1.2 -a 198.18.1.1 -s 55968 -p 80 --flags PA -M 1 -L 1 -w 64 --seq-increment -c 5 -i 0 \
    -d 'GET /att/DIYLife/41264/528 HTTP/1.1\r\nHost: 198.18.1.2\r\nAccept-Encoding: identity\r\n\r\n'
                                                     # the raw-socket post's script: seq 1..5, PA, ack 1
rawnet send 198.18.1.2 -S -p ++20 -c 10 --listen     # ports 20..29, one more per packet
rawnet send 198.18.1.2 -S -p 20-25,80 --listen       # a port list: one packet per port
rawnet send 198.18.1.2 --udp -p 53 -d 'hello\n' --listen
rawnet send 198.18.1.2 --icmp -c 3 -i 10ms --listen  # ICMP echo, 10 ms apart (u10000 too)
rawnet send 2001:db8:1::2 --icmp -c 1 --listen       # ICMPv6 echo
rawnet send 198.18.1.2 --raw-ip 253 -E cafe -c 1     # IP protocol 253 carrying 2 bytes
rawnet send 198.18.1.2 --udp -p 9 --size 3000 -f 1000 -c 1   # 4 fragments
rawnet send 198.18.1.2 -S -p 80 --size 64 --flood    # full speed until Ctrl-C
rawnet send 198.18.1.2 -I eth0 -S -p 80 --rate 1000 -c 5000  # layer 2, 1000 packets/s

Exit codes: 0 sent (with --listen: and a reply came), 1 no reply (--listen), no route or a
network failure, 2 a bad option, address or interface, 3 no CAP_NET_RAW.
""".replace("\n\\b\n", "\n\b\n")  # click's no-rewrap marker is the control character


def _number(*names: str, maximum: int, default: int, text: str) -> Callable[[Any], Any]:
    """An option for a header field of 0..``maximum``, its default shown in --help."""
    return click.option(
        *names, type=click.IntRange(0, maximum), default=default, show_default=True, help=text
    )


@click.command(help=_HELP, context_settings={"max_content_width": 100})
@click.argument("dst", type=ADDRESS)
@click.option("--tcp", "protocol", flag_value="tcp", default=True, help="TCP (the default).")
@click.option("-2", "--udp", "protocol", flag_value="udp", help="UDP.")
@click.option("-1", "--icmp", "protocol", flag_value="icmp", help="ICMP echo request (ICMPv6 with IPv6).")
@click.option(
    "--raw-ip", "raw_proto", type=click.IntRange(0, 255), metavar="PROTO",
    help="An IP packet of protocol number PROTO carrying only the payload (hping3 -0 -H).",
)  # fmt: skip
@click.option("-6", "ipv6", is_flag=True, help="IPv6 (an IPv6 DST picks it too).")
@click.option(
    "-a", "--spoof", "src", type=ADDRESS, metavar="SRC", help="Source address (default: the route's)."
)
@click.option(
    "-s", "--sport", "sport", type=PORTS, metavar="PORTS",
    help="Source port(s). Default: a random base, one more per packet (hping3); -k keeps it.",
)  # fmt: skip
@click.option(
    "-p", "--dport", "dport", type=PORTS, metavar="PORTS",
    help="Destination port(s): 80, 20-25, 22,80,443, ++80 (one more per packet), +80 (per reply). Default 0.",
)  # fmt: skip
@click.option("-k", "--keep", is_flag=True, help="Keep the default source port fixed.")
@click.option("-S", "--syn", "syn", is_flag=True, help="TCP SYN flag.")
@click.option("-A", "--ack-flag", "ack_flag", is_flag=True, help="TCP ACK flag.")
@click.option("-F", "--fin", "fin", is_flag=True, help="TCP FIN flag.")
@click.option("-R", "--rst", "rst", is_flag=True, help="TCP RST flag.")
@click.option("-P", "--push", "push", is_flag=True, help="TCP PSH flag.")
@click.option("-U", "--urg", "urg", is_flag=True, help="TCP URG flag.")
@click.option(
    "--flags", "flag_letters", metavar="FLAGS",
    help="TCP flags as letters of FSRPAUEC (PA, SA) or a number (0x18); added to -S -A ...",
)  # fmt: skip
@click.option(
    "-M",
    "--seq",
    "--setseq",
    "seq",
    type=click.IntRange(0, 2**32 - 1),
    help="TCP sequence number (default random).",
)
@click.option("--seq-increment", is_flag=True, help="TCP seq one more for each packet (the post's loop).")
@_number("-L", "--ack", "--setack", "ack", maximum=2**32 - 1, default=0, text="TCP acknowledgment number.")
@_number(
    "-w", "--window", "--win", "window", maximum=65535, default=64, text="TCP window (hping3's default)."
)
@_number("-t", "--ttl", maximum=255, default=64, text="IPv4 TTL or IPv6 hop limit.")
@click.option(
    "-N", "--id", "ident", type=click.IntRange(0, 2**32 - 1),
    help="IPv4 id, fixed (default: the kernel's at layer 3, else random; -f counts up per packet); with "
    "IPv6 and -f, the fragment id.",
)  # fmt: skip
@click.option("-y", "--df", "--dontfrag", "df", is_flag=True, help="Set IPv4 Don't Fragment.")
@click.option(
    "-f", "--frag-size", "fragment_size", type=click.IntRange(8, 65535), metavar="N",
    help="Fragment each packet, N bytes of IP payload per fragment (rounded down to 8s).",
)  # fmt: skip
@click.option("-d", "--data", "text", metavar="TEXT", help="Payload text; backslash escapes as \\r\\n.")
@click.option("-E", "--hex", "hex_data", metavar="HEX", help="Payload in hex (cafe, ca:fe).")
@click.option("--file", "path", metavar="PATH", help="Payload from a file.")
@click.option(
    "--size",
    type=click.IntRange(0, 65535),
    help="Payload size: data cut or zero-padded to N bytes (hping3 -d).",
)
@click.option(
    "-C", "--icmp-type", type=click.IntRange(0, 255), help="ICMP type (default echo request: 8, ICMPv6 128)."
)
@click.option("-K", "--icmp-code", type=click.IntRange(0, 255), default=0, help="ICMP code.")
@click.option(
    "-c", "--count", type=click.IntRange(min=0),
    help="Packets to send; 0 until Ctrl-C (the default, unless -s/-p list several ports: one each).",
)  # fmt: skip
@click.option(
    "-i", "--interval", type=INTERVAL, help="Between packets: 0.5, 2s, 10ms, 100us, u100 (default 1 s)."
)
@click.option("--fast", is_flag=True, help="10 packets a second.")
@click.option("--faster", is_flag=True, help="100 packets a second.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), metavar="PPS", help="Packets a second.")
@click.option("--flood", "flood_mode", is_flag=True, help="As fast as possible; nothing printed per packet.")
@click.option(
    "-I", "--iface", "--interface", "interface", metavar="IFACE",
    help="Send at layer 2 on IFACE (Ethernet header, MACs resolved by ARP/ND).",
)  # fmt: skip
@click.option("--listen", is_flag=True, help="Show the replies (hping3-style lines with RTT).")
@click.option(
    "-W", "--timeout", type=click.FloatRange(min=0), default=1.0, show_default=True,
    help="With --listen: seconds a probe waits for its reply (and the run after the last).",
)  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="A line for each packet sent.")
@click.option("-q", "--quiet", is_flag=True, help="Only the statistics.")
@click.option(
    "--json", "json_lines", is_flag=True, help="JSON lines: each packet sent, each reply, the statistics."
)
def send(**given: Any) -> int:
    """rawnet send: see _HELP (the --help text, and docs/cli.md)."""
    options = _options(given)
    return _run(options)


def _options(given: dict[str, Any]) -> Options:
    """Check the options against each other; a conflict is a usage error (exit 2)."""
    dst: str = given["dst"]
    family = _family(dst, given["src"], given["ipv6"])
    protocol = "raw" if given["raw_proto"] is not None else given["protocol"]
    if given["raw_proto"] is not None and given["protocol"] != "tcp":
        raise click.UsageError("--raw-ip and --udp/--icmp: give one protocol")
    short = {"S": given["syn"], "A": given["ack_flag"], "F": given["fin"], "R": given["rst"]}
    short |= {"P": given["push"], "U": given["urg"]}
    tcp_only = [
        name for name, value in (
            ("TCP flags", any(short.values()) or given["flag_letters"]),
            ("-M/--seq", given["seq"] is not None), ("--seq-increment", given["seq_increment"]),
            ("-L/--ack", given["ack"]),
        ) if value
    ]  # fmt: skip
    if protocol != "tcp" and tcp_only:
        raise click.UsageError(f"{', '.join(tcp_only)}: TCP options, and this is {protocol}")
    if protocol not in ("tcp", "udp") and (given["sport"] or given["dport"] or given["keep"]):
        raise click.UsageError(f"-s/-p/-k: ports are for TCP and UDP, and this is {protocol}")
    if protocol != "icmp" and (given["icmp_type"] is not None or given["icmp_code"]):
        raise click.UsageError("-C/-K: ICMP options, and this is not --icmp")
    ipv6 = family == socket.AF_INET6
    if ipv6 and given["df"]:
        raise click.UsageError("--df: IPv6 has no Don't Fragment flag (routers never fragment it)")
    if given["ident"] is not None:
        limit = 2**32 - 1 if ipv6 else 65535
        if ipv6 and given["fragment_size"] is None:
            raise click.UsageError("-N: IPv6 has no id field (with -f it sets the fragment id)")
        if given["ident"] > limit:
            raise click.BadParameter(f"{given['ident']} is over {limit}", param_hint="-N/--id")
    interval, flood_mode = _interval(
        given["interval"], given["fast"], given["faster"], given["rate"], given["flood_mode"]
    )
    if flood_mode and given["listen"]:
        raise click.UsageError("--flood shows no replies: use --rate or -i with --listen")
    payload = payload_from(given["text"], given["hex_data"], given["path"], given["size"])
    sport: PortSpec | None = given["sport"]
    if sport is None:
        sport = PortSpec((random.randrange(1024, 65536),), "" if given["keep"] else "++")
    dport: PortSpec = given["dport"] or PortSpec((0,))
    count = given["count"]
    if count is None:
        lists = [len(spec.ports) for spec in (sport, dport) if not spec.step and len(spec.ports) > 1]
        count = max(lists, default=0)
    icmp_type = given["icmp_type"]
    if icmp_type is None:
        icmp_type = 128 if ipv6 else 8
    return Options(
        dst=dst, family=family, src=given["src"], protocol=protocol, raw_proto=given["raw_proto"] or 0,
        sport=sport, dport=dport, flags=_flags(given["flag_letters"], short),
        seq=random.getrandbits(32) if given["seq"] is None else given["seq"],
        seq_increment=given["seq_increment"], ack=given["ack"], window=given["window"], ttl=given["ttl"],
        ident=given["ident"], df=given["df"], fragment_size=given["fragment_size"], payload=payload,
        icmp_type=icmp_type, icmp_code=given["icmp_code"], count=count, interval=interval,
        flood=flood_mode, listen=given["listen"], timeout=given["timeout"], interface=given["interface"],
        verbose=given["verbose"], quiet=given["quiet"], json=given["json_lines"],
    )  # fmt: skip


# -- the run and what it prints ----------------------------------------------------------------


def _source(options: Options) -> str:
    """The source address: -a's, else -I's IPv4 address, else the route's."""
    if options.src is not None:
        return options.src
    if options.interface is not None and options.family == socket.AF_INET:
        address = interface_ipv4(options.interface)
        if address != "0.0.0.0":
            return address
    return source_for(options.dst, options.family)


def _run(options: Options) -> int:
    output = Output(options.json)
    if options.interface is not None and is_loopback(options.interface):
        raise click.BadParameter(
            f"{options.interface} is a loopback: it has no Ethernet peer (leave -I out)", param_hint="-I"
        )
    link = link_addresses(options) if options.interface is not None else None
    src = _source(options)
    probe = build_probe(options, src, link)
    sock, transmit = open_sender(options)
    run, stats = Run(), RttStats()
    with stopped_by_signals(signal.SIGTERM):  # `timeout` ends a run as Ctrl-C does
        try:
            if not options.quiet:
                run.announce = lambda: _header(output, options, probe, src)
            if options.flood:
                with live_counter(output, run):
                    flood(transmit, probe, options.count, run)
            elif options.listen:
                listening_run(transmit, probe, options, output, run, stats)
            elif options.verbose:  # lines on stdout: no live counter under them
                paced_run(transmit, probe, options, output, run)
            else:
                with live_counter(output, run):
                    paced_run(transmit, probe, options, output, run)
        finally:
            sock.close()
        stats.sent = run.sent
        _statistics(output, options, run, stats)
    if options.listen and not stats.received:
        return NO_REPLY
    return OK


def _header(output: Output, options: Options, probe: Template, src: str) -> None:
    headers = len(bytes(probe.network)) - len(options.payload)
    where = f"{options.interface}, layer 2" if options.interface else "layer 3"
    if options.protocol == "tcp":
        what = f"tcp {tcp_flags(options.flags) or 'no flags'} set"
    elif options.protocol == "raw":
        what = f"IP protocol {options.raw_proto}"
    else:
        what = options.protocol
    data = len(options.payload)
    output.note(f"SEND {options.dst} ({where}) from {src}: {what}, {headers} headers + {data} data bytes")
    if options.flood:
        output.note("flood mode: no line per packet; Ctrl-C ends it with the statistics")


def live_counter(output: Output, run: Run) -> AbstractContextManager[None]:
    """A live count of the packets sent on stderr, while the block runs (only on a terminal)."""

    def render() -> str:
        seconds = time.perf_counter() - run.started if run.sent else 0.0
        rate = f", {run.sent / seconds:,.0f} packets/s" if seconds > 0 else ""
        return f"{run.sent:,} packets sent{rate}"

    return output.live_status(render)


def _statistics(output: Output, options: Options, run: Run, stats: RttStats) -> None:
    seconds = run.seconds  # from the first packet to the last
    rate = (run.sent - 1) / seconds if run.sent > 1 and seconds > 0 else None
    extra = {"seconds": round(seconds, 6), "rate_pps": None if rate is None else round(rate, 1)}
    pace = f"{run.sent} packets sent in {seconds:.3f} s" + (f", {rate:,.0f} packets/s" if rate else "")
    if options.listen:
        record = stats.record() | extra
        lines = stats.lines(options.dst)
    else:
        record = {"type": "statistics", "sent": run.sent, **extra}
        lines = [f"--- {options.dst} statistics ---", pace]
    if output.json:
        output.line("", record)
        return
    for text in lines:
        output.line(text)
