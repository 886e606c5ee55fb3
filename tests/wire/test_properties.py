"""Hypothesis properties of the core protocols (Ether, Dot1Q, IPv4, TCP, UDP).

1. Any bytes, given to any decoder and then walked through everything a user can touch,
   raise nothing but DecodeError (strict) or nothing at all, losing no byte (lenient).
2. The same for valid frames with bytes flipped, inserted and deleted.
3. Round trip: a packet built from random field values and options decodes back to those
   values; computed lengths and checksums are checked against independent arithmetic (RFC
   1071 loop, option sizes from the RFCs), and re-encoding the decoded packet gives the
   same bytes.
4. Building never changes the packet it builds.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rawnet import (
    IP,
    TCP,
    UDP,
    DecodeError,
    Dot1Q,
    Ether,
    IPOption,
    IPOption_EOL,
    IPOption_LSRR,
    IPOption_NOP,
    IPOption_RR,
    IPOption_SSRR,
    IPOption_Timestamp,
    Raw,
)
from rawnet.wire.layer import Layer
from rawnet.wire.registry import LAYERS, TCP_PORT, UDP_PORT
from tests.wire.test_checksum import reference_checksum

DECODERS: list[type[Layer]] = [Ether, Dot1Q, IP, TCP, UDP]
MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"


def walk(packet: Layer) -> None:
    """Everything a user can do with a decoded packet."""
    for layer in packet.layers():
        layer.field_values()
        repr(layer)
        layer.summary()
        bytes(layer)
    packet.summary()
    packet.verify()
    packet.show(dump=True)
    packet.fixed()
    assert packet.copy() == packet
    assert len(list(packet)) == 1
    bytes(packet)


def strict_and_lenient(decoder: type[Layer], data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        walk(decoder.decode(data))
    lenient = decoder.decode(data, lenient=True)
    walk(lenient)
    assert bytes(lenient) == data  # nothing lost


# -- 1. arbitrary bytes -------------------------------------------------------------------

# Plain random bytes rarely get past the first header, so most inputs start with headers
# that are partly right (a known EtherType, IPv4's version nibble, a chosen protocol).
# The core protocols' numbers (and some no protocol claims); tests of other modules fuzz theirs.
ETHERTYPES = st.sampled_from([0x0800, 0x8100, 0x88A8, 0x9000, 0x0010, 0xFFFF]).map(
    lambda number: number.to_bytes(2, "big")
)


@st.composite
def transport_like(draw: st.DrawFn, proto: int) -> bytes:
    """A TCP or UDP header with a plausible length field and random everything else."""
    if proto == 6:
        data_offset = draw(st.sampled_from([0x50, 0x60, 0x80, 0xF0, 0x40, 0x00]))
        options = draw(st.binary(max_size=40))
        return (
            draw(st.binary(min_size=12, max_size=12))
            + bytes([data_offset])
            + draw(st.binary(min_size=7, max_size=7))
            + options
        )
    if proto == 17:
        body = draw(st.binary(max_size=30))
        length = draw(st.sampled_from([8 + len(body), 0, 7, 8 + len(body) + 3, 8]))
        return draw(st.binary(min_size=4, max_size=4)) + length.to_bytes(2, "big") + b"\0\0" + body
    return draw(st.binary(max_size=40))


IP_OPTION_BYTES = st.lists(
    st.one_of(
        st.sampled_from(
            [b"\x00", b"\x01", b"\x07\x07\x04\xc6\x12\x00\x01", b"\x44\x08\x05\x00\x00\x00\x00\x01"]
        ),
        st.tuples(st.integers(0, 255), st.integers(0, 12)).map(lambda kind_length: bytes(kind_length)),
        st.binary(min_size=1, max_size=6),
    ),
    max_size=5,
).map(lambda parts: b"".join(parts)[:40])


@st.composite
def ipv4_like(draw: st.DrawFn) -> bytes:
    """An IPv4 header whose lengths are right (mostly) or off by a little, then a transport."""
    options = draw(IP_OPTION_BYTES)
    options += bytes(-len(options) % 4)
    proto = draw(st.sampled_from([6, 17, 4, 253]))
    flags_fragment = draw(st.sampled_from([0, 0x4000, 0x2000, 0x00B9, 0x20B9]))
    body = draw(ipv4_like()) if proto == 4 and draw(st.booleans()) else draw(transport_like(proto))
    ihl = 5 + len(options) // 4
    total = 4 * ihl + len(body)
    match draw(st.integers(0, 5)):
        case 1:
            ihl = draw(st.integers(0, 15))
        case 2:
            total = draw(st.sampled_from([0, 19, total - 1, total + 1, 0xFFFF]))
        case 3:
            body += draw(st.binary(min_size=1, max_size=10))  # padding after the datagram
    header = (
        bytes([0x40 | ihl, 0])
        + (total & 0xFFFF).to_bytes(2, "big")
        + b"\x00\x01"
        + flags_fragment.to_bytes(2, "big")
        + bytes([64, proto, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2])
    )
    return header + options + body


@st.composite
def frame_like(draw: st.DrawFn) -> bytes:
    """An Ethernet header, up to two 802.1Q tags, then an IPv4-like datagram or random bytes."""
    ip_inside = draw(st.booleans())
    inner = draw(ipv4_like()) if ip_inside else draw(st.binary(max_size=60))
    inner_type = b"\x08\x00" if ip_inside else draw(ETHERTYPES)
    tags = draw(st.lists(st.binary(min_size=2, max_size=2), max_size=2))  # each a tag control word
    types = [b"\x81\x00"] * len(tags) + [inner_type]
    return (
        bytes.fromhex("020000000002 020000000001")
        + types[0]
        + b"".join(tci + next_type for tci, next_type in zip(tags, types[1:], strict=True))
        + inner
    )


ANY_BYTES = st.one_of(st.binary(max_size=200), frame_like(), ipv4_like())


@given(data=ANY_BYTES)
def test_any_bytes_to_ether(data: bytes) -> None:
    strict_and_lenient(Ether, data)


@given(data=st.one_of(ANY_BYTES, ipv4_like()))
def test_any_bytes_to_ip(data: bytes) -> None:
    strict_and_lenient(IP, data)


@given(
    data=st.one_of(
        st.binary(max_size=120), st.binary(min_size=12, max_size=12).map(lambda head: head + b"\xf0")
    )
)
def test_any_bytes_to_tcp(data: bytes) -> None:
    strict_and_lenient(TCP, data)


@given(data=st.binary(max_size=40))
def test_any_bytes_to_udp(data: bytes) -> None:
    strict_and_lenient(UDP, data)


@given(
    data=st.one_of(
        st.binary(max_size=60), st.binary(max_size=60).map(lambda tail: b"\x00\x05\x08\x00" + tail)
    )
)
def test_any_bytes_to_dot1q(data: bytes) -> None:
    strict_and_lenient(Dot1Q, data)


# -- 2. mutated valid frames --------------------------------------------------------------

VALID_FRAMES = [
    bytes(
        Ether(src=MAC1, dst=MAC2)
        / IP(
            src="198.18.0.1",
            dst="198.18.0.2",
            options=[IPOption_NOP(), IPOption_RR(["198.18.0.9"]), IPOption_Timestamp([7], flg=0)],
        )
        / TCP(
            sport=51234,
            dport=443,
            flags="PA",
            options=[("NOP", None), ("NOP", None), ("Timestamp", (1, 2)), ("SAck", (3, 4)), ("MSS", 1460)],
        )
        / b"payload"
    ),
    bytes(
        Ether(src=MAC1, dst=MAC2)
        / Dot1Q(vlan=100, prio=5)
        / Dot1Q(vlan=200)
        / IP(src="198.18.0.1", dst="198.18.0.2", options=[IPOption_LSRR(["198.18.0.3", "198.18.0.4"])])
        / UDP(sport=40000, dport=40001)
        / b"datagram"
    ),
    bytes(Ether(src=MAC1, dst=MAC2) / IP(src="198.18.0.1", dst="198.18.0.2") / IP(src="198.18.0.3") / UDP()),
]

EDITS = st.lists(
    st.tuples(st.sampled_from(["flip", "insert", "delete", "cut"]), st.integers(0, 200), st.integers(1, 255)),
    min_size=1,
    max_size=6,
)


def mutate(data: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, value in edits:
        where %= len(out) + 1
        if kind == "flip" and where < len(out):
            out[where] ^= value
        elif kind == "insert":
            out.insert(where, value)
        elif kind == "delete" and where < len(out):
            del out[where]
        elif kind == "cut":
            del out[where:]
    return bytes(out)


@given(base=st.sampled_from(VALID_FRAMES), edits=EDITS, start=st.sampled_from([0, 14, 18, 22]))
def test_mutated_frames(base: bytes, edits: list[tuple[str, int, int]], start: int) -> None:
    data = mutate(base, edits)
    strict_and_lenient(Ether, data)
    strict_and_lenient(IP, data[start:])  # also from where an inner header may start


# -- 3. round trip ------------------------------------------------------------------------


def uint(bits: int) -> st.SearchStrategy[int]:
    return st.integers(0, (1 << bits) - 1)


def unclaimed_port(space: str) -> st.SearchStrategy[int]:
    """A port no application protocol claims (its random payload stays Raw data)."""
    return uint(16).filter(lambda port: port not in LAYERS.table(space))


ADDRESSES = st.sampled_from(["198.18.0.1", "198.18.0.2", "198.18.255.255", "198.19.0.7", "198.19.255.254"])

IP_OPTIONS = st.one_of(
    st.just(IPOption_NOP()),
    st.builds(
        lambda routers, hop: IPOption_RR(routers, pointer=4 + 4 * hop),
        st.lists(ADDRESSES, max_size=3),
        uint(2),
    ),
    st.builds(IPOption_LSRR, st.lists(ADDRESSES, min_size=1, max_size=3)),
    st.builds(IPOption_SSRR, st.lists(ADDRESSES, min_size=1, max_size=3)),
    st.builds(
        IPOption_Timestamp,
        st.lists(uint(32), max_size=3),
        pointer=st.integers(5, 255),
        oflw=uint(4),
        flg=uint(4),
    ),
    st.builds(
        IPOption, st.integers(2, 255).filter(lambda n: n not in (7, 68, 131, 137)), st.binary(max_size=6)
    ),
)

TCP_OPTIONS = st.one_of(
    st.tuples(st.just("MSS"), uint(16)),
    st.tuples(st.just("WScale"), uint(8)),
    st.just(("SAckOK", b"")),
    st.tuples(
        st.just("SAck"),
        st.lists(st.tuples(uint(32), uint(32)), min_size=1, max_size=2).map(
            lambda blocks: tuple(edge for block in blocks for edge in block)
        ),
    ),
    st.tuples(st.just("Timestamp"), st.tuples(uint(32), uint(32))),
    st.just(("NOP", None)),
    st.tuples(st.just("UTO"), uint(16)),  # RFC 5482
    st.tuples(st.just("MD5"), st.binary(min_size=16, max_size=16)),  # RFC 2385
    st.tuples(st.integers(6, 255).filter(lambda kind: kind not in (8, 19, 28)), st.binary(max_size=6)),
)


def ip_option_size(option: IPOption) -> int:
    """RFC 791 3.1: type (and length) octets plus data."""
    if isinstance(option, IPOption_NOP | IPOption_EOL):
        return 1 + (len(option.data) if isinstance(option, IPOption_EOL) else 0)
    if isinstance(option, IPOption_RR | IPOption_LSRR | IPOption_SSRR):
        return 3 + 4 * len(option.routers)
    if isinstance(option, IPOption_Timestamp):
        return 4 + 4 * len(option.values)
    return 2 + len(option.data)


def tcp_option_size(name: Any, value: Any) -> int:
    """RFC 9293 3.2, RFC 7323, RFC 2018."""
    sizes = {"NOP": 1, "EOL": 1, "MSS": 4, "WScale": 3, "SAckOK": 2, "Timestamp": 10, "UTO": 4, "MD5": 18}
    if name == "SAck":
        return 2 + 4 * len(value)
    return sizes[name] if name in sizes else 2 + len(value)


def padded(size: int) -> int:
    return size + (-size % 4)


@st.composite
def packets(draw: st.DrawFn) -> Ether:
    frame: Layer = Ether(src=MAC1, dst=draw(st.sampled_from([MAC2, "02:00:00:00:00:ff"])))
    for _ in range(draw(st.integers(0, 2))):
        frame = frame / Dot1Q(prio=draw(uint(3)), dei=draw(uint(1)), vlan=draw(uint(12)))
    ip_options = draw(st.lists(IP_OPTIONS, max_size=3).filter(lambda o: sum(map(ip_option_size, o)) <= 40))
    if ip_options and draw(st.booleans()) and sum(map(ip_option_size, ip_options)) < 40:
        ip_options.append(IPOption_EOL())
    network = IP(
        src=draw(ADDRESSES),
        dst=draw(ADDRESSES),
        tos=draw(uint(8)),
        id=draw(uint(16)),
        flags=draw(st.sampled_from([0, "DF", "evil", "DF+evil"])),  # no fragments: the transport decodes
        ttl=draw(uint(8)),
        options=ip_options,
    )
    if draw(st.booleans()):
        options = draw(
            st.lists(TCP_OPTIONS, max_size=4).filter(lambda o: sum(tcp_option_size(*x) for x in o) <= 40)
        )
        if options and draw(st.booleans()) and sum(tcp_option_size(*x) for x in options) < 40:
            options.append(("EOL", None))
        transport: Layer = TCP(
            sport=draw(unclaimed_port(TCP_PORT)),
            dport=draw(unclaimed_port(TCP_PORT)),
            seq=draw(uint(32)),
            ack=draw(uint(32)),
            reserved=draw(uint(3)),
            flags=draw(uint(9)),
            window=draw(uint(16)),
            urgptr=draw(uint(16)),
            options=options,
        )
    else:
        transport = UDP(sport=draw(unclaimed_port(UDP_PORT)), dport=draw(unclaimed_port(UDP_PORT)))
    payload = draw(st.binary(max_size=40))
    stack = frame / network / transport
    return stack / payload if payload else stack  # type: ignore[return-value]


def expected_tcp_options(given: tuple[Any, ...]) -> list[Any]:
    """What decoding gives back: the options, then the zero padding read as EOL; an EOL followed by
    zeros only up to the 4-byte boundary reads as scapy's ("EOL", None)."""
    size = sum(tcp_option_size(name, value) for name, value in given)
    pad = padded(size) - size
    if given and given[-1][0] == "EOL":
        return [*given[:-1], ("EOL", None)]
    return [*given, ("EOL", None)] if pad else list(given)


