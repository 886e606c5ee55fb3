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
import sys
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
    stopped_by_signals,
)
from rawnet.cli.payloads import Data, dns_query
from rawnet.cli.replies import listen_mode, listening_run, scan_run, service
from rawnet.cli.sender import (
    FLAG_LETTERS,
    Options,
    Run,
    Template,
    build_probe,
    engine_flood,
    flood,
    link_addresses,
    open_sender,
    tcp_flags,
)
from rawnet.errors import FieldValueError
from rawnet.net.routes import interface_ipv4, is_loopback, path_mtu, source_for

# -- the options -------------------------------------------------------------------------------


def _flags(letters: str | None, short: dict[str, bool]) -> int:
    value = 0
    if letters:
        text = letters.strip().upper()
        try:
            value = int(text, 0)
        except ValueError:
            for letter in text:
                bit = FLAG_LETTERS.find(letter)
                if bit < 0:
                    bit = "XY".find(letter) + 6 if letter in "XY" else -1  # hping3's names of E and C
                if bit < 0:
                    raise click.BadParameter(
                        f"{letters!r}: TCP flags are letters of {FLAG_LETTERS} or XY (as SA, PA) or a number",
                        param_hint="--flags",
                    ) from None
                value |= 1 << bit
        if not 0 <= value <= 0x1FF:
            raise click.BadParameter(f"{letters!r} is not 0..0x1ff", param_hint="--flags")
    for letter, given in short.items():
        if given:
            value |= 1 << FLAG_LETTERS.index(letter)
    return value


def _family(dst: str, src: str | None, ipv6: bool) -> int:
    version = ipaddress.ip_address(dst.split("%")[0]).version
    if src is not None and "x" in src:
        src = src.replace("x", "0")  # a --rand-source rule
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
    if chosen == ["--rate", "--flood"]:  # a flood paced by the engine
        return 0.0, True
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


def _rule(text: str, option: str) -> str:
    """An IPv4 address with "x" for random octets (hping3's --rand-dest rule, 198.18.1.x)."""
    parts = text.split(".")
    if len(parts) != 4 or not all(part == "x" or (part.isdigit() and int(part) <= 255) for part in parts):
        raise click.BadParameter(
            f"{text!r}: a random address is IPv4 with x for each random part (198.18.1.x)", param_hint=option
        )
    return text


def _address(text: str, option: str) -> str:
    return ADDRESS.convert(text, None, None) if text else text


def _hex_byte(text: str | None, option: str) -> int:
    """hping3's -o: the TOS in hex (10 is 0x10; 0x10 too)."""
    if text is None:
        return 0
    try:
        value = int(text, 16)
    except ValueError:
        value = -1
    if not 0 <= value <= 255:
        raise click.BadParameter(
            f"{text!r}: the TOS is a hex byte, 00..ff (10: minimum delay)", param_hint=option
        )
    return value


def _known_ports() -> set[int]:
    """The TCP ports /etc/services names (hping3's "known")."""
    ports: set[int] = set()
    try:
        with open("/etc/services", encoding="utf-8", errors="replace") as file:
            for line in file:
                fields = line.split("#")[0].split()
                if len(fields) >= 2 and fields[1].endswith("/tcp"):
                    ports.add(int(fields[1].split("/")[0]))
    except (OSError, ValueError):
        pass
    return ports


def scan_ports(text: str) -> tuple[int, ...]:
    """hping3's -8 port groups: 80, 1-1000, "all" (0-65535), "known" (/etc/services), and each
    of them negated with a leading ! (taken away from the groups before it)."""
    chosen: set[int] = set()
    for group in text.split(","):
        group = group.strip()
        negated = group.startswith("!")
        word = group.removeprefix("!")
        if word == "all":
            ports = set(range(65536))
        elif word == "known":
            ports = _known_ports()
        else:
            low, _, high = word.partition("-")
            try:
                first, last = int(low), int(high or low)
            except ValueError:
                first, last = 1, 0
            if not 0 <= first <= last <= 65535:
                raise click.BadParameter(
                    f"{group!r}: scan groups are ports (80), ranges (1-1000), all, known, or one of "
                    "them negated (!known)",
                    param_hint="-8/--scan",
                )
            ports = set(range(first, last + 1))
        chosen = chosen - ports if negated else chosen | ports
    if not chosen:
        raise click.BadParameter(f"{text!r} leaves no port to scan", param_hint="-8/--scan")
    return tuple(sorted(chosen))


