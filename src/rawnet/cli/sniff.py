"""rawnet sniff: tcpdump-like capture lines, live or from a capture file.

A thin shell over rawnet.net.capture (live capture, filters compiled by libpcap and run in the
kernel: ReceivedSniffer's undecoded records, so -w copies bytes and nanosecond times and a line
decodes only what it shows) and rawnet.net.pcap (files, as records); the field tree and the JSON
layers come from rawnet decode's module. Packet lines go to stdout as they come; "listening on
..." and the closing counts go to stderr, as tcpdump's do.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import click

from rawnet.cli.common import OK, Output, stopped_by_signals
from rawnet.cli.decode import annotated_tree, layer_checks, layer_records
from rawnet.cli.linkline import link_line
from rawnet.cli.pcaptool import (
    SNAPLEN,
    RecordSink,
    check_distinct,
    format_of,
    format_time,
    linktype_name,
    open_input,
    reader_left,
)
from rawnet.net.bpf import Matcher
from rawnet.net.pcap import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, Record, decode_link
from rawnet.wire import CookedLinux2, Layer, hexdump
from rawnet.wire.sll import PACKET_TYPES as COOKED_PACKET_TYPES
from rawnet.wire.tcpdump import Conversations, relative_sequences

if TYPE_CHECKING:
    from rawnet.net.sockets import Received

#: tcpdump's direction tags on `-i any` lines (sll_pkttype).
_DIRECTION_TAGS = {"host": "In", "outgoing": "Out", "broadcast": "B", "multicast": "M", "otherhost": "P"}
_INDENT = "    "


# -- packet lines -------------------------------------------------------------------------------
def packet_line(
    timestamp_ns: int, summary: str, interface: str | None = None, direction: str | None = None
) -> str:
    """tcpdump -n -S -tt's line; with the interface and direction on `-i any`, as tcpdump 4.99 prints."""
    where = ""
    if interface is not None:
        where = f"{interface:<5} {_DIRECTION_TAGS.get(direction or '', direction or '?'):<3} "
    return f"{format_time(timestamp_ns)} {where}{summary}"


@dataclass
class Printer:
    """What sniff does with each packet: print it (line, hex, tree or JSON), write it, count it."""

    out: Output
    sink: RecordSink | None
    show_lines: bool
    show_hex: bool
    verbose: bool
    count: int | None
    link_level: bool = False  # -e: tcpdump's link-level header on each line
    #: tcpdump's relative TCP sequence numbers (None: -S, as on the wire)
    conversations: Conversations | None = None
    captured: int = 0
    failure: BaseException | None = None

    def take(
        self,
        data: bytes,
        timestamp_ns: int,
        decoded: Callable[[], Layer],
        interface: str | None = None,
        direction: str | None = None,
        linktype: int = LINKTYPE_ETHERNET,
        wirelen: int | None = None,
        tagged: bool = False,
        recorded: bytes | None = None,
    ) -> None:
        """One packet that passed the filter (``decoded()`` decodes it, only when it is shown).

        ``recorded``: what the file gets, when not ``data`` (`-i any` writes Linux cooked v2).
        """
        self.captured += 1
        if recorded is not None:
            wirelen = len(recorded)
        written = data if recorded is None else recorded
        if wirelen is None:
            wirelen = len(written)
        if self.sink is not None:
            self.sink.write(Record(written, timestamp_ns, wirelen, linktype), flush=True)  # (kept if killed)
        if not self.show_lines:
            return
        packet = decoded()
        with relative_sequences(self.conversations):
            summary = link_line(packet, wirelen) if self.link_level else packet.summary_safe()
        line = packet_line(timestamp_ns, summary, interface if tagged else None, direction)
        record_json: dict[str, Any] | None = None
        if self.out.json:
            record_json = {
                "type": "packet",
                "time": timestamp_ns / 1e9,
                "interface": interface,
                "direction": direction,
                "length": len(data),
                "summary": summary,
                "layers": layer_records(packet),
            }
            if self.show_hex:
                record_json["hex"] = data.hex()
        else:
            extra: list[str] = []
            if self.verbose:
                extra += annotated_tree(packet, layer_checks(packet))
            if self.show_hex:
                extra += (hexdump(data, dump=True) or "").splitlines()
            if extra:
                line += "\n" + "\n".join(_INDENT + text for text in extra)
        self.out.line(line, record_json)

    @property
    def done(self) -> bool:
        return self.failure is not None or (self.count is not None and self.captured >= self.count)


