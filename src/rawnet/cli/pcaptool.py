"""rawnet pcap info|filter|merge|convert: capture files, one record at a time.

A thin shell over rawnet.net.pcap (PcapReader, PcapWriter). Nothing is loaded whole: every
command streams records from its inputs to its output (PcapReader.records(): undecoded). Also
home of the file helpers rawnet sniff shares (output format by extension, link-type names).
"""

from __future__ import annotations

import heapq
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import click

from rawnet.cli.common import OK, USAGE, Output
from rawnet.net.bpf import Matcher
from rawnet.net.pcap import LINKTYPE_ETHERNET, PcapReader, PcapWriter, Record

#: libpcap's names of the link types rawnet meets (pcap_datalink_val_to_name / _description).
LINKTYPE_NAMES = {
    0: "NULL (BSD loopback)",
    1: "EN10MB (Ethernet)",
    12: "RAW (Raw IP)",
    14: "RAW (Raw IP)",
    101: "RAW (Raw IP)",
    104: "C_HDLC (Cisco HDLC)",
    105: "IEEE802_11 (802.11)",
    108: "LOOP (OpenBSD loopback)",
    113: "LINUX_SLL (Linux cooked v1)",
    127: "IEEE802_11_RADIO (802.11 plus radiotap header)",
    226: "IPNET (Solaris IPNET)",
    239: "NFLOG (Linux netfilter log messages)",
    271: "VSOCK (Linux vsock)",
    276: "LINUX_SLL2 (Linux cooked v2)",
    281: "DSA_TAG_BRCM (Broadcom tag)",
    282: "DSA_TAG_BRCM_PREPEND (Broadcom tag (prepended))",
    284: "DSA_TAG_DSA (Marvell DSA)",
    285: "DSA_TAG_EDSA (Marvell EDSA)",
}
SNAPLEN = 262144  # libpcap's default snapshot length
FORMATS = ("pcap", "pcapng")


class FileError(click.ClickException):
    """A capture file rawnet cannot write as asked (exit 2, like a bad argument)."""

    exit_code = USAGE