#: The --help text (and docs/cli.md), raw: the raw-socket post's payload has its \r\n as one types them.
_HELP = r"""Craft packets and send them, hping3-style: TCP, UDP, ICMP or raw IP, over IPv4 or IPv6.

Every header field has an option, with hping3's letter where it has one, and hping3's defaults
(no TCP flags, window 512, a new random seq for each packet, destination port 0, a random
source port counting up per packet). The data is hping3's: -d bytes, starting with -e's
signature and --payload's text or --hex's bytes, the rest filled from -E's file (a chunk per
packet, the file read on and rewound) or with 'X'. Packets leave at layer 3 through a raw IP
socket (the kernel routes them; the source is the route's unless -a, the IPv4 id the kernel's
unless -N), or at layer 2 on the interface of -I. A packet longer than its route's MTU goes
out as fragments of that MTU (as hping3's), -f cuts it in 16-byte ones and -m N in N-byte ones.

Each reply is shown matched to its probe, as hping3 shows it: `len=44 ip=198.18.1.2 ttl=64 DF
id=0 sport=80 flags=SA seq=0 win=64240 rtt=0.3 ms` (seq= is the probe's number; a second
reply to one probe starts with `DUP! `); -q only counts them. The statistics block ends every
run (Ctrl-C and SIGTERM included). --flood sends as fast as one core goes and shows no
replies. The SEND line and remarks go to stderr, results to stdout.

hping3's modes: -T traceroute (TTL 1, one more with each "time exceeded" of the current TTL,
`hop=1 TTL 0 during transit from ip=198.18.1.2` and `hop=1 hoprtt=0.4 ms`); -8 PORTS scan (a
table line per port answering SYN, -v for every answer, then `Not responding ports: (23 telnet)`);
-9 SIGNATURE listen (sends nothing: writes what follows SIGNATURE in each packet coming in).

\b
rawnet send 198.18.1.2 -S -p 80 -c 3                 # three SYNs: SA from an open port, RA closed
rawnet send 198.18.1.2 -a 198.18.1.1 -s 55968 -p 80 --flags PA -M 1 -L 1 -w 64 --seq-increment -c 5 -i 0 \
    --payload 'GET /att/DIYLife/41264/528 HTTP/1.1\r\nHost: 198.18.1.2\r\nAccept-Encoding: identity\r\n\r\n'
                                                     # the raw-socket post's script: seq 1..5, PA, ack 1
rawnet send 198.18.1.2 -S -p ++20 -c 10              # ports 20..29, one more per packet
rawnet send 198.18.1.2 -S -8 20-25,80,known          # hping3's scan mode
rawnet send 198.18.3.2 -T -S -p 80 -c 5              # hping3's traceroute mode
rawnet send 198.18.1.2 --udp -p 53 -d 100 -E file    # 100 bytes of the file per packet
rawnet send 198.18.1.2 --dns example.com --dns-type AAAA -c 1  # a DNS query, UDP to port 53
rawnet send 198.18.1.2 --icmp -c 3 -i 10ms           # ICMP echo, 10 ms apart (u10000 too)
rawnet send 2001:db8:1::2 --icmp -c 1                # ICMPv6 echo
rawnet send 198.18.1.2 --raw-ip 253 --hex cafe -c 1  # IP protocol 253 carrying 2 bytes
rawnet send 198.18.1.2 --udp -p 9 -d 3000 -m 1000 -c 1   # 4 fragments
rawnet send 198.18.1.x --rand-dest -S -p 80 -c 10    # a random 198.18.1.0/24 address each packet
rawnet send 198.18.1.2 -S -p 80 -d 64 --flood        # full speed until Ctrl-C
rawnet send 198.18.1.2 -I eth0 -S -p 80 --rate 1000 -c 5000  # layer 2, 1000 packets/s
rawnet send -9 secret -c 1                           # print what follows "secret" in a packet

Exit codes: 0 a reply came (--flood, -8, -9: sent or listened), 1 no reply, no route or a
network failure, 2 a bad option, address or interface, 3 no CAP_NET_RAW.
""".replace("\n\\b\n", "\n\b\n")  # click's no-rewrap marker is the control character


