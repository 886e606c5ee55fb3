"""IP fragmentation (RFC 791 for IPv4, RFC 8200 4.5 for IPv6) and reassembly.

fragment() cuts a packet's IP payload into pieces of at most ``size`` bytes (a multiple of 8),
each behind a copy of the headers in front of it; defragment() puts fragments back together and
reports what it cannot: missing pieces and overlapping ones are named, never guessed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from rawnet.errors import BuildError
from rawnet.wire.fields import Checksum
from rawnet.wire.ipv4 import IP
from rawnet.wire.ipv6 import IPv6
from rawnet.wire.ipv6ext import (
    EXTENSION_HEADERS,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
    next_header_of,
)
from rawnet.wire.layer import Layer, Raw
from rawnet.wire.plist import PacketList


def _split(packet: Layer) -> tuple[Layer | None, Layer]:
    """(the layers in front of the network layer as one stack or None, the network layer)."""
    layers = packet.layers()
    for index, layer in enumerate(layers):
        if isinstance(layer, IP | IPv6):
            if index == 0:
                return None, layer
            front = layers[0].copy()
            cut = front
            for _ in range(index - 1):
                assert cut.payload is not None
                cut = cut.payload
            cut._payload = None
            return front, layer
    raise BuildError("fragment() needs an IPv4 or IPv6 layer")


def fragment(packet: Layer | Iterable[Layer], size: int = 1480, *, ident: int | None = None) -> list[Layer]:
    """The fragments of ``packet``'s IP datagram, each carrying at most ``size`` payload bytes
    (a multiple of 8; below 8: 8, as scapy's). A list or packet set is fragmented packet by
    packet, and a fragment again into smaller ones (the offsets and the last one's MF kept).

    IPv4 fragments keep the datagram's id (and every option); IPv6 ones get a Fragment header
    with identification ``ident`` (random when None).
    """
    packets = [packet] if isinstance(packet, Layer) else packet
    return [piece for each in packets for one in each for piece in _fragment(one, size, ident)]


def _fragment(packet: Layer, size: int, ident: int | None) -> list[Layer]:
    size = max(8, size - size % 8)
    front, network = _split(packet)
    unsourced = _unsourced_checksum(network)
    if unsourced:
        raise BuildError(
            f"fragment() computes the {unsourced} checksum now, over the source address: give it "
            "(src=...) in the IP header above it; sending fills it in the headers only"
        )
    wire = bytes(network)
    wire = wire[: len(wire) - len(network.padding)]  # (what follows the datagram in its frame: not cut)
    pieces: list[Layer] = []
    if isinstance(network, IP):
        header_len = (wire[0] & 15) * 4
        data = wire[header_len : int.from_bytes(wire[2:4], "big") or len(wire)]
        for start in range(0, len(data), size):
            last = start + size >= len(data)
            copy = network.copy()
            copy._payload = None
            copy.padding = b""
            copy.len = copy.chksum = None
            copy.proto = wire[9]
            copy.flags = int(copy.flags) | (0 if last else 1)  # (the last keeps a fragment's own MF)
            copy.frag = int(copy.frag) + start // 8
            pieces.append(copy / data[start : start + size])
    else:
        headers, next_header = _per_fragment_headers(network)
        data = wire[sum(len(bytes(header)) for header in headers) :]
        identifier = random.getrandbits(32) if ident is None else ident
        for start in range(0, len(data), size):
            last = start + size >= len(data)
            extension = IPv6ExtHdrFragment(
                nh=next_header, offset=start // 8, m=0 if last else 1, id=identifier
            )
            piece: Layer = extension / data[start : start + size]
            for header in reversed(headers):
                piece = header / piece
            pieces.append(piece)
    return [front / piece if front is not None else piece for piece in pieces]


def fragment6(packet: Layer, fragSize: int) -> list[Layer]:
    """scapy's fragment6: the IPv6 packet, which holds an IPv6ExtHdrFragment (whose id the
    fragments take; a random one for 0, as scapy's for its unset id), cut into fragments of at
    most ``fragSize`` bytes each, headers included; one that fits is returned whole. fragment()
    does the same from a payload size."""
    header = packet.getlayer(IPv6ExtHdrFragment)
    if header is None:
        raise BuildError("fragment6() needs an IPv6ExtHdrFragment in the packet (fragment() adds its own)")
    if len(bytes(packet)) <= fragSize:
        return [packet]
    datagram = packet.copy()
    chain = datagram.layers()
    at = next(index for index, layer in enumerate(chain) if isinstance(layer, IPv6ExtHdrFragment))
    chain[at - 1].payload = chain[at].payload  # (the given Fragment header out: each fragment has its own)
    headers, _ = _per_fragment_headers(_split(datagram)[1])
    fixed = sum(len(bytes(each)) for each in headers) + IPv6ExtHdrFragment.header_len
    return fragment(datagram, (fragSize - fixed) // 8 * 8, ident=header.id or None)


def defragment6(packets: Iterable[Layer]) -> Layer | None:
    """scapy's defragment6: the datagram the fragments make, or None when they make none."""
    whole = defragment(packets)
    return whole[0] if len(whole) == 1 and not whole.problems else None


def _unsourced_checksum(network: Layer) -> str:
    """The name of a layer in ``network`` whose checksum is to be computed over a pseudo-header whose
    IP header (the nearest above it) has no source address; "" for none."""
    above: Layer = network
    for layer in network.layers():
        if layer.pseudo_fields is not None:
            above = layer
            continue
        for declared in layer.fields_desc:
            rule = declared.rule
            if (
                isinstance(rule, Checksum)
                and rule.pseudo is not None
                and layer._values()[declared.index] is None
                and _unknown_source(above)
            ):
                return layer.name
    return ""


def _unknown_source(network: Layer) -> bool:
    """Whether ``network``'s source is None and no other field gives it (a loopback destination
    does): sending would fill it from the route, after the checksums were computed."""
    index = network.slot.src
    return network._values()[index] is None and network._filled(index) is None


def _per_fragment_headers(datagram: Layer) -> tuple[list[Layer], int]:
    """The headers each IPv6 fragment repeats, each on its own with its lengths and next header to
    compute, and the Next Header value of what follows them (the Fragment header's).

    RFC 8200 4.5: the IPv6 header and the extension headers up to and including a Routing header,
    else a Hop-by-Hop Options header, else none. The rest (Destination Options after the Routing
    header, the upper layer) is what is cut into fragments.
    """
    chain = datagram.layers()
    extensions = []
    for layer in chain[1:]:
        if not isinstance(layer, EXTENSION_HEADERS):
            break
        extensions.append(layer)
    routing = [at for at, layer in enumerate(extensions) if isinstance(layer, _ROUTING)]
    if routing:
        count = routing[-1] + 1
    else:
        count = 1 if extensions and isinstance(extensions[0], IPv6ExtHdrHopByHop) else 0
    kept = [datagram, *extensions[:count]]
    last = kept[-1]
    next_header: int = last.nh  # type: ignore[attr-defined]
    if next_header is None:
        next_header = next_header_of(last)  # (as its build computes it)
    headers = []
    for layer in kept:
        header = layer.copy()
        header._payload = None
        header.padding = b""
        header.nh = None  # type: ignore[attr-defined]  # (computed: the next one's number)
        if isinstance(header, IPv6):
            header.plen = None
        headers.append(header)
    return headers, next_header


_ROUTING = (IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting)


class Defragmented(PacketList):
    """What defragment() gives, a packet list as scapy's: the packets that were not fragments,
    the datagrams reassembled, and the fragments of those it could not reassemble, kept as they
    came; ``problems`` says why each of those could not be (one line per datagram)."""

    def __init__(self) -> None:
        super().__init__([], "Defragmented")
        self.problems: list[str] = []

    @property
    def packets(self) -> list[Layer]:
        """The packets (the list itself)."""
        return self.res


def defragment(packets: Iterable[Layer]) -> Defragmented:
    """Reassemble IPv4 and IPv6 fragments; unfragmented packets pass through unchanged."""
    result = Defragmented()
    groups: dict[tuple[object, ...], list[tuple[int, bytes, bool, Layer]]] = {}
    order: list[tuple[object, ...]] = []
    for packet in packets:
        found = _fragment_of(packet)
        if found is None:
            result.packets.append(packet)
            continue
        key, offset, data, more = found
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((offset, data, more, packet))
    for key in order:
        whole, problem = _reassemble(key, groups[key])
        if problem:
            result.problems.append(problem)
            result.packets.extend(piece for _, _, _, piece in groups[key])  # (nothing lost)
        elif whole is not None:
            result.packets.append(whole)
    return result


def _fragment_of(packet: Layer) -> tuple[tuple[object, ...], int, bytes, bool] | None:
    ip = packet.getlayer(IP)
    if ip is not None and (int(ip.flags) & 1 or ip.frag):
        data = bytes(ip.payload) if ip.payload is not None else b""
        return ("ipv4", ip.src, ip.dst, ip.proto, ip.id), ip.frag * 8, data, bool(int(ip.flags) & 1)
    extension = packet.getlayer(IPv6ExtHdrFragment)
    ipv6 = packet.getlayer(IPv6)
    if extension is not None and ipv6 is not None:
        data = bytes(extension.payload) if extension.payload is not None else b""
        return ("ipv6", ipv6.src, ipv6.dst, extension.id), extension.offset * 8, data, bool(extension.m)
    return None


def _reassemble(
    key: tuple[object, ...], pieces: list[tuple[int, bytes, bool, Layer]]
) -> tuple[Layer | None, str]:
    name = f"{key[0]} {key[1]} > {key[2]} id {key[-1]}"
    pieces.sort(key=lambda piece: piece[0])
    data = b""
    for offset, chunk, _, _ in pieces:
        if offset < len(data):
            return (
                None,
                f"{name}: fragments overlap at byte {offset} (bytes up to {len(data)} were already given)",
            )
        if offset > len(data):
            return None, f"{name}: bytes {len(data)}..{offset - 1} are missing"
        data += chunk
    if pieces[-1][2]:
        return None, f"{name}: the last fragment is missing (bytes from {len(data)} on)"
    first = pieces[0][3]
    whole: Layer
    if key[0] == "ipv4":
        ip = first[IP].copy()
        ip._payload = None
        ip.flags = int(ip.flags) & ~1
        ip.frag = 0
        ip.len = None
        ip.chksum = None
        whole = IP.decode(bytes(ip / Raw(load=data)), lenient=True)  # (what does not decode is kept)
    else:
        chain = first[IPv6].layers()
        headers = []
        for layer in chain[: chain.index(first[IPv6ExtHdrFragment])]:  # the per-fragment headers
            header = layer.copy()
            header._payload = None
            headers.append(header)
        headers[0].plen = None  # type: ignore[attr-defined]
        headers[-1].nh = first[IPv6ExtHdrFragment].nh  # type: ignore[attr-defined]
        stack: Layer = Raw(load=data)
        for header in reversed(headers):
            stack = header / stack
        whole = IPv6.decode(bytes(stack), lenient=True)
    return whole, ""
