"""rawnet sniff: tcpdump's options and lines, live or from a capture file.

A thin shell over rawnet.net.capture (live capture, filters compiled by libpcap and run in the
kernel: ReceivedSniffer's undecoded records read from a TPACKET_V3 ring, so -w writes each ring
block's records in one write, never decoding, and a line decodes only what it shows) and
rawnet.net.pcap (files, as records); the field tree and the JSON
layers come from rawnet decode's module, time stamps and dumps from tcpdumpfmt. Packet lines go
to stdout as they come; "listening on ..." / "reading from file ..." and the closing counts go
to stderr, as tcpdump's do.
"""

from __future__ import annotations

import signal
import socket
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import IO, TYPE_CHECKING, Any, Protocol

import click

from rawnet.cli.common import OK, Output, stopped_by_signals
from rawnet.cli.decode import annotated_tree, layer_checks, layer_records
from rawnet.cli.linkline import link_line
from rawnet.cli.pcaptool import (
    SNAPLEN,
    FileError,
    check_distinct,
    format_of,
    linktype_name,
    open_input,
    reader_left,
)
from rawnet.cli.tcpdumpfmt import Stamper, dump, link_header_length
from rawnet.net.bpf import Matcher
from rawnet.net.pcap import (
    LINKTYPE_LINUX_SLL2,
    PcapWriter,
    Record,
    decode_link,
    rotated_name,
)
from rawnet.wire import CookedLinux2, Layer, Raw
from rawnet.wire.sll import PACKET_TYPES as COOKED_PACKET_TYPES
from rawnet.wire.tcpdump import Conversations, relative_sequences

if TYPE_CHECKING:
    from rawnet.net.sockets import Received

#: tcpdump's direction tags on `-i any` lines (sll_pkttype).
_DIRECTION_TAGS = {"host": "In", "outgoing": "Out", "broadcast": "B", "multicast": "M", "otherhost": "P"}
_INDENT = "    "
_MEGABYTE = 1_000_000  # tcpdump -C's unit: millions of bytes


# -- packet lines -------------------------------------------------------------------------------
def packet_line(stamp: str, summary: str, interface: str | None = None, direction: str | None = None) -> str:
    """tcpdump -n's line after its time stamp ``stamp`` (with its space, "" for -t); with the
    interface and direction on `-i any`, as tcpdump 4.99 prints them."""
    where = ""
    if interface is not None:
        where = f"{interface:<5} {_DIRECTION_TAGS.get(direction or '', direction or '?'):<3} "
    return f"{stamp}{where}{summary}"


@dataclass
class Dumps:
    """tcpdump's raw dumps after each line: -x / -xx, -X / -XX, -A / -AA (counted)."""

    hex: int = 0
    both: int = 0
    ascii: int = 0

    def __bool__(self) -> bool:
        return bool(self.hex or self.both or self.ascii)


class Sink(Protocol):
    """Where -w's records go."""

    def write(self, record: Record) -> None: ...
    def close(self) -> None: ...