def _number(*names: str, maximum: int, default: int, text: str) -> Callable[[Any], Any]:
    """An option for a header field of 0..``maximum``, its default shown in --help."""
    return click.option(
        *names, type=click.IntRange(0, maximum), default=default, show_default=True, help=text
    )


@click.command(help=_HELP, context_settings={"max_content_width": 100})
@click.argument("dst", metavar="DST", required=False)
@click.option("--tcp", "protocol", flag_value="tcp", default=True, help="TCP (the default).")
@click.option("-2", "--udp", "protocol", flag_value="udp", help="UDP.")
@click.option("-1", "--icmp", "protocol", flag_value="icmp", help="ICMP echo request (ICMPv6 with IPv6).")
@click.option(
    "--raw-ip", "raw_proto", type=click.IntRange(0, 255), metavar="PROTO",
    help="An IP packet of protocol number PROTO carrying only the data (hping3 -0 -H).",
)  # fmt: skip
@click.option("-6", "ipv6", is_flag=True, help="IPv6 (an IPv6 DST picks it too).")
@click.option("-a", "--spoof", "src", metavar="SRC", help="Source address (default: the route's).")
@click.option(
    "--rand-source", is_flag=True,
    help="A random source address each packet: any IPv4 one, or -a's with x for the random parts.",
)  # fmt: skip
@click.option(
    "--rand-dest", is_flag=True, help="A random destination each packet: DST's x parts (198.18.1.x) random."
)
@click.option(
    "-s", "--sport", "--baseport", "sport", type=PORTS, metavar="PORTS",
    help="Source port(s). Default: a random base, one more per packet (hping3); -k keeps it.",
)  # fmt: skip
@click.option(
    "-p", "--dport", "--destport", "dport", type=PORTS, metavar="PORTS",
    help="Destination port(s): 80, 20-25, 22,80,443, ++80 (one more per packet), +80 (per reply). Default 0.",
)  # fmt: skip
@click.option("-k", "--keep", is_flag=True, help="Keep the default source port fixed.")
@click.option("-S", "--syn", "syn", is_flag=True, help="TCP SYN flag.")
@click.option("-A", "--ack-flag", "ack_flag", is_flag=True, help="TCP ACK flag.")
@click.option("-F", "--fin", "fin", is_flag=True, help="TCP FIN flag.")
@click.option("-R", "--rst", "rst", is_flag=True, help="TCP RST flag.")
@click.option("-P", "--push", "push", is_flag=True, help="TCP PSH flag.")
@click.option("-U", "--urg", "urg", is_flag=True, help="TCP URG flag.")
@click.option("-X", "--xmas", "xmas", is_flag=True, help="TCP flag 0x40 (ECE; hping3's X).")
@click.option("-Y", "--ymas", "ymas", is_flag=True, help="TCP flag 0x80 (CWR; hping3's Y).")
@click.option(
    "--flags", "flag_letters", metavar="FLAGS",
    help="TCP flags as letters of FSRPAUEC or XY (PA, SA) or a number (0x18); added to -S -A ...",
)  # fmt: skip
@click.option(
    "-M",
    "--seq",
    "--setseq",
    "seq",
    type=click.IntRange(0, 2**32 - 1),
    help="TCP sequence number (default: a new random one per packet, as hping3).",
)
@click.option("--seq-increment", is_flag=True, help="TCP seq one more for each packet (the post's loop).")
@click.option(
    "-L", "--ack", "--setack", "ack", type=click.IntRange(0, 2**32 - 1),
    help="TCP acknowledgment number (default: a new random one per packet, as hping3).",
)  # fmt: skip
@_number(
    "-w",
    "--window",
    "--win",
    "window",
    maximum=65535,
    default=512,
    text="TCP window (hping3's real default).",
)
@click.option(
    "--tcp-mss", type=click.IntRange(0, 65535), metavar="MSS", help="Add the TCP MSS option with this value."
)
@click.option("--tcp-timestamp", is_flag=True, help="Add the TCP timestamp option (hping3's: NOP NOP TS).")
@click.option(
    "-t", "--ttl", type=click.IntRange(0, 255), help="IPv4 TTL or IPv6 hop limit (default 64; -T: 1)."
)
@click.option(
    "-N", "--id", "ident", type=click.IntRange(0, 2**32 - 1),
    help="IPv4 id, fixed (default: the kernel's at layer 3, else random; fragments count up per packet); "
    "with IPv6 fragments, the fragment id.",
)  # fmt: skip
@click.option("-o", "--tos", "tos", metavar="HEX", help="IPv4 TOS (IPv6 traffic class) in hex: 10, 0x10.")
@click.option("-y", "--dontfrag", "--df", "df", is_flag=True, help="Set IPv4 Don't Fragment.")
@click.option("-x", "--morefrag", "more_fragments", is_flag=True, help="Set IPv4 More Fragments.")
@click.option(
    "-g", "--fragoff", "fragment_offset", type=click.IntRange(0, 65528), metavar="BYTES",
    help="IPv4 fragment offset in bytes, a multiple of 8 (the header holds BYTES/8).",
)  # fmt: skip
@click.option("-f", "--frag", "frag", is_flag=True, help="Cut each packet in fragments of 16 bytes (hping3).")
@click.option(
    "-m", "--mtu", "fragment_size", type=click.IntRange(8, 65535), metavar="N",
    help="Fragments of N bytes of IP payload (rounded down to 8s) for a packet longer than that.",
)  # fmt: skip
@click.option(
    "-b", "--badcksum", "bad_checksum", is_flag=True,
    help="A bad TCP/UDP/ICMP checksum (hping3's: the right one XOR 0x5555; at layer 2 the IPv4 one too).",
)  # fmt: skip
@click.option(
    "-d", "--data", "--size", "size", type=click.IntRange(0, 65535), metavar="SIZE",
    help="Data size in bytes (hping3's -d; default: the bytes given, else 0).",
)  # fmt: skip
@click.option("--payload", "text", metavar="TEXT", help="Data as text; backslash escapes as \\r\\n.")
@click.option("--hex", "hex_data", metavar="HEX", help="Data in hex (cafe, ca:fe).")
@click.option(
    "-E", "--file", "path", metavar="FILE", help="Fill the data from FILE (without -d: the whole file)."
)
@click.option(
    "-e", "--sign", "sign", metavar="SIGNATURE", help="The data starts with SIGNATURE (hping3's -e)."
)
@click.option(
    "--dns", "dns_name", metavar="NAME", help="Data: a DNS query for NAME (UDP, to port 53 unless -p)."
)
@click.option(
    "--dns-type", "dns_type", metavar="TYPE", help="--dns: the record type asked (A, AAAA, MX, ANY, 28...)."
)
@click.option(
    "-C", "--icmp-type", "--icmptype", "icmp_type", type=click.IntRange(0, 255),
    help="ICMP type (default echo request: 8, ICMPv6 128).",
)  # fmt: skip
@click.option(
    "-K", "--icmp-code", "--icmpcode", "icmp_code", type=click.IntRange(0, 255), default=0, help="ICMP code."
)
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
@click.option("--flood", "flood_mode", is_flag=True, help="As fast as possible; no replies shown.")
@click.option(
    "--workers", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
    help="--flood: N sending processes, each with its own socket and a share of the packets.",
)  # fmt: skip
@click.option(
    "--duration", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
    help="--flood: stop after SECONDS (with -c: whichever comes first).",
)  # fmt: skip
@click.option(
    "--tx-method", type=click.Choice(["auto", "ring", "mmsg"]), default="auto", show_default=True,
    help="--flood: how frames reach the kernel: a TX_RING (-I only), sendmmsg, or the faster for the case.",
)  # fmt: skip
@click.option(
    "--qdisc-bypass", is_flag=True, help="--flood -I: frames skip the interface's queueing discipline."
)
@click.option(
    "-I", "--iface", "--interface", "interface", metavar="IFACE",
    help="Send at layer 2 on IFACE (Ethernet header, MACs resolved by ARP/ND); -9: listen on IFACE.",
)  # fmt: skip
@click.option("-T", "--traceroute", is_flag=True, help="hping3's traceroute mode: TTL 1 up.")
@click.option("--tr-stop", is_flag=True, help="-T: stop at the first reply that is not 'time exceeded'.")
@click.option("--tr-keep-ttl", is_flag=True, help="-T: keep the TTL (watch one hop).")
@click.option("-8", "--scan", "scan", metavar="PORTS", help="hping3's scan mode: 1-1000,8888,known,!23 ...")
@click.option(
    "-9", "--listen", "signature", metavar="SIGNATURE",
    help="hping3's listen mode: write what follows SIGNATURE in each packet coming in.",
)  # fmt: skip
@click.option(
    "-W", "--timeout", type=click.FloatRange(min=0), default=1.0, show_default=True,
    help="Seconds a probe waits for its reply (and the run after the last).",
)  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="A line for each packet sent; -8: every answer.")
@click.option("-q", "--quiet", is_flag=True, help="Only the statistics (replies counted, not shown).")
@click.option(
    "--json", "json_lines", is_flag=True, help="JSON lines: each packet sent, each reply, the statistics."
)
def send(**given: Any) -> int:
    """rawnet send: see _HELP (the --help text, and docs/cli.md)."""
    if given["signature"] is not None:
        return _listen(given)
    options = _options(given)
    return _run(options)