# -- rawnet sniff -------------------------------------------------------------------------------
@click.command()
@click.option(
    "-i",
    "--interface",
    metavar="IFACE",
    help="Capture on IFACE; 'any' (the default) captures on every interface.",
)
@click.option(
    "-c", "--count", type=click.IntRange(min=1), metavar="COUNT", help="Stop after COUNT packets that match."
)
@click.option(
    "-w",
    "--write",
    "write_path",
    metavar="FILE",
    help="Write the packets to FILE (pcapng if it ends in .pcapng, else pcap); no lines unless --print.",
)
@click.option(
    "-r",
    "--read",
    "read_path",
    metavar="FILE",
    help="Read packets from a pcap or pcapng FILE instead of capturing.",
)
@click.option(
    "-x", "--hex", "show_hex", is_flag=True, help="Add a hex dump of each packet (the whole frame)."
)
@click.option(
    "-e", "link_level", is_flag=True, help="Print the link-level header on each line (MACs, EtherType, VLAN)."
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Add the field tree of each packet, with checksum status."
)
@click.option("-q", "--quiet", is_flag=True, help="No packet lines: only the closing counts.")
@click.option("--print", "print_lines", is_flag=True, help="With -w, print the packet lines too.")
@click.option("-n", "numeric", is_flag=True, help="Accepted for tcpdump's sake: rawnet never resolves names.")
@click.option(
    "-S",
    "--absolute-tcp-sequence-numbers",
    "absolute",
    is_flag=True,
    help="TCP sequence numbers as on the wire (by default, as tcpdump: relative to each connection's first).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Stop capturing after SECONDS (live captures).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per packet, then the statistics.")
@click.argument("expression", nargs=-1)
def sniff(
    interface: str | None,
    count: int | None,
    write_path: str | None,
    read_path: str | None,
    show_hex: bool,
    link_level: bool,
    verbose: bool,
    quiet: bool,
    print_lines: bool,
    numeric: bool,
    absolute: bool,
    timeout: float | None,
    as_json: bool,
    expression: tuple[str, ...],
) -> int:
    """Capture packets and print one line each, as tcpdump -n -tt does.

    EXPRESSION is a tcpdump filter, the rest of the command line joined with spaces (quote it,
    or not: `tcp port 80` and 'tcp port 80' are the same). libpcap compiles it and the kernel
    runs it, so packets that do not match never reach rawnet; an expression libpcap rejects is
    one line with libpcap's reason, exit 2. Each line is the capture time in seconds since the
    epoch, then tcpdump's summary; on every interface (-i any, or no -i) the interface and the
    direction come first (In, Out, B broadcast, M multicast, P another host's), as tcpdump 4.99
    prints them. Outgoing packets on lo are skipped, as libpcap does (each would show twice).
    TCP sequence and acknowledgment numbers are relative to each connection's first, as
    tcpdump shows them (-S: as on the wire).

    "listening on IFACE ..." goes to stderr once the capture is running: traffic sent after it
    is seen. Ctrl-C (or SIGTERM), -c, or --timeout ends the capture; the counts go to stderr as
    tcpdump prints them (--json: a final {"type": "statistics"} object, with captured, received
    and dropped). -w flushes each packet, so a capture that is killed keeps what it wrote; on a
    terminal it shows a live "Got N" count instead of the lines (as tcpdump -v -w). With -r, the
    file's packets go through the same filter (libpcap's interpreter, compiled for the file's
    link type) and the same output (-w copies them to another file). --json objects hold time,
    interface, direction, length, summary and layers: [{"layer": name, "fields": {...}}] (hex
    with -x).

    \b
    rawnet sniff -i eth0 tcp port 80
    rawnet sniff -i veth0 -c 5 -x udp port 53
    rawnet sniff -i veth0 -e vlan                # MACs, EtherType and 802.1Q tags
    rawnet sniff -i any -w trace.pcapng icmp or icmp6
    rawnet sniff -r trace.pcap -v 'tcp[tcpflags] & tcp-syn != 0'
    rawnet sniff -i eth0 --json --timeout 10 | jq .summary
    """
    if read_path is not None and interface is not None:
        raise click.UsageError("-r reads a file: -i does not go with it")
    text = " ".join(expression)
    show_lines = not quiet and (write_path is None or print_lines)
    printer = Printer(Output(as_json), None, show_lines, show_hex, verbose, count, link_level)
    printer.conversations = None if absolute else Conversations()
    with stopped_by_signals(signal.SIGTERM):  # SIGTERM ends a capture as Ctrl-C does, as tcpdump's
        if read_path is not None:
            return _read(read_path, text, printer, write_path)
        return _capture(interface, text, printer, write_path, timeout)