@dataclass
class Printer:
    """What sniff does with each packet: print it (line, dump, tree or JSON), write it, count it."""

    out: Output
    sink: Sink | None
    show_lines: bool
    dumps: Dumps
    tree: bool  # --tree: each packet's field tree
    count: int | None
    link_level: bool = False  # -e: tcpdump's link-level header on each line
    verbose: int = 0  # -v, -vv: tcpdump's detail
    #: tcpdump's relative TCP sequence numbers (None: -S, as on the wire)
    conversations: Conversations | None = None
    stamper: Stamper = field(default_factory=Stamper)
    captured: int = 0
    failure: BaseException | None = None

    def take(
        self,
        record: Record,
        decoded: Callable[[], Layer],
        data: bytes,
        interface: str | None = None,
        direction: str | None = None,
        tagged: bool = False,
    ) -> None:
        """One packet that passed the filter: ``record`` as a file holds it (cut to the snapshot
        length), ``decoded()`` the packet a line shows (decoded only when shown), ``data`` its
        bytes from where the line starts (for --json)."""
        self.captured += 1
        if self.sink is not None:
            self.sink.write(record)
        if not self.show_lines:
            return
        packet = decoded()
        with relative_sequences(self.conversations):
            if type(packet) is Raw:  # a link type rawnet does not decode: tcpdump's word for it
                summary = "UNSUPPORTED"
            elif self.link_level:
                summary = link_line(packet, record.wirelen, self.verbose)
            else:
                summary = packet.summary_safe(self.verbose)
        line = packet_line(
            self.stamper(record.timestamp_ns), summary, interface if tagged else None, direction
        )
        record_json: dict[str, Any] | None = None
        if self.out.json:
            record_json = {
                "type": "packet",
                "time": record.timestamp_ns / 1e9,
                "interface": interface,
                "direction": direction,
                "length": len(data),
                "summary": summary,
                "layers": layer_records(packet),
            }
            if self.dumps:
                record_json["hex"] = data.hex()
        else:
            if self.tree:
                tree = annotated_tree(packet, layer_checks(packet))
                line += "".join("\n" + _INDENT + text for text in tree)
            if self.dumps:
                header = link_header_length(record.linktype, record.data)
                line += dump(record.data, header, self.dumps.hex, self.dumps.ascii, self.dumps.both)
        self.out.line(line, record_json)

    @property
    def done(self) -> bool:
        return self.failure is not None or (self.count is not None and self.captured >= self.count)


# -- files: -w, -C, -G, -W ----------------------------------------------------------------------
class FileLimitReached(Exception):
    """-G with -W: the last file's time is up (tcpdump stops there)."""


@dataclass
class CaptureFiles:
    """-w's file, or tcpdump's series of them: -C (a new file once one holds more than SIZE
    million bytes: FILE, FILE1, FILE2 ...; with -W N a ring of N names, FILE0 ...), -G (a new
    file every SECONDS, its name through strftime) and -W (-G: stop after N files). As tcpdump,
    a file is checked when a packet comes, never on a timer; what is written is flushed."""

    pattern: str
    linktype: int
    pcapng: bool
    nanoseconds: bool
    snaplen: int
    size: int | None = None  # bytes (-C, already in bytes)
    seconds: int | None = None  # -G
    files: int | None = None  # -W
    clock: Callable[[], float] = time.time
    writer: PcapWriter | None = None
    path: str = ""
    _number: int = 0  # -C's count in the name
    _made: int = 0  # -G's files
    _started: int = 0  # when -G's file began (whole seconds, as time(NULL))

    def __post_init__(self) -> None:
        self._started = int(self.clock())
        self._open(self._name(0, numbered=self.size is not None))

    def _digits(self) -> int:
        """Digits of -W's numbers (tcpdump's getWflagChars: those of N - 1)."""
        return len(str(self.files - 1)) if self.files and self.files > 1 and self.size else 0

    def _name(self, number: int, numbered: bool) -> str:
        return rotated_name(
            self.pattern,
            number,
            self._digits() if numbered else 0,
            self._started if self.seconds else None,
        )

    def _open(self, path: str) -> None:
        self.path = path
        target: str | IO[bytes] = sys.stdout.buffer if path == "-" else path
        self.writer = PcapWriter(
            target,
            linktype=self.linktype,
            pcapng=self.pcapng,
            nanoseconds=self.nanoseconds or self.pcapng,
            snaplen=self.snaplen,
        )

    def write(self, record: Record) -> None:
        """Append ``record`` (to a new file first when -C or -G says so)."""
        writer = self.writer
        assert writer is not None
        if record.linktype != self.linktype:
            raise FileError(
                f"{self.path}: packet {writer.written + 1} has link type {linktype_name(record.linktype)}, "
                f"the file has {linktype_name(self.linktype)} (split the input by link type first)"
            )
        if self.seconds is not None:
            now = int(self.clock())
            if now - self._started >= self.seconds:
                self._started = now
                self._made += 1
                writer.close()
                if self.size is None and self.files is not None and self._made >= self.files:
                    self.writer = None
                    raise FileLimitReached(f"Maximum file limit reached: {self.files}")
                self._number = 0
                self._open(self._name(0, numbered=self.size is not None))
                writer = self.writer
                assert writer is not None
        if self.size is not None and writer.tell() > self.size:
            self._number += 1
            if self.files is not None and self._number >= self.files:
                self._number = 0
            writer.close()
            self._open(self._name(self._number, numbered=True))
            writer = self.writer
            assert writer is not None
        writer.write_record(record)
        writer.flush()  # (a capture that is killed keeps what it wrote)

    def write_block(self, records: list[tuple[Any, int, int]], nanoseconds: bool) -> None:
        """Append a capture ring's block of records (data, time in ns, length on the wire) in
        one write, flushed: a capture that is killed keeps every block it was handed (at most
        the ring's block timeout of packets is lost). With -C or -G, record by record, each
        checked against the file's limits as tcpdump checks them."""
        writer = self.writer
        assert writer is not None
        if self.size is None and self.seconds is None:
            writer.write_many(records, self.linktype, microseconds=not nanoseconds)
            writer.flush()
            return
        for data, stamp, wirelen in records:
            stamp = stamp if nanoseconds else stamp // 1000 * 1000  # (libpcap's microseconds: cut)
            self.write(Record(bytes(data[: self.snaplen]), stamp, wirelen, self.linktype))

    def close(self) -> None:
        """Flush and close the current file."""
        if self.writer is not None:
            self.writer.close()