def _listen(given: dict[str, Any]) -> int:
    """-9: hping3's listen mode; it sends nothing, so the sending options are refused."""
    signature: str = given["signature"]
    if signature.startswith("-") or not signature:
        raise click.BadParameter(
            f"{signature!r}: -9/--listen takes hping3's SIGNATURE (replies are shown without it)",
            param_hint="-9/--listen",
        )
    if given["dst"] is not None:
        raise click.UsageError(f"-9/--listen sends nothing: leave out {given['dst']}")
    interface = given["interface"]
    with stopped_by_signals(signal.SIGTERM):

        def write(data: bytes) -> None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()

        def listening() -> None:  # (printed once the socket is open, so a script may start sending)
            click.echo("rawnet send listen mode", err=True)

        listen_mode(signature.encode("latin-1"), interface, given["count"] or 0, write, listening)
    return OK


def _data(given: dict[str, Any]) -> Data:
    """hping3's data: -e then --payload/--hex, filled from -E or with X to -d bytes; or --dns's query."""
    if given["text"] is not None and given["hex_data"] is not None:
        raise click.UsageError("--payload and --hex: give the data one way")
    head = given["sign"].encode("latin-1") if given["sign"] is not None else b""
    if given["dns_name"] is not None:
        head = _dns_query(given)
    if given["text"] is not None:
        head += given["text"].encode().decode("unicode_escape").encode("latin-1")  # \r\n as in the post
    elif given["hex_data"] is not None:
        try:
            head += bytes.fromhex(given["hex_data"].replace(":", "").replace(" ", ""))
        except ValueError:
            raise click.BadParameter(f"{given['hex_data']!r} is not hex", param_hint="--hex") from None
    content: bytes | None = None
    if given["path"] is not None:
        try:
            with open(given["path"], "rb") as file:
                content = file.read()
        except OSError as error:
            raise click.BadParameter(
                f"cannot read {given['path']}: {error.strerror}", param_hint="-E"
            ) from None
    size = given["size"]
    if size is None:
        size = len(head) + (len(content) if content is not None else 0)
    elif len(head) > size:
        raise click.UsageError(
            f"the data given is {len(head)} bytes and -d {size} is smaller: make -d at least {len(head)}"
        )
    return Data(head, size, content)