def reader_left() -> int:
    """stdout's reader went away (`rawnet ... | head`): stop quietly, exit 0, as tcpdump does."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush then goes nowhere
    os.close(devnull)
    return OK


def linktype_name(linktype: int) -> str:
    """``EN10MB (Ethernet)`` for 1, as tcpdump names link types; ``LINKTYPE 42`` when unknown."""
    return LINKTYPE_NAMES.get(linktype, f"LINKTYPE {linktype}")


def format_time(timestamp_ns: int, nanoseconds: bool = False) -> str:
    """Seconds since the epoch as tcpdump -tt prints them (microseconds, cut, not rounded)."""
    seconds, fraction = divmod(timestamp_ns, 1_000_000_000)
    if nanoseconds:
        return f"{seconds}.{fraction:09d}"
    return f"{seconds}.{fraction // 1000:06d}"


def format_of(path: str, given: str | None = None, otherwise: str = "pcap") -> str:
    """The output format: ``given``, else by extension (.pcapng / .pcap), else ``otherwise``."""
    if given:
        return given
    lowered = path.lower()
    if lowered.endswith(".pcapng"):
        return "pcapng"
    if lowered.endswith(".pcap"):
        return "pcap"
    return otherwise


def open_writer(
    path: str, linktype: int, fmt: str, nanoseconds: bool = False, snaplen: int = SNAPLEN
) -> PcapWriter:
    """A PcapWriter for ``path`` in format ``fmt`` (pcapng files always get nanosecond stamps)."""
    pcapng = fmt == "pcapng"
    return PcapWriter(
        path, linktype=linktype, pcapng=pcapng, nanoseconds=nanoseconds or pcapng, snaplen=snaplen
    )


def check_distinct(inputs: Iterable[str], output: str) -> None:
    """Refuse to write over an input (it would be truncated before it is read)."""
    for path in inputs:
        if os.path.exists(output) and os.path.exists(path) and os.path.samefile(path, output):
            raise click.UsageError(f"{output} is also an input: write to another file")


def peek(records: Iterator[Record]) -> tuple[Record | None, Iterator[Record]]:
    """The first record (None if there is none) and an iterator that still yields it."""
    first = next(records, None)
    if first is None:
        return None, iter(())
    return first, _chain(first, records)


def _chain(first: Record, rest: Iterator[Record]) -> Iterator[Record]:
    yield first
    yield from rest


class RecordSink:
    """Writes records of one link type to a capture file (rawnet writes one interface per file)."""

    def __init__(
        self, path: str, linktype: int, fmt: str, nanoseconds: bool = False, snaplen: int = SNAPLEN
    ) -> None:
        self.path = path
        self.linktype = linktype
        self.writer = open_writer(path, linktype, fmt, nanoseconds, snaplen)
        self.written = 0

    def write(self, record: Record, flush: bool = False) -> None:
        """Append ``record``; a record of another link type is an error (exit 2)."""
        if record.linktype != self.linktype:
            self.close()
            raise FileError(
                f"{self.path}: packet {self.written + 1} has link type {linktype_name(record.linktype)}, "
                f"the file has {linktype_name(self.linktype)} (split the input by link type first)"
            )
        self.writer.write_record(record)
        self.written += 1
        if flush:
            self.writer.flush()

    def close(self) -> None:
        """Flush and close the file."""
        self.writer.close()


def open_input(path: str) -> tuple[PcapReader, Record | None, Iterator[Record]]:
    """A reader of ``path``, its first record (None for an empty file) and all its records."""
    reader = PcapReader(path)
    first, records = peek(reader.records())
    return reader, first, records


def input_format(reader: PcapReader) -> str:
    """``pcap`` or ``pcapng``."""
    return "pcapng" if reader.pcapng else "pcap"


# -- the commands --------------------------------------------------------------------------------
@click.group()
def pcap() -> None:
    """Read, filter, merge and convert pcap and pcapng capture files.

    Every subcommand streams: records are read and written one at a time, so files of any size
    work in flat memory. Inputs may be pcap (micro- or nanosecond, either byte order) or pcapng
    (Enhanced and Simple Packet Blocks); link types decoded are Ethernet, raw IP and Linux cooked
    v1/v2. An output's format is --format, else its extension (.pcapng or .pcap), else as each
    command says; pcapng output has nanosecond timestamps, pcap output keeps the input's
    precision (--nanoseconds asks for nanoseconds). Records are copied as they are (bytes,
    timestamps, lengths on the wire), one link type per output file. A missing, unreadable or
    truncated file is one line naming it (and the byte offset where it breaks), exit 2.

    \b
    rawnet pcap info trace.pcap                       # counts, link type, time span, protocols
    rawnet pcap filter trace.pcap web.pcap tcp port 80
    rawnet pcap merge all.pcapng left.pcap right.pcap # one file, ordered by time
    rawnet pcap convert trace.pcap trace.pcapng       # pcap -> pcapng
    """


@pcap.command(short_help="Counts, link type, time span and protocols of capture files.")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
def info(files: tuple[str, ...], as_json: bool) -> int:
    """Show what capture files hold: counts, format, link type, time span, protocols.

    For each FILE: its format (pcap with micro- or nanosecond timestamps, or pcapng), link
    type(s), number of packets, bytes captured and bytes on the wire, the earliest and latest
    timestamps and the span between them, whether the records are in time order, and the
    protocols seen with the number of packets carrying each (every layer rawnet decodes; payload
    bytes are not counted as a protocol). The whole file is read (and every packet decoded), one
    record at a time. With --json, one object per file with the same facts (times in seconds
    since the epoch, protocols as {name: packets}).

    \b
    rawnet pcap info trace.pcap
    rawnet pcap info --json *.pcapng | jq .packets
    """
    out = Output(as_json)
    try:
        for index, path in enumerate(files):
            facts = file_facts(path)
            if index and not as_json:
                out.line("")
            out.line("\n".join(describe(facts)), facts)
    except BrokenPipeError:
        return reader_left()
    return OK


def file_facts(path: str) -> dict[str, Any]:
    """Everything ``pcap info`` reports about one file (read once, streaming)."""
    reader = PcapReader(path)
    packets = captured = wire = 0
    first: int | None = None
    last: int | None = None
    previous: int | None = None
    ordered = True
    linktypes: Counter[int] = Counter()
    protocols: Counter[str] = Counter()
    for record in reader.records():
        packets += 1
        captured += len(record.data)
        wire += record.wirelen
        stamp = record.timestamp_ns
        first = stamp if first is None else min(first, stamp)
        last = stamp if last is None else max(last, stamp)
        if previous is not None and stamp < previous:
            ordered = False
        previous = stamp
        linktypes[record.linktype] += 1
        names = {layer.name for layer in record.packet.layers() if layer.name != "raw"}
        protocols.update(names)
    if not linktypes and not reader.pcapng:
        linktypes[reader.linktype] = 0
    return {
        "type": "file",
        "file": path,
        "format": input_format(reader),
        "nanoseconds": reader.nanoseconds,
        "link_types": [{"number": number, "name": linktype_name(number)} for number in sorted(linktypes)],
        "packets": packets,
        "bytes": captured,
        "wire_bytes": wire,
        "first": None if first is None else first / 1e9,
        "last": None if last is None else last / 1e9,
        "first_ns": first,
        "last_ns": last,
        "span": None if first is None or last is None else (last - first) / 1e9,
        "ordered": ordered,
        "protocols": dict(protocols.most_common()),
    }


def describe(facts: dict[str, Any]) -> list[str]:
    """The text block of ``pcap info`` for one file (capinfos' layout)."""
    kind = facts["format"]
    if kind == "pcap":
        kind += " (nanosecond timestamps)" if facts["nanoseconds"] else " (microsecond timestamps)"
    links = ", ".join(f"{link['name']} [{link['number']}]" for link in facts["link_types"]) or "none"
    lines = [
        f"File name:       {facts['file']}",
        f"File format:     {kind}",
        f"Link type:       {links}",
        f"Packets:         {facts['packets']}",
        f"Bytes:           {facts['bytes']} captured, {facts['wire_bytes']} on the wire",
    ]
    if facts["first_ns"] is not None:
        precise = facts["nanoseconds"] or facts["format"] == "pcapng"
        lines += [
            f"First packet:    {_when(facts['first_ns'], precise)}",
            f"Last packet:     {_when(facts['last_ns'], precise)}",
            f"Span:            {(facts['last_ns'] - facts['first_ns']) / 1e9:.6f} s",
            f"In time order:   {'yes' if facts['ordered'] else 'no'}",
        ]
    protocols = ", ".join(f"{name} {count}" for name, count in facts["protocols"].items()) or "none"
    lines.append(f"Protocols:       {protocols}")
    return lines


def _when(timestamp_ns: int, nanoseconds: bool) -> str:
    """Seconds since the epoch, and the UTC date and time, to the file's precision."""
    epoch = format_time(timestamp_ns, nanoseconds)
    utc = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(timestamp_ns // 1_000_000_000))
    return f"{epoch} ({utc}.{epoch.partition('.')[2]} UTC)"


_FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format (default: by OUT's extension, .pcapng or .pcap).",
)
_NANO_OPTION = click.option(
    "--nanoseconds", is_flag=True, help="pcap output with nanosecond timestamps (pcapng always has them)."
)


@pcap.command(name="filter", short_help="Keep the packets that match a tcpdump expression.")
@click.argument("source", metavar="IN")
@click.argument("target", metavar="OUT")
@click.argument("expression", nargs=-1, required=True)
@_FORMAT_OPTION
@_NANO_OPTION
def filter_(source: str, target: str, expression: tuple[str, ...], fmt: str | None, nanoseconds: bool) -> int:
    """Keep the packets of IN that match a tcpdump EXPRESSION; write them to OUT.

    EXPRESSION is the rest of the command line joined with spaces, as tcpdump takes it. It is
    compiled by libpcap for IN's link type and run on each record by libpcap's BPF interpreter,
    so it keeps exactly what `tcpdump -r IN -w OUT EXPRESSION` keeps. Records are copied as they
    are (bytes, timestamps, lengths on the wire). OUT's format follows its extension (or
    --format); without either it is IN's. A bad expression is one line with libpcap's reason,
    exit 2. How many packets were kept goes to stderr.

    \b
    rawnet pcap filter trace.pcap dns.pcap udp port 53
    rawnet pcap filter trace.pcapng syn.pcapng 'tcp[tcpflags] & tcp-syn != 0'
    """
    check_distinct([source], target)
    text = " ".join(expression)
    reader, first, records = open_input(source)
    linktype = first.linktype if first is not None else reader.linktype
    keep = Matcher(text, linktype)
    sink = RecordSink(  # (the input's snapshot length kept, as tcpdump -w keeps it)
        target,
        linktype,
        format_of(target, fmt, input_format(reader)),
        nanoseconds or reader.nanoseconds,
        reader.snaplen or SNAPLEN,
    )
    seen = 0
    try:
        for record in records:
            seen += 1
            if keep(record.linktype, record.data):
                sink.write(record)
    finally:
        sink.close()
    Output().note(f"{sink.written} of {seen} packets kept")
    return OK


@pcap.command(short_help="Merge capture files, ordered by time.")
@click.argument("target", metavar="OUT")
@click.argument("sources", nargs=-1, required=True, metavar="IN...")
@_FORMAT_OPTION
@_NANO_OPTION
def merge(target: str, sources: tuple[str, ...], fmt: str | None, nanoseconds: bool) -> int:
    """Merge capture files into OUT, ordered by timestamp (mergecap's default).

    Each IN is read in its own order and the records are interleaved by time (a k-way merge:
    files already in time order give a file in time order; records with equal times keep the
    order of the files on the command line). All inputs must have the same link type. OUT's
    format follows its extension (or --format); nanosecond stamps are kept when an input has them.

    \b
    rawnet pcap merge all.pcap left.pcap right.pcap
    rawnet pcap merge --format pcapng all.out a.pcap b.pcapng
    """
    check_distinct(sources, target)
    readers = [open_input(path) for path in sources]
    linktypes = {first.linktype if first is not None else reader.linktype for reader, first, _ in readers}
    if len(linktypes) > 1:
        names = ", ".join(linktype_name(link) for link in sorted(linktypes))
        raise FileError(f"the inputs have different link types ({names}): merge files of one link type")
    linktype = linktypes.pop() if linktypes else LINKTYPE_ETHERNET
    keep_nano = nanoseconds or any(reader.nanoseconds for reader, _, _ in readers)
    snaplen = max((reader.snaplen for reader, _, _ in readers), default=SNAPLEN)
    sink = RecordSink(target, linktype, format_of(target, fmt), keep_nano, snaplen or SNAPLEN)
    try:
        for record in heapq.merge(*(records for _, _, records in readers), key=_time_of):
            sink.write(record)
    finally:
        sink.close()
    Output().note(f"{sink.written} packets from {len(sources)} files")
    return OK


def _time_of(record: Record) -> int:
    return record.timestamp_ns


@pcap.command()
@click.argument("source", metavar="IN")
@click.argument("target", metavar="OUT")
@_FORMAT_OPTION
@_NANO_OPTION
def convert(source: str, target: str, fmt: str | None, nanoseconds: bool) -> int:
    """Convert a capture file between pcap and pcapng.

    OUT's format is --format if given, else its extension (.pcapng or .pcap), else the other
    format than IN's. Every record is copied with its bytes, timestamp and length on the wire.
    pcapng output has nanosecond timestamps; pcap output has IN's precision (a pcapng input gives
    microseconds, rounded, unless --nanoseconds). Only one link type per file is written.

    \b
    rawnet pcap convert trace.pcap trace.pcapng
    rawnet pcap convert trace.pcapng trace.pcap --nanoseconds
    rawnet pcap convert old.cap new.cap --format pcapng
    """
    check_distinct([source], target)
    reader, first, records = open_input(source)
    other = "pcap" if reader.pcapng else "pcapng"
    linktype = first.linktype if first is not None else reader.linktype
    sink = RecordSink(
        target,
        linktype,
        format_of(target, fmt, other),
        nanoseconds or reader.nanoseconds,
        reader.snaplen or SNAPLEN,
    )
    try:
        for record in records:
            sink.write(record)
    finally:
        sink.close()
    return OK