def _capture(
    interface: str | None, expression: str, printer: Printer, write_path: str | None, timeout: float | None
) -> int:
    from rawnet.net.capture import ReceivedSniffer  # (sockets: only for live captures)

    every = interface in (None, "any")
    name = "any" if every else interface

    def take(received: Received) -> None:
        if printer.done or (received.interface == "lo" and received.direction == "outgoing"):
            return
        try:
            stamp = received.timestamp_ns // 1000 * 1000  # in microseconds, as libpcap gives tcpdump
            cooked_link = printer.link_level and linktype == LINKTYPE_LINUX_SLL2  # -e on -i any
            recorded = sniffer.record(received) if printer.sink is not None or cooked_link else None
            if cooked_link:  # (-e shows the cooked header, as tcpdump)
                decoded: Callable[[], Layer] = partial(CookedLinux2.decode, recorded or b"", lenient=True)
            else:
                decoded = lambda: received.packet  # noqa: E731
            printer.take(
                received.data,
                stamp,
                decoded,
                received.interface,
                received.direction,
                linktype=linktype,
                tagged=every,
                recorded=recorded,
            )
        except BaseException as error:  # reported by the main thread, which stops the capture
            printer.failure = error

    sniffer = ReceivedSniffer(
        None if every else interface,
        expression or None,
        timeout=timeout,
        prn=take,
        stop_filter=lambda _: printer.done,
        store=False,
    )
    linktype = sniffer.linktype  # opens it: a bad filter, an unknown interface or no privilege
    if write_path is not None:  # (as tcpdump: no file from a capture that never ran)
        printer.sink = RecordSink(write_path, linktype, format_of(write_path))
    sniffer.start()  # what came since it opened is queued on its socket
    try:
        click.echo(
            f"listening on {name}, link-type {linktype_name(linktype)}, snapshot length {SNAPLEN} bytes",
            err=True,
        )
        counting = printer.sink is not None and not printer.show_lines  # -w: "Got N", as tcpdump -v -w
        live = printer.out.live_status(lambda: f"Got {printer.captured}") if counting else nullcontext()
        with live:
            try:
                sniffer.join()
            except KeyboardInterrupt:
                sniffer.stop()
    finally:
        sniffer.stop()
        if printer.sink is not None:
            printer.sink.close()
    if printer.failure is not None:
        if isinstance(printer.failure, BrokenPipeError):  # `rawnet sniff | head`: the reader left
            return reader_left()
        raise printer.failure
    received, dropped = sniffer.seen + sniffer.drops, sniffer.drops
    if printer.out.json:
        statistics = {
            "type": "statistics",
            "captured": printer.captured,
            "received": received,
            "dropped": dropped,
        }
        printer.out.line("", statistics)
    else:
        click.echo(
            f"{printer.captured} packets captured\n{received} packets received by filter\n"
            f"{dropped} packets dropped by kernel",
            err=True,
        )
    return OK


def _read(path: str, expression: str, printer: Printer, write_path: str | None) -> int:
    if write_path is not None:
        check_distinct([path], write_path)
    reader, first, records = open_input(path)
    linktype = first.linktype if first is not None else reader.linktype
    keep = Matcher(expression, linktype) if expression else None
    if write_path is not None:
        fmt = format_of(write_path, None, "pcapng" if reader.pcapng else "pcap")
        printer.sink = RecordSink(write_path, linktype, fmt, reader.nanoseconds)
    try:
        for record in records:
            if keep is not None and not keep(record.linktype, record.data):
                continue
            interface, direction = _cooked_origin(record)
            printer.take(
                record.data,
                record.timestamp_ns,
                partial(decode_link, record.linktype, record.data),
                interface,
                direction,
                linktype=record.linktype,
                wirelen=record.wirelen,
                tagged=interface is not None,
            )
            if printer.done:
                break
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        return reader_left()
    finally:
        reader.close()
        if printer.sink is not None:
            printer.sink.close()
    return OK


def _cooked_origin(record: Record) -> tuple[str | None, str | None]:
    """The interface and direction a Linux cooked v2 header records (as tcpdump -r prints them).

    The interface index is named as in this network namespace (tcpdump does the same), or
    printed as a number when nothing here has it.
    """
    if record.linktype != LINKTYPE_LINUX_SLL2:
        return None, None
    packet = record.packet
    if not isinstance(packet, CookedLinux2):  # (too short: Undecoded)
        return None, None
    try:
        name = socket.if_indextoname(packet.ifindex)
    except OSError:
        name = str(packet.ifindex)
    return name, COOKED_PACKET_TYPES.get(packet.pkttype, str(packet.pkttype))