def _options(given: dict[str, Any]) -> Options:
    """Check the options against each other; a conflict is a usage error (exit 2)."""
    if given["dst"] is None:
        raise click.UsageError("give DST, the address to send to (or -9 SIGNATURE to listen)")
    dst_pattern = src_pattern = None
    if given["rand_dest"]:
        dst_pattern = _rule(given["dst"], "--rand-dest")
        dst = dst_pattern.replace("x", "1")
    else:
        dst = _address(given["dst"], "DST")
    src = given["src"]
    if given["rand_source"]:
        src_pattern = _rule(src or "x.x.x.x", "-a/--spoof")
        src = src_pattern.replace("x", "1")
    elif src is not None:
        src = _address(src, "-a/--spoof")
    family = _family(dst, src, given["ipv6"])
    ipv6 = family == socket.AF_INET6
    protocol = "raw" if given["raw_proto"] is not None else given["protocol"]
    if given["dns_type"] is not None and given["dns_name"] is None:
        raise click.UsageError("--dns-type: the type of --dns's query (give --dns NAME)")
    if given["dns_name"] is not None:
        if protocol in ("raw", "icmp"):
            raise click.UsageError(f"--dns sends a DNS query over UDP, and this is {protocol}")
        protocol = "udp"  # (a query goes in one datagram; TCP's needs a connection first)
    if given["raw_proto"] is not None and given["protocol"] != "tcp":
        raise click.UsageError("--raw-ip and --udp/--icmp: give one protocol")
    modes = [
        name for name, value in (
            ("-T/--traceroute", given["traceroute"]), ("-8/--scan", given["scan"] is not None),
            ("--flood", given["flood_mode"]),
        ) if value
    ]  # fmt: skip
    if len(modes) > 1:
        raise click.UsageError(f"{modes[0]} and {modes[1]} are two modes: give one")
    short = {"S": given["syn"], "A": given["ack_flag"], "F": given["fin"], "R": given["rst"]}
    short |= {"P": given["push"], "U": given["urg"], "E": given["xmas"], "C": given["ymas"]}
    tcp_only = [
        name for name, value in (
            ("TCP flags", any(short.values()) or given["flag_letters"]),
            ("-M/--seq", given["seq"] is not None), ("--seq-increment", given["seq_increment"]),
            ("-L/--ack", given["ack"] is not None), ("--tcp-mss", given["tcp_mss"] is not None),
            ("--tcp-timestamp", given["tcp_timestamp"]), ("-8/--scan", given["scan"] is not None),
        ) if value
    ]  # fmt: skip
    if protocol != "tcp" and tcp_only:
        raise click.UsageError(f"{', '.join(tcp_only)}: TCP options, and this is {protocol}")
    if protocol not in ("tcp", "udp") and (given["sport"] or given["dport"] or given["keep"]):
        raise click.UsageError(f"-s/-p/-k: ports are for TCP and UDP, and this is {protocol}")
    if protocol != "icmp" and (given["icmp_type"] is not None or given["icmp_code"]):
        raise click.UsageError("-C/-K: ICMP options, and this is not --icmp")
    if given["scan"] is not None and given["dport"] is not None:
        raise click.UsageError("-8/--scan gives the destination ports: leave out -p")
    if (given["rand_dest"] or given["rand_source"]) and ipv6:
        raise click.UsageError("--rand-dest/--rand-source are IPv4's (hping3's): give an IPv4 address")
    if given["rand_dest"] and given["interface"] is not None:
        raise click.UsageError(
            "--rand-dest and -I: a random destination goes through the routes (leave out -I)"
        )
    if ipv6 and (given["df"] or given["more_fragments"] or given["fragment_offset"]):
        raise click.UsageError("-y/-x/-g: IPv6 has no fragment fields in its header (use -f or -m)")
    fragment_size = given["fragment_size"]
    if given["frag"]:
        fragment_size = fragment_size or 16  # hping3's virtual MTU
    hand_made = given["more_fragments"] or given["fragment_offset"]
    if fragment_size is not None and (hand_made or given["df"]):
        raise click.UsageError(
            "-f/-m cut packets in fragments, and -x/-g/-y set the fields by hand: give one"
        )
    if (given["fragment_offset"] or 0) % 8:
        raise click.BadParameter(
            f"{given['fragment_offset']} is not a multiple of 8 (the header counts 8-byte units)",
            param_hint="-g/--fragoff",
        )
    if given["ident"] is not None:
        limit = 2**32 - 1 if ipv6 else 65535
        if ipv6 and fragment_size is None:
            raise click.UsageError("-N: IPv6 has no id field (with -f or -m it sets the fragment id)")
        if given["ident"] > limit:
            raise click.BadParameter(f"{given['ident']} is over {limit}", param_hint="-N/--id")
    interval, flood_mode = _interval(
        given["interval"], given["fast"], given["faster"], given["rate"], given["flood_mode"]
    )
    engine = [
        name
        for name, given_value in (
            ("--workers", given["workers"] != 1), ("--duration", given["duration"] is not None),
            ("--tx-method", given["tx_method"] != "auto"), ("--qdisc-bypass", given["qdisc_bypass"]),
        )
        if given_value
    ]  # fmt: skip
    if engine and not flood_mode:
        raise click.UsageError(f"{', '.join(engine)}: options of --flood (replies are not listened for)")
    if given["qdisc_bypass"] and given["interface"] is None:
        raise click.UsageError("--qdisc-bypass: frames skip the qdisc of -I's interface (give -I)")
    if given["tx_method"] == "ring" and given["interface"] is None:
        raise click.UsageError("--tx-method ring: a TX_RING sends frames at layer 2 (give -I)")
    scan: tuple[int, ...] = ()
    if given["scan"] is not None:
        scan = scan_ports(given["scan"])
        if given["interval"] is None and not (given["fast"] or given["faster"] or given["rate"]):
            interval = 0.001  # hping3's scan goes quickly too
    sport: PortSpec | None = given["sport"]
    if sport is None:
        keep = given["keep"] or given["scan"] is not None  # (the scan's replies come to one port)
        sport = PortSpec((random.randrange(1024, 65536),), "" if keep else "++")
    dport: PortSpec = given["dport"] or PortSpec((53 if given["dns_name"] is not None else 0,))
    count = given["count"]
    if count is None:
        lists = [len(spec.ports) for spec in (sport, dport) if not spec.step and len(spec.ports) > 1]
        count = max(lists, default=0)
    icmp_type = given["icmp_type"]
    if icmp_type is None:
        icmp_type = 128 if ipv6 else 8
    ttl = given["ttl"]
    if ttl is None:
        ttl = 1 if given["traceroute"] else 64
    return Options(
        dst=dst, family=family, src=src, protocol=protocol, raw_proto=given["raw_proto"] or 0,
        sport=sport, dport=dport, flags=_flags(given["flag_letters"], short), seq=given["seq"],
        seq_increment=given["seq_increment"], ack=given["ack"], window=given["window"], ttl=ttl,
        ident=given["ident"], df=given["df"], fragment_size=fragment_size, data=_data(given),
        icmp_type=icmp_type, icmp_code=given["icmp_code"], count=count, interval=interval,
        flood=flood_mode, timeout=given["timeout"], interface=given["interface"],
        verbose=given["verbose"], quiet=given["quiet"], json=given["json_lines"],
        tos=_hex_byte(given["tos"], "-o/--tos"), more_fragments=given["more_fragments"],
        fragment_offset=given["fragment_offset"] or 0, bad_checksum=given["bad_checksum"],
        tcp_mss=given["tcp_mss"], tcp_timestamp=given["tcp_timestamp"], src_pattern=src_pattern,
        dst_pattern=dst_pattern, traceroute=given["traceroute"], tr_stop=given["tr_stop"],
        tr_keep_ttl=given["tr_keep_ttl"], scan=scan, rate=given["rate"] if flood_mode else None,
        duration=given["duration"], workers=given["workers"], tx_method=given["tx_method"],
        qdisc_bypass=given["qdisc_bypass"],
    )  # fmt: skip