# -- rawnet sniff -------------------------------------------------------------------------------


@click.command()
@click.option(
    "-i",
    "--interface",
    metavar="IFACE",
    help="Capture on IFACE, or the interface numbered so by -D; 'any' (the default): every interface.",
)
@click.option(
    "-D",
    "--list-interfaces",
    "list_interfaces",
    is_flag=True,
    help="List the interfaces, numbered, and exit.",
)
@click.option(
    "-c", "--count", type=click.IntRange(min=1), metavar="COUNT", help="Stop after COUNT packets that match."
)
@click.option(
    "-w",
    "--write",
    "write_path",
    metavar="FILE",
    help="Write the packets to FILE ('-': stdout), pcapng if it ends in .pcapng, else pcap; "
    "no lines unless --print.",
)
@click.option(
    "-r",
    "--read",
    "read_path",
    metavar="FILE",
    help="Read packets from a pcap or pcapng FILE instead of capturing.",
)
@click.option(
    "-C",
    "file_size",
    type=click.IntRange(min=1),
    metavar="SIZE",
    help="With -w: a new file when one holds more than SIZE million bytes (FILE, FILE1, FILE2 ...).",
)
@click.option(
    "-G",
    "rotate_seconds",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="With -w: a new file every SECONDS; FILE goes through strftime (%H%M%S ...).",
)
@click.option(
    "-W",
    "file_count",
    type=click.IntRange(min=1),
    metavar="COUNT",
    help="With -C: a ring of COUNT files (FILE0 ...); with -G alone: stop after COUNT files.",
)
@click.option(
    "-F", "filter_file", type=click.Path(dir_okay=False), metavar="FILE", help="Read the filter from FILE."
)
@click.option(
    "-s",
    "--snapshot-length",
    "snaplen",
    type=click.IntRange(0, SNAPLEN),
    default=SNAPLEN,
    metavar="SNAPLEN",
    help=f"Keep the first SNAPLEN bytes of each packet (0: {SNAPLEN}, the default; live captures).",
)
@click.option(
    "-B",
    "--buffer-size",
    "buffer_kib",
    type=click.IntRange(min=1),
    metavar="KIB",
    help="The capture ring's size, in KiB, as tcpdump's -B (live captures; default 32768: 32 MiB).",
)
@click.option(
    "-p",
    "--no-promiscuous-mode",
    "no_promiscuous",
    is_flag=True,
    help="Leave the interface out of promiscuous mode.",
)
@click.option(
    "-Q",
    "--direction",
    type=click.Choice(["in", "out", "inout"]),
    default="inout",
    help="Capture packets received (in), sent (out) or both (live captures).",
)
@click.option(
    "-l", "line_buffered", is_flag=True, help="Line-buffered stdout (always so: accepted for tcpdump's sake)."
)
@click.option(
    "-t",
    "time_format",
    count=True,
    help="-t no time, -tt seconds since the epoch, -ttt since the previous packet, -tttt date and time, "
    "-ttttt since the first packet (default: local time of day).",
)
@click.option(
    "--time-stamp-precision",
    "precision",
    type=click.Choice(["micro", "nano"]),
    default="micro",
    help="Times in microseconds (the default) or nanoseconds, printed and written.",
)
@click.option(
    "-x",
    "--hex",
    "hex_level",
    count=True,
    help="Add each packet in hex, from the network header (-xx: the link header).",
)
@click.option(
    "-X", "both_level", count=True, help="Add each packet in hex and ASCII (-XX: from the link header)."
)
@click.option("-A", "ascii_level", count=True, help="Add each packet in ASCII (-AA: from the link header).")
@click.option(
    "-e", "link_level", is_flag=True, help="Print the link-level header on each line (MACs, EtherType, VLAN)."
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="tcpdump -v's detail: IP header fields, checksums checked, ICMP quotes, ND options (-vv more).",
)
@click.option("--tree", is_flag=True, help="Add the field tree of each packet, with checksum status.")
@click.option("-q", "--quiet", is_flag=True, help="No packet lines: only the closing counts.")
@click.option("--print", "print_lines", is_flag=True, help="With -w, print the packet lines too.")
@click.option(
    "-n", "numeric", count=True, help="Accepted (also -nn) for tcpdump's sake: rawnet never resolves names."
)
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
    list_interfaces: bool,
    count: int | None,
    write_path: str | None,
    read_path: str | None,
    file_size: int | None,
    rotate_seconds: int | None,
    file_count: int | None,
    filter_file: str | None,
    snaplen: int,
    buffer_kib: int | None,
    no_promiscuous: bool,
    direction: str,
    line_buffered: bool,
    time_format: int,
    precision: str,
    hex_level: int,
    both_level: int,
    ascii_level: int,
    link_level: bool,
    verbose: int,
    tree: bool,
    quiet: bool,
    print_lines: bool,
    numeric: int,
    absolute: bool,
    timeout: float | None,
    as_json: bool,
    expression: tuple[str, ...],
) -> int:
    """Capture packets and print one line each, as tcpdump -n does.

    EXPRESSION is a tcpdump filter, the rest of the command line joined with spaces (quote it,
    or not: `tcp port 80` and 'tcp port 80' are the same); -F reads it from a file instead
    (# starts a comment there; an EXPRESSION given too is ignored, as tcpdump ignores it).
    libpcap compiles it and the kernel runs it, so packets that do not match never reach
    rawnet; an expression libpcap rejects is one line with libpcap's reason, exit 2. Each line
    is the capture time (local time of day, as tcpdump; -t ... -ttttt as tcpdump's), then
    tcpdump's summary; on every interface (-i any, or no -i) the interface and the direction
    come first (In, Out, B broadcast, M multicast, P another host's), as tcpdump 4.99 prints
    them. Outgoing packets on lo are skipped, as libpcap does (each would show twice). TCP
    sequence and acknowledgment numbers are relative to each connection's first, as tcpdump
    shows them (-S: as on the wire). -x, -X and -A add tcpdump's dumps of each packet, from the
    network header (doubled, -xx: from the link header).

    An interface is put in promiscuous mode while it is captured, as tcpdump does (-p: not;
    every interface at once never is). -s cuts each packet to SNAPLEN bytes, in what is printed
    and in what is written. "listening on IFACE ..." goes to stderr once the capture is running:
    traffic sent after it is seen. Ctrl-C (or SIGTERM), -c, or --timeout ends the capture; the
    counts go to stderr as tcpdump prints them (--json: a final {"type": "statistics"} object,
    with captured, received and dropped). -w writes and flushes each block of packets the kernel
    hands over (a block waits 4 ms at most), so a capture that is killed keeps what it wrote;
    on a terminal it shows a live "Got N" count instead of the lines (as tcpdump -v -w). With
    -r, the file's packets go through the same filter (libpcap's interpreter, compiled for the
    file's link type) and the same output (-w copies them to another file), and -c counts them.
    --json objects hold time, interface, direction, length, summary and layers:
    [{"layer": name, "fields": {...}}] (hex with -x, -X or -A).

    \b
    rawnet sniff -D                              # the interfaces, numbered for -i
    rawnet sniff -i eth0 tcp port 80
    rawnet sniff -i veth0 -c 5 -X udp port 53    # hex and ASCII of each packet
    rawnet sniff -i veth0 -e vlan                # MACs, EtherType and 802.1Q tags
    rawnet sniff -i any -w trace.pcapng icmp or icmp6
    rawnet sniff -i eth0 -w ring.pcap -C 100 -W 5     # 5 files of 100 MB, the oldest overwritten
    rawnet sniff -r trace.pcap -tttt -c 10 'tcp[tcpflags] & tcp-syn != 0'
    rawnet sniff -i eth0 --json --timeout 10 | jq .summary
    """
    dumps = Dumps(hex_level, both_level, ascii_level)
    if list_interfaces:
        return _list_interfaces()
    if read_path is not None and interface is not None:
        raise click.UsageError("-r reads a file: -i does not go with it")
    if time_format > 5:
        raise click.UsageError("only -t, -tt, -ttt, -tttt and -ttttt are supported (as tcpdump's)")
    _check_files(write_path, file_size, rotate_seconds, file_count)
    text = _read_filter(filter_file) if filter_file is not None else " ".join(expression)
    show_lines = not quiet and (write_path is None or print_lines)
    if write_path == "-" and show_lines:
        raise click.UsageError("-w - writes the capture to stdout: --print does not go with it")
    nanoseconds = precision == "nano"
    printer = Printer(Output(as_json), None, show_lines, dumps, tree, count, link_level, verbose)
    printer.conversations = None if absolute else Conversations()
    printer.stamper = Stamper(time_format, nanoseconds)
    files = partial(
        CaptureFiles,
        size=None if file_size is None else file_size * _MEGABYTE,
        seconds=rotate_seconds,
        files=file_count,
    )
    with stopped_by_signals(signal.SIGTERM):  # SIGTERM ends a capture as Ctrl-C does, as tcpdump's
        if read_path is not None:
            return _read(read_path, text, printer, write_path, files)
        live = Live(
            interface=_interface_named(interface),
            snaplen=snaplen or SNAPLEN,
            promiscuous=not no_promiscuous,
            buffer_size=None if buffer_kib is None else buffer_kib * 1024,
            direction=direction,
            nanoseconds=nanoseconds,
        )
        return _capture(live, text, printer, write_path, timeout, files)


