"""rawnet decode: packets from hex or a capture file, as a field tree with each checksum's status.

A thin shell over rawnet.wire (decoding, summaries, verify()) and rawnet.net.pcap (files). Also
home of the field tree with checksum status and the JSON layer records that rawnet sniff (-v,
--json) shows the same way; nothing here sends or captures.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

import click

from rawnet.cli.common import OK, Output
from rawnet.cli.pcaptool import format_time, open_input, reader_left
from rawnet.net.pcap import decode_link
from rawnet.wire import (
    ICMP,
    IP,
    UDP,
    CookedLinux,
    CookedLinux2,
    Ether,
    ICMPv6,
    IPv6,
    IPv6ExtHdrFragment,
    Layer,
    hexdump,
)
from rawnet.wire.display import tree
from rawnet.wire.fields import CHECKSUM, LENGTH

#: --link choices: the layer decoding starts with.
START_LAYERS: dict[str, type[Layer]] = {
    "ether": Ether,
    "ip": IP,
    "ipv6": IPv6,
    "sll": CookedLinux,
    "sll2": CookedLinux2,
}


# -- lengths and checksums: what verify() says, field by field ------------------------------------
def layer_checks(packet: Layer) -> list[dict[str, dict[str, Any]]]:
    """For each layer, its length and checksum fields: value, status and (when bad) the right value.

    Status is ``good``, ``bad`` (``expected`` holds the right value, from verify()), ``none`` (a
    zero UDP checksum over IPv4: no checksum) or ``unchecked`` (inside an ICMP error's quote or an
    IP fragment, where the field covers bytes that are not present; verify() does not judge it).
    """
    pending = list(packet.verify())
    result: list[dict[str, dict[str, Any]]] = []
    why = ""  # why the layers below are not judged ("" while they are)
    above: Layer | None = None
    for position, layer in enumerate(packet.layers()):
        judged = {field.name for field in layer.checked_fields()}
        checks: dict[str, dict[str, Any]] = {}
        for field in layer.fields_desc:
            if field.auto not in (LENGTH, CHECKSUM):
                continue
            value = getattr(layer, field.name)
            check: dict[str, Any] = {"kind": field.auto, "value": value}
            problem = next(
                (p for p in pending if p.position == position and p.field == field.name),
                None,
            )
            if problem is not None:
                pending.remove(problem)
                check.update(status="bad", expected=problem.expected)
            elif field.name in judged:
                check.update(status="good")
            elif field.auto == CHECKSUM and value == 0 and isinstance(layer, UDP) and isinstance(above, IP):
                check.update(status="none")
            else:
                check.update(status="unchecked", why=why or "verify() does not judge it")
            checks[field.name] = check
        result.append(checks)
        if not why and isinstance(layer, ICMP | ICMPv6):
            why = "inside an ICMP error's quote"
        elif not why and _fragment(layer):
            why = "in an IP fragment"
        above = layer
    return result


def _fragment(layer: Layer) -> bool:
    """Whether ``layer`` carries an IP fragment (what follows covers bytes not present)."""
    if isinstance(layer, IP):
        return bool(layer.frag) or bool(int(layer.flags) & 0x1)
    return isinstance(layer, IPv6ExtHdrFragment)


def annotated_tree(packet: Layer, checks: list[dict[str, dict[str, Any]]]) -> list[str]:
    """The field tree (show()'s layout) with each checksum's status and each wrong length marked."""
    layers = packet.layers()
    lines: list[str] = []
    index, position = -1, 0
    for line in tree(packet).splitlines():
        if line.startswith("###["):
            index, position = index + 1, 0
            lines.append(line)
            continue
        fields = layers[index].fields_desc
        if position < len(fields):
            check = checks[index].get(fields[position].name)
            position += 1
            if check is not None:
                line = _annotate(line, check)
        lines.append(line)
    return lines


def _annotate(line: str, check: dict[str, Any]) -> str:
    status = check["status"]
    if check["kind"] == LENGTH:
        return f"{line} (bad, should be {check['expected']})" if status == "bad" else line
    head = line[: line.index("= ") + 2]
    value = f"{head}0x{check['value']:04x}"
    if status == "bad":
        return f"{value} (bad, should be 0x{check['expected']:04x})"
    if status == "unchecked":
        return f"{value} (not checked: {check['why']})"
    if status == "none":
        return f"{value} (none: zero means no checksum over IPv4)"
    return f"{value} (good)"


def layer_records(
    packet: Layer, checks: list[dict[str, dict[str, Any]]] | None = None
) -> list[dict[str, Any]]:
    """The layers as JSON-ready objects: {"layer": name, "fields": {...}} (and "checks")."""
    records = []
    for index, layer in enumerate(packet.layers()):
        record: dict[str, Any] = {"layer": type(layer).__name__, "fields": layer.field_values()}
        if checks is not None and checks[index]:
            record["checks"] = {
                name: {key: value for key, value in check.items() if key != "kind"}
                for name, check in checks[index].items()
            }
        records.append(record)
    return records


# -- hex input ----------------------------------------------------------------------------------
#: A hexdump line: an offset (0x0000:, 0000:, 00000000: or 0000 and two spaces), then the bytes.
_OFFSET_LINE = re.compile(r"^\s*(?:0x)?([0-9a-fA-F]{4,8})(?::\s*|\s{2,})(.*)$")
_NOT_HEX = re.compile(r"[^0-9a-fA-F]")
#: hexdump -C's text column, between bars (its hex column has a double space in the middle).
_BARRED_TEXT = re.compile(r"^(.*?)\s\s\|.{1,16}\|\s*$")


def packets_from_hex(text: str) -> list[bytes]:
    """The packets of hex text: a hexdump with offsets (several packets) or plain hex (one)."""
    dumped = _from_hexdump(text)
    if dumped is not None:
        return dumped
    cleaned = re.sub(r"[\s:]", "", re.sub(r"0[xX]", "", text))
    if not cleaned:
        raise click.UsageError("no hex given: pass HEX, pipe it on stdin, or read a file with -r")
    bad = _NOT_HEX.search(cleaned)
    if bad is not None:
        start = max(0, bad.start() - 8)
        raise click.UsageError(
            f"not hex: {bad.group()!r} in {cleaned[start : bad.start() + 8]!r} "
            "(hex digits, with spaces, colons, newlines or 0x between them)"
        )
    if len(cleaned) % 2:
        raise click.UsageError(f"an odd number of hex digits ({len(cleaned)}): a byte is two digits")
    return [bytes.fromhex(cleaned)]


def _from_hexdump(text: str) -> list[bytes] | None:
    """Packets of `rawnet sniff -x`, `tcpdump -x/-xx/-X`, `xxd` or `hexdump -C` output, else None.

    Lines without an offset (summaries, trees) are skipped; offset 0 starts a new packet; each
    other offset must continue the packet (else this is not a hexdump, and None is returned).
    """
    packets: list[bytearray] = []
    for line in text.splitlines():
        match = _OFFSET_LINE.match(line)
        if match is None:
            continue
        offset = int(match.group(1), 16)
        rest = match.group(2).strip()
        barred = _BARRED_TEXT.match(rest)
        column = barred.group(1) if barred else rest.split("  ")[0]  # the text column cut off
        column = column.replace(" ", "")
        if not column or _NOT_HEX.search(column) or len(column) % 2:
            return None
        if offset == 0:
            packets.append(bytearray())
        elif not packets or offset != len(packets[-1]):
            return None
        packets[-1] += bytes.fromhex(column)
    return [bytes(packet) for packet in packets] or None


def guess_start(data: bytes) -> type[Layer]:
    """IPv4 or IPv6 when the version nibble says so and the header's length fits the bytes; else Ethernet."""
    if len(data) >= 20 and data[0] >> 4 == 4 and data[0] & 0x0F >= 5:
        total = int.from_bytes(data[2:4], "big")
        if total == len(data) or (20 <= total < len(data) <= 46):  # (46: Ethernet padding)
            return IP
    if len(data) >= 40 and data[0] >> 4 == 6 and 40 + int.from_bytes(data[4:6], "big") == len(data):
        return IPv6
    return Ether


# -- rawnet decode ------------------------------------------------------------------------------
@click.command()
@click.argument("hex_text", nargs=-1, metavar="[HEX]...")
@click.option(
    "-r", "--read", "read_path", metavar="FILE", help="Decode the packets of a pcap or pcapng FILE."
)
@click.option(
    "--link",
    type=click.Choice(["auto", *START_LAYERS]),
    default="auto",
    show_default=True,
    help="The first layer: ether, ip (IPv4), ipv6, sll or sll2 (Linux cooked); auto guesses.",
)
@click.option(
    "-c", "--count", type=click.IntRange(min=1), metavar="COUNT", help="Decode only the first COUNT packets."
)
@click.option("-x", "--hex", "show_hex", is_flag=True, help="Add a hex dump of each packet.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per packet.")
def decode(
    hex_text: tuple[str, ...],
    read_path: str | None,
    link: str,
    count: int | None,
    show_hex: bool,
    as_json: bool,
) -> int:
    """Decode packets from hex or a capture file: the field tree, with each checksum's status.

    HEX is the packet's bytes (all arguments joined; read from stdin when there are none): hex
    digits, with spaces, colons, newlines and 0x prefixes allowed anywhere between bytes. A
    hexdump with offsets is taken too (`rawnet sniff -x`, `tcpdump -x`/`-xx`/`-X`, `xxd`,
    `hexdump -C`): lines without an offset are skipped, and each offset 0 starts another packet.
    With -r, the packets of a pcap or pcapng file are decoded, each from its link type.

    Each packet prints its summary and its field tree (show()'s layout). Every checksum shows
    its status from verify(): `chksum = 0x1234 (good)`, or `(bad, should be 0xabcd)` with the
    right value; a length that is wrong is marked the same way. Checksums inside an ICMP error's
    quote or an IP fragment cover bytes that are not there and say `(not checked: ...)`; a zero
    UDP checksum over IPv4 says `(none ...)`. Bytes that do not decode are not an error: what
    decoded is shown, then an Undecoded layer with the rest and the reason. Bad hex is one line,
    exit 2.

    --link auto (the default) starts with IPv4 when the first nibble is 4, the header length is
    at least 5 and the total length matches the bytes (or is shorter within Ethernet padding),
    with IPv6 when the first nibble is 6 and the payload length matches, and with Ethernet
    otherwise; with -r it is the file's link type. --json gives one object per packet: summary,
    length, layers [{"layer", "fields", "checks": {field: {value, status, expected}}}] and
    problems (verify()'s list, as text).

    \b
    rawnet decode 45000021000100004011eca3c6120101c61201020fa00009000d1e3168656c6c6f
    xxd -p frame.bin | rawnet decode --link ether
    rawnet sniff -i eth0 -c 1 -x | rawnet decode
    rawnet decode -r trace.pcap -c 3 --json
    """
    if read_path is not None and hex_text:
        raise click.UsageError("give HEX or -r FILE, not both")
    out = Output(as_json)
    forced = START_LAYERS.get(link)
    if read_path is None:
        if hex_text:
            text = " ".join(hex_text)
        else:
            if sys.stdin.isatty():
                out.note("reading hex from the terminal: end with Ctrl-D")
            text = sys.stdin.read()
        packets = packets_from_hex(text)  # bad hex fails here, before anything is printed
    try:
        for index, (data, packet, stamp) in enumerate(
            _from_file(read_path, forced) if read_path is not None else _from_bytes(packets, forced)
        ):
            if count is not None and index >= count:
                break
            _show_decoded(out, index, data, packet, show_hex, stamp)
    except BrokenPipeError:
        return reader_left()
    return OK


def _from_file(path: str, forced: type[Layer] | None) -> Iterator[tuple[bytes, Layer, int | None]]:
    """The packets of a capture file, decoded from its link type (or ``forced``)."""
    reader, _, records = open_input(path)
    try:
        for record in records:
            data = record.data
            yield (
                data,
                forced.decode(data, lenient=True) if forced else decode_link(record.linktype, data),
                record.timestamp_ns,
            )
    finally:
        reader.close()


def _from_bytes(
    packets: list[bytes], forced: type[Layer] | None
) -> Iterator[tuple[bytes, Layer, int | None]]:
    for data in packets:
        yield data, (forced or guess_start(data)).decode(data, lenient=True), None


def _show_decoded(
    out: Output, index: int, data: bytes, packet: Layer, show_hex: bool, timestamp_ns: int | None
) -> None:
    checks = layer_checks(packet)
    summary = packet.summary_safe()
    record: dict[str, Any] = {"type": "packet", "index": index + 1}
    if timestamp_ns is not None:
        record["time"] = timestamp_ns / 1e9
    record.update(
        length=len(data),
        summary=summary,
        layers=layer_records(packet, checks),
        problems=[str(problem) for problem in packet.verify()],
    )
    if show_hex:
        record["hex"] = data.hex()
    lines = [""] if index else []
    lines.append(summary if timestamp_ns is None else f"{format_time(timestamp_ns)} {summary}")
    lines += annotated_tree(packet, checks)
    if show_hex:
        lines += (hexdump(data, dump=True) or "").splitlines()
    out.line("\n".join(lines), record)