def _dns_query(given: dict[str, Any]) -> bytes:
    """--dns's data: a query for NAME (--dns-type's records, A by default), a random id."""
    others = [
        name for name, value in (
            ("--payload", given["text"]), ("--hex", given["hex_data"]), ("-E/--file", given["path"]),
            ("-e/--sign", given["sign"]),
        ) if value is not None
    ]  # fmt: skip
    if others:
        raise click.UsageError(f"--dns and {others[0]}: --dns gives the data (a DNS query)")
    qtype: str | int = given["dns_type"] or "A"
    if isinstance(qtype, str) and qtype.isdigit():
        qtype = int(qtype)
    try:
        return dns_query(given["dns_name"], qtype, ident=random.randrange(65536))
    except FieldValueError as error:
        hint = "--dns-type" if "qtype" in str(error) else "--dns"
        raise click.BadParameter(str(error), param_hint=hint) from None


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


def _fit_to_mtu(options: Options, probe: Template) -> bool:
    """A packet longer than its route's MTU goes as fragments of it (hping3 does so too), unless
    -f/-m cut it already or -y forbids it. True when options.fragment_size was set."""
    if options.fragment_size is not None or options.df or options.more_fragments or options.fragment_offset:
        return False
    length = len(bytes(probe.network))
    if length <= 1280:  # (no IPv4 or IPv6 link is smaller)
        return False
    mtu = path_mtu(options.dst, interface=options.interface)
    if length <= mtu:
        return False
    options.fragment_size = (mtu - (20 if options.family == socket.AF_INET else 48)) // 8 * 8
    return True