def _check_files(
    write_path: str | None, file_size: int | None, rotate_seconds: int | None, file_count: int | None
) -> None:
    """-C, -G and -W name files: they need -w FILE (tcpdump ignores them without it)."""
    rotating = file_size is not None or rotate_seconds is not None
    if (rotating or file_count is not None) and write_path is None:
        raise click.UsageError("-C, -G and -W name the files -w writes: give -w FILE")
    if file_count is not None and not rotating:
        raise click.UsageError("-W counts the files of -C or -G: give one of them")
    if rotating and write_path == "-":
        raise click.UsageError("-C and -G start new files: -w - (stdout) cannot")


def _read_filter(path: str) -> str:
    """tcpdump -F's expression: the file's text, each # to the end of its line a comment."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        raise click.UsageError(f"cannot read the filter file {path}: {error.strerror or error}") from None
    return " ".join(line.split("#", 1)[0] for line in lines).strip()


def _list_interfaces() -> int:
    from rawnet.net.capture import capture_interfaces

    for number, found in enumerate(capture_interfaces(), 1):
        click.echo(f"{number}.{found.tcpdump_text()}")
    return OK


def _interface_named(interface: str | None) -> str | None:
    """-i's interface: a name, or the number -D gives it (when no interface has that name)."""
    if interface is None or not interface.isdigit():
        return interface
    try:
        socket.if_nametoindex(interface)
        return interface  # (an interface named by digits wins, as with tcpdump)
    except OSError:
        pass
    from rawnet.net.capture import capture_interfaces

    listed = capture_interfaces()
    number = int(interface)
    if not 1 <= number <= len(listed):
        raise click.BadParameter(
            f"no interface number {number}: `rawnet sniff -D` lists {len(listed)}", param_hint="'-i'"
        )
    return listed[number - 1].name