def expected_ip_options(given: tuple[IPOption, ...]) -> list[IPOption]:
    size = sum(map(ip_option_size, given))
    pad = padded(size) - size
    if given and isinstance(given[-1], IPOption_EOL):
        return [*given[:-1], IPOption_EOL(rest=bytes(pad))]
    return [*given, IPOption_EOL(rest=bytes(pad - 1))] if pad else list(given)


def final_destination(header: IP) -> str:
    for option in header.options:
        if isinstance(option, IPOption_LSRR | IPOption_SSRR):
            return option.routers[-1]
    return header.dst


@given(packet=packets())
def test_round_trip(packet: Ether) -> None:
    wire = bytes(packet)
    decoded = Ether.decode(wire)
    assert bytes(decoded) == wire
    assert decoded == packet.fixed()
    assert decoded.verify() == []

    given_layers, got_layers = packet.layers(), decoded.layers()
    assert [type(layer) for layer in got_layers] == [type(layer) for layer in given_layers]
    for given_layer, got_layer in zip(given_layers, got_layers, strict=True):
        for field in given_layer.fields_desc:
            value = getattr(given_layer, field.name)
            if value is not None and field.name != "options":
                assert getattr(got_layer, field.name) == value, f"{type(given_layer).__name__}.{field.name}"

    # Computed fields, checked against arithmetic of our own.
    tags = sum(isinstance(layer, Dot1Q) for layer in given_layers)
    start = 14 + 4 * tags
    header, got_header = packet[IP], decoded[IP]
    assert list(got_header.options) == expected_ip_options(header.options)
    header_size = 20 + padded(sum(map(ip_option_size, header.options)))
    assert got_header.ihl * 4 == header_size and got_header.len == len(wire) - start
    assert got_header.proto == (6 if TCP in packet else 17)
    assert reference_checksum(wire[start : start + header_size]) == 0
    ethertypes = [layer.type for layer in got_layers if isinstance(layer, Ether | Dot1Q)]
    assert ethertypes == [0x8100] * tags + [0x0800]

    transport = wire[start + header_size :]
    pseudo = socket.inet_aton(header.src) + socket.inet_aton(final_destination(header))
    protocol = 6 if TCP in packet else 17
    assert (
        reference_checksum(pseudo + bytes([0, protocol]) + len(transport).to_bytes(2, "big") + transport) == 0
    )
    if TCP in packet:
        assert list(decoded[TCP].options) == expected_tcp_options(packet[TCP].options)
        assert decoded[TCP].dataofs * 4 == 20 + padded(sum(tcp_option_size(*o) for o in packet[TCP].options))
    else:
        assert (
            decoded[UDP].len == len(transport) and decoded[UDP].chksum != 0
        )  # RFC 768: 0 goes out as 0xffff
    payload = packet.layers()[-1]
    if isinstance(payload, Raw):
        assert decoded[Raw].load == payload.load