def _run(options: Options) -> int:
    output = Output(options.json)
    if options.interface is not None and is_loopback(options.interface):
        raise click.BadParameter(
            f"{options.interface} is a loopback: it has no Ethernet peer (leave -I out)", param_hint="-I"
        )
    link = link_addresses(options) if options.interface is not None else None
    src = _source(options)
    probe = build_probe(options, src, link)
    if _fit_to_mtu(options, probe):
        probe = build_probe(options, src, link)
    sock, transmit = open_sender(options)
    run, stats = Run(), RttStats()
    silent: list[int] = []
    with stopped_by_signals(signal.SIGTERM):  # `timeout` ends a run as Ctrl-C does
        try:
            if not options.quiet:
                run.announce = lambda: _header(output, options, probe, src)
            if options.flood:
                with live_counter(output, run):
                    if engine_flood(options, probe, run) is None:
                        _flood_alone(options)
                        flood(transmit, probe, options.count, run)
            elif options.scan:
                silent = scan_run(transmit, probe, options, output, run, stats)
            else:
                listening_run(transmit, probe, options, output, run, stats)
        finally:
            sock.close()
        stats.sent = run.sent
        if options.scan:
            if not output.json:
                names = "".join(f"({port} {service(port)[:11]}) " for port in silent)
                output.line(f"Not responding ports: {names}")
            else:
                output.line("", {"type": "statistics", "not_responding": silent, "sent": run.sent})
            return OK
        _statistics(output, options, run, stats)
    if options.listening and not stats.received:
        return NO_REPLY
    return OK