@dataclass(frozen=True)
class Live:
    """What a live capture is asked for besides the filter."""

    interface: str | None
    snaplen: int
    promiscuous: bool
    buffer_size: int | None
    direction: str  # in, out, inout
    nanoseconds: bool


def _capture(
    live: Live,
    expression: str,
    printer: Printer,
    write_path: str | None,
    timeout: float | None,
    files: Callable[..., CaptureFiles],
) -> int:
    from rawnet.net.capture import ReceivedSniffer  # (sockets: only for live captures)

    every = live.interface in (None, "any")
    name = "any" if every else live.interface
    wanted = {"in": lambda d: d != "outgoing", "out": lambda d: d == "outgoing"}.get(live.direction)
    snaplen = live.snaplen

    def take(received: Received) -> None:
        if printer.done or (received.interface == "lo" and received.direction == "outgoing"):
            return
        if wanted is not None and not wanted(received.direction):
            return
        try:
            stamp = received.timestamp_ns
            if not live.nanoseconds:
                stamp = stamp // 1000 * 1000  # in microseconds, as libpcap gives tcpdump
            whole = sniffer.record(received) if linktype == LINKTYPE_LINUX_SLL2 else received.data
            kept = whole[:snaplen]
            if len(kept) < len(whole) or (printer.link_level and linktype == LINKTYPE_LINUX_SLL2):
                decoded: Callable[[], Layer] = partial(_shown, linktype, kept, printer.link_level, len(whole))
            else:
                decoded = lambda: received.packet  # noqa: E731
            record = Record(kept, stamp, len(whole), linktype)
            printer.take(record, decoded, received.data, received.interface, received.direction, every)
        except BaseException as error:  # reported by the main thread, which stops the capture
            printer.failure = error

    def sink(records: list[tuple[Any, int, int]]) -> bool:
        """-w without lines: a ring block's records written at once, never decoded."""
        if printer.done:
            return True
        if printer.count is not None:
            records = records[: printer.count - printer.captured]
        try:
            assert isinstance(printer.sink, CaptureFiles)
            printer.sink.write_block(records, live.nanoseconds)
        except BaseException as error:  # reported by the main thread, which stops the capture
            printer.failure = error
            return True
        printer.captured += len(records)
        return printer.done

    bulk = write_path is not None and not printer.show_lines
    sniffer = ReceivedSniffer(
        None if every else live.interface,
        expression or None,
        timeout=timeout,
        prn=take,
        stop_filter=lambda _: printer.done,
        store=False,
        promiscuous=live.promiscuous,
        buffer_size=live.buffer_size,
        sink=sink if bulk else None,
        looped=False,
        direction=live.direction,
    )
    linktype = sniffer.linktype  # opens it: a bad filter, an unknown interface or no privilege
    if write_path is not None:  # (as tcpdump: no file from a capture that never ran)
        printer.sink = _files(files, write_path, linktype, None, live.nanoseconds, snaplen)
    sniffer.start()  # what came since it opened is queued on its socket
    limit: FileLimitReached | None = None
    try:
        try:  # (Ctrl-C right after "listening on" too: the test of a user who is quick)
            click.echo(
                f"listening on {name}, link-type {linktype_name(linktype)}, snapshot length {snaplen} bytes",
                err=True,
            )
            counting = printer.sink is not None and not printer.show_lines  # -w: "Got N", as tcpdump -v -w
            status = printer.out.live_status(lambda: f"Got {printer.captured}") if counting else nullcontext()
            with status:
                sniffer.join()
        except KeyboardInterrupt:
            pass
    finally:
        sniffer.stop()
        if printer.sink is not None:
            printer.sink.close()
    if isinstance(printer.failure, FileLimitReached):
        limit = printer.failure
        printer.failure = None
    if printer.failure is not None:
        if isinstance(printer.failure, BrokenPipeError):  # `rawnet sniff | head`: the reader left
            return reader_left()
        raise printer.failure
    if limit is not None:  # (tcpdump stops there, then prints the counts)
        click.echo(str(limit), err=True)
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