@given(
    flags=st.sampled_from([0, "MF", "DF", "MF+DF"]),
    frag=uint(13),
    proto=st.sampled_from([6, 17, 253]),
    body=st.binary(min_size=0, max_size=40),
)
def test_round_trip_of_fragments(flags: str | int, frag: int, proto: int, body: bytes) -> None:
    # A fragment's bytes come back unchanged, whatever its transport header looks like.
    wire = bytes(
        Ether(src=MAC1, dst=MAC2)
        / IP(src="198.18.0.1", dst="198.18.0.2", flags=flags, frag=frag, proto=proto)
        / body
    )
    try:
        decoded = Ether.decode(wire)
        decoded.layers()
    except DecodeError:
        return  # a first fragment whose body is not a valid header of its protocol
    assert bytes(decoded) == wire
    header = decoded[IP]
    assert header.frag == frag and header.flags == flags
    if frag:
        assert type(header.payload) is Raw or header.payload is None
    assert [problem.layer for problem in decoded.verify()] == []


# -- 4. building never mutates ------------------------------------------------------------


def snapshot(packet: Layer) -> list[tuple[str, dict[str, Any], bytes]]:
    return [(type(layer).__name__, layer.field_values(), layer.padding) for layer in packet.layers()]


@given(packet=packets())
def test_build_does_not_change_the_packet(packet: Ether) -> None:
    before, text = snapshot(packet), repr(packet)
    first = bytes(packet)
    packet.summary()
    packet.show(dump=True)
    packet.verify()
    packet.fixed()
    assert snapshot(packet) == before and repr(packet) == text
    assert bytes(packet) == first  # and building twice gives the same bytes
    for layer in packet.layers():
        for field in layer.fields_desc:
            if field.auto is not None and field.name not in ("src", "dst"):
                assert layer._values()[field.index] is None  # computed fields stay "compute me"