def _flood_alone(options: Options) -> None:
    """The engine's options need packets it can take (one frame each, a cycle of values)."""
    asked = [
        name
        for name, given in (
            ("--rate", options.rate is not None), ("--duration", options.duration is not None),
            ("--workers", options.workers != 1), ("--tx-method", options.tx_method != "auto"),
            ("--qdisc-bypass", options.qdisc_bypass),
        )
        if given
    ]  # fmt: skip
    if asked:
        raise click.UsageError(
            f"{', '.join(asked)}: the line-rate engine sends packets of one frame each whose values "
            "repeat (no fragments, no --seq-increment): leave them out, or the options that prevent it"
        )


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
    dst = options.dst_pattern or options.dst
    output.note(f"SEND {dst} ({where}) from {src}: {what}, {headers} headers + {data} data bytes")
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
    target = options.dst_pattern or options.dst
    if options.listening:
        record = stats.record() | extra
        lines = stats.lines(target)
    else:  # a flood: what the kernel refused (a full queue or ring) is counted, never sent again
        record = {"type": "statistics", "sent": run.sent, **extra, "errors": run.errors}
        lines = [f"--- {target} statistics ---", pace + f", {run.errors} send errors"]
    if output.json:
        output.line("", record)
        return
    for text in lines:
        output.line(text)