def _shown(linktype: int, data: bytes, link_level: bool, wirelen: int) -> Layer:
    """The packet a line shows of a record (``wirelen`` long on the wire): from the link header
    with -e, else (cooked) after it."""
    if linktype == LINKTYPE_LINUX_SLL2:
        cooked = CookedLinux2.decode_captured(data, wirelen)
        if link_level or cooked.payload is None:
            return cooked
        return cooked.payload
    return decode_link(linktype, data, wirelen)


def _files(
    files: Callable[..., CaptureFiles],
    path: str,
    linktype: int,
    fmt: str | None,
    nanoseconds: bool,
    snaplen: int,
) -> CaptureFiles:
    chosen = format_of(path, None, fmt or "pcap")
    try:
        return files(path, linktype, chosen == "pcapng", nanoseconds, snaplen)
    except OSError as error:
        raise FileError(f"cannot write {path}: {error.strerror or error}") from None


def _read(
    path: str,
    expression: str,
    printer: Printer,
    write_path: str | None,
    files: Callable[..., CaptureFiles],
) -> int:
    if write_path is not None and write_path != "-":
        check_distinct([path], write_path)
    reader, first, records = open_input(path)
    linktype = first.linktype if first is not None else reader.linktype
    keep = Matcher(expression, linktype) if expression else None
    click.echo(
        f"reading from file {path}, link-type {linktype_name(linktype)}, snapshot length {reader.snaplen}",
        err=True,
    )
    if linktype == LINKTYPE_LINUX_SLL2:  # (its interface indexes are named as here: tcpdump's words)
        click.echo("Warning: interface names might be incorrect", err=True)
    if write_path is not None:
        fmt = "pcapng" if reader.pcapng else "pcap"
        printer.sink = _files(files, write_path, linktype, fmt, reader.nanoseconds, reader.snaplen)
    try:
        for record in records:
            if keep is not None and not keep(record.linktype, record.data):
                continue
            interface, direction = _cooked_origin(record)
            printer.take(
                record,
                partial(decode_link, record.linktype, record.data, record.wirelen),
                record.data,
                interface,
                direction,
                tagged=interface is not None,
            )
            if printer.done:
                break
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        return reader_left()
    except FileLimitReached as limit:
        click.echo(str(limit), err=True)
    finally:
        reader.close()
        if printer.sink is not None:
            printer.sink.close()
    return OK


def _cooked_origin(record: Record) -> tuple[str | None, str | None]:
    """The interface and direction a Linux cooked v2 header records (as tcpdump -r prints them).

    The interface index is named as in this network namespace (tcpdump does the same, and
    warns that the names might be incorrect), "?" when nothing here has it (as tcpdump).
    """
    if record.linktype != LINKTYPE_LINUX_SLL2:
        return None, None
    packet = record.packet
    if not isinstance(packet, CookedLinux2):  # (too short: Undecoded)
        return None, None
    try:
        name = socket.if_indextoname(packet.ifindex)
    except OSError:
        name = "?"
    return name, COOKED_PACKET_TYPES.get(packet.pkttype, str(packet.pkttype))
