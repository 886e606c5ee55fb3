"""The fused decoders must give exactly what the generic decoder gives, or step aside (None).

A differential test: the generic per-layer decoder is the reference. For every frame the fast
path accepts, the two stacks must match view for view (classes, offsets, modes, padding, what
stays lazy) and field for field; a frame the generic decoder rejects must never be accepted.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet import IP, TCP, UDP, DecodeError, Ether, Layer
from rawnet.wire.fastpath import build_ether, build_ip, decode_ether, decode_ip
from rawnet.wire.layer import LAZY
from tests.oracle import tshark_fields


def shape(layer: Layer | None) -> list[tuple[Any, ...]]:
    """Each view of a stack as the decoder left it, without unpacking or decoding anything."""
    out = []
    while layer is not None and layer is not LAZY:
        out.append(
            (
                type(layer),
                layer._off,
                layer._poff,
                layer._pend,
                layer._mode,
                layer.padding,
                layer._payload is LAZY,
            )
        )
        layer = layer._payload
    return out


def check_same(fast: Layer | None, start: type[Layer], data: bytes) -> bool:
    try:
        generic = start._decode_chain(data, 0)
    except DecodeError:
        assert fast is None, "the fast path accepted a frame the generic decoder rejects"
        return False
    if fast is None:
        return False
    assert shape(fast) == shape(generic)
    assert [layer.fields() for layer in fast.layers()] == [layer.fields() for layer in generic.layers()]
    assert bytes(fast) == bytes(generic) == data
    return True


TCP_OPTIONS = st.lists(
    st.sampled_from(
        [
            ("MSS", 1460),
            ("NOP", None),
            ("WScale", 7),
            ("SAckOK", b""),
            ("Timestamp", (1, 2)),
            ("SAck", (5, 9)),
        ]
    ),
    max_size=4,
)


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    transport: Layer
    if draw(st.booleans()):
        transport = TCP(
            sport=draw(st.integers(0, 65535)), flags=draw(st.integers(0, 511)), options=draw(TCP_OPTIONS)
        )
    else:
        transport = UDP(dport=draw(st.integers(0, 65535)))
    ip = IP(
        src="198.18.0.1",
        dst="198.18.0.2",
        flags=draw(st.sampled_from([0, 1, 2])),
        frag=draw(st.sampled_from([0, 0, 0, 5])),
        options=draw(st.sampled_from([(), ()])),
    )
    packet = Ether() / ip / transport / draw(st.binary(max_size=40))
    data = bytearray(bytes(packet) + draw(st.binary(max_size=6)))  # Ethernet padding, sometimes
    for where, value in draw(
        st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), max_size=3)
    ):
        data[where] = value  # mutations anywhere...
    # ...and on the bytes the checks read: EtherType, version/IHL, total length, flags/offset,
    # protocol, UDP length, TCP data offset; small values, where the boundaries are.
    targets = st.sampled_from([12, 13, 14, 16, 17, 20, 21, 23, 38, 39, 46])
    for where, value in draw(st.lists(st.tuples(targets, st.integers(0, 80)), max_size=2)):
        if where < len(data):
            data[where] = value
    return bytes(data)


@given(data=frames())
def test_fast_ether_decode_matches_the_generic_decoder(data: bytes) -> None:
    check_same(decode_ether(data), Ether, data)


@given(data=frames())
def test_fast_ip_decode_matches_the_generic_decoder(data: bytes) -> None:
    check_same(decode_ip(data[14:]), IP, data[14:])


@given(data=st.binary(max_size=120))
def test_random_bytes_are_never_accepted_wrongly(data: bytes) -> None:
    check_same(decode_ether(data), Ether, data)
    check_same(decode_ip(data), IP, data)


@pytest.mark.parametrize(
    "packet",
    [
        Ether() / IP(dst="198.18.0.2") / TCP() / b"data",
        Ether() / IP(dst="198.18.0.2") / TCP(options=[("MSS", 1460), ("Timestamp", (1, 2))]),
        Ether() / IP(dst="198.18.0.2") / UDP() / b"data",
        Ether() / IP(dst="198.18.0.2") / UDP() / b"x" / b"",
    ],
    ids=["tcp", "tcp-options", "udp", "udp-short"],
)
def test_plain_frames_take_the_fast_path(packet: Layer) -> None:
    data = bytes(packet) + bytes(6)  # with Ethernet padding
    assert check_same(decode_ether(data), Ether, data)
    assert Ether.decode(data) == Ether._decode_chain(data, 0)


@pytest.mark.parametrize(
    "packet",
    [
        Ether() / IP(dst="198.18.0.2", flags="MF") / UDP(),
        Ether() / IP(dst="198.18.0.2", options=[]) / TCP(dataofs=4),
    ],
    ids=["fragment", "bad-dataofs"],
)
def test_unusual_frames_go_to_the_generic_decoder(packet: Layer) -> None:
    assert decode_ether(bytes(packet)) is None


BASES = [
    bytes(Ether() / IP(dst="198.18.0.2") / TCP() / b"0123456789"),
    bytes(Ether() / IP(dst="198.18.0.2") / TCP(options=[("MSS", 1460)]) / b"0123"),
    bytes(Ether() / IP(dst="198.18.0.2") / UDP() / b"0123456789") + bytes(4),
]
BOUNDARY_VALUES = [
    0,
    1,
    4,
    5,
    6,
    7,
    8,
    9,
    19,
    20,
    21,
    22,
    0x20,
    0x40,
    0x44,
    0x45,
    0x46,
    0x50,
    0x60,
    0xF0,
    0xFF,
]


@pytest.mark.parametrize("base", BASES, ids=["tcp", "tcp-options", "udp-padded"])
def test_every_checked_byte_at_its_boundaries(base: bytes) -> None:
    # Deterministic: each byte the fast path reads, set to each value near a check's boundary.
    accepted = 0
    for where in (12, 13, 14, 16, 17, 20, 21, 23, 38, 39, 46):
        for value in BOUNDARY_VALUES:
            data = bytearray(base)
            data[where] = value
            accepted += check_same(decode_ether(bytes(data)), Ether, bytes(data))
            accepted += check_same(decode_ip(bytes(data[14:])), IP, bytes(data[14:]))
    assert accepted > 50  # the fast path is really exercised, not only declined


# -- the fused builder against the per-layer builders ----------------------------------------

maybe = st.one_of(st.none(), st.integers(0, 65535))


@st.composite
def stacks(draw: st.DrawFn) -> Layer:
    transport: Layer
    if draw(st.booleans()):
        transport = TCP(
            sport=draw(st.integers(0, 65535)),
            seq=draw(st.integers(0, 2**32 - 1)),
            ack=draw(st.integers(0, 2**32 - 1)),
            dataofs=draw(st.one_of(st.none(), st.integers(0, 15))),
            reserved=draw(st.integers(0, 7)),
            flags=draw(st.integers(0, 511)),
            window=draw(st.integers(0, 65535)),
            chksum=draw(maybe),
            urgptr=draw(st.integers(0, 65535)),
            options=draw(st.sampled_from([(), (), (), [("MSS", 1460)]])),
        )
    else:
        transport = UDP(sport=draw(st.integers(0, 65535)), len=draw(maybe), chksum=draw(maybe))
    ip = IP(
        src=draw(st.sampled_from(["198.18.0.1", "0.0.0.0", "255.255.255.255"])),
        dst=draw(st.sampled_from(["198.19.255.254", "198.18.0.2"])),
        ihl=draw(st.one_of(st.none(), st.integers(0, 15))),
        tos=draw(st.integers(0, 255)),
        len=draw(st.one_of(st.none(), st.integers(0, 65535))),
        id=draw(st.integers(0, 65535)),
        flags=draw(st.integers(0, 7)),
        frag=draw(st.integers(0, 8191)),
        ttl=draw(st.integers(0, 255)),
        proto=draw(st.one_of(st.none(), st.integers(0, 255))),
        chksum=draw(maybe),
    )
    ether = Ether(type=draw(st.one_of(st.none(), st.integers(0, 65535))))
    data = draw(st.binary(max_size=64))
    return ether / ip / transport / data if data or draw(st.booleans()) else ether / ip / transport


@given(packet=stacks())
def test_fast_build_matches_the_per_layer_builders(packet: Layer) -> None:
    fast = build_ether(packet)
    slow = packet._build(None)
    if fast is not None:
        assert fast == slow
    datagram = packet[IP].copy()  # on its own, as a layer-3 socket sends it
    fast = build_ip(datagram)
    if fast is not None:
        assert fast == datagram._build(None)
        assert fast == slow[14:]


@pytest.mark.parametrize(
    "packet",
    [
        Ether() / IP(dst="198.18.0.2") / TCP() / b"data",
        Ether() / IP(dst="198.18.0.2") / UDP() / b"odd",
        Ether() / IP(dst="198.18.0.2") / UDP(),
    ],
    ids=["tcp", "udp-odd", "udp-empty"],
)
def test_plain_stacks_take_the_fast_builder(packet: Layer) -> None:
    fast = build_ether(packet)
    assert fast is not None and fast == packet._build(None)


def test_sets_and_options_go_to_the_per_layer_builders() -> None:
    assert build_ether(Ether() / IP(dst="198.18.0.0/30") / TCP()) is None
    assert build_ether(Ether() / IP(options=[]) / TCP(options=[("NOP", None)])) is None


def test_a_computed_udp_checksum_of_zero_goes_out_as_ffff_on_both_paths() -> None:
    # Choose the last data word so that the one's complement sum is 0xFFFF (RFC 768: send 0xFFFF).
    base = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1, dport=2) / b"ab\0\0"
    word = (0xFFFF - (0xFFFF - Ether.decode(bytes(base))[UDP].chksum)) % 0xFFFF
    packet = (
        Ether()
        / IP(src="198.18.0.1", dst="198.18.0.2")
        / UDP(sport=1, dport=2)
        / (b"ab" + word.to_bytes(2, "big"))
    )
    fast = build_ether(packet)
    assert fast is not None and fast == packet._build(None)
    assert fast[40:42] == b"\xff\xff"


# -- rebuilding: the frame cache of build_ether ---------------------------------------------------

TCP_CHANGES = st.one_of(
    st.tuples(st.sampled_from(["sport", "dport", "window", "urgptr"]), st.integers(0, 65535)),
    st.tuples(st.sampled_from(["seq", "ack"]), st.integers(0, 2**32 - 1)),
    st.tuples(st.just("flags"), st.integers(0, 511)),
    st.tuples(st.just("reserved"), st.integers(0, 7)),
    st.tuples(st.just("chksum"), maybe),
    st.tuples(st.just("dataofs"), st.one_of(st.none(), st.integers(0, 15))),
    st.tuples(st.just("options"), st.sampled_from([(), [("MSS", 1460)]])),
)
UDP_CHANGES = st.one_of(
    st.tuples(st.sampled_from(["sport", "dport"]), st.integers(0, 65535)),
    st.tuples(st.sampled_from(["len", "chksum"]), maybe),
)
OTHER_CHANGES = st.one_of(
    st.tuples(st.just("ip"), st.sampled_from(["ttl", "id"]), st.integers(0, 255)),
    st.tuples(st.just("ip"), st.just("src"), st.sampled_from(["198.18.0.9", "198.19.1.1"])),
    st.tuples(st.just("ip"), st.just("len"), st.one_of(st.none(), st.integers(0, 200))),
    st.tuples(st.just("ether"), st.just("src"), st.sampled_from(["02:00:00:00:00:09", "02:00:00:00:00:0a"])),
    st.tuples(st.just("data"), st.just(""), st.binary(max_size=16)),
    st.tuples(st.just("padding"), st.sampled_from(["ether", "ip", "transport"]), st.binary(max_size=4)),
    st.tuples(st.just("swap"), st.just(""), st.booleans()),
)


@given(
    packet=stacks(),
    changes=st.lists(st.one_of(st.tuples(st.just("transport"), TCP_CHANGES), OTHER_CHANGES), max_size=12),
    udp_changes=st.lists(UDP_CHANGES, max_size=4),
    built=st.sampled_from(["frame", "datagram", "both"]),
)
def test_rebuilding_after_any_change_matches_a_fresh_per_layer_build(
    packet: Layer, changes: list[tuple[Any, ...]], udp_changes: list[tuple[str, Any]], built: str
) -> None:
    """The seed's loop builds one object again and again: each frame must be what a fresh
    per-layer build of the same content gives, whatever changed in between. ``built``: the
    Ethernet frame, the IPv4 datagram on its own (what a layer-3 socket sends), or both in turn
    (they share the transport layer's cache)."""
    ip = packet[IP]
    targets = {"frame": (packet,), "datagram": (ip,), "both": (ip, packet)}[built]

    def check() -> None:
        for target in targets:
            try:
                reference = target.copy()._build(None)
            except Exception as error:  # the content is not buildable: the rebuild must say so too
                with pytest.raises(type(error)):
                    bytes(target)
                continue
            assert bytes(target) == reference

    check()
    check()  # the second build makes the frame cache
    transport_changes = [("transport", change) for change in udp_changes] if UDP in packet else []
    for change in [*changes, *transport_changes]:
        if change[0] == "transport":
            name, value = change[1]
            if hasattr(type(ip.payload), name):
                setattr(ip.payload, name, value)
        elif change[0] in ("ip", "ether"):
            layer = ip if change[0] == "ip" else packet
            setattr(layer, change[1], change[2])
        elif change[0] == "data":
            ip.payload.payload = change[2] or None
        elif change[0] == "padding":
            layer = {"ether": packet, "ip": ip, "transport": ip.payload}[change[1]]
            layer.padding = change[2]
        elif change[0] == "swap":  # another transport object in the same place
            ip.payload = (TCP(seq=7) if change[2] else UDP(sport=9)) / b"swapped"
        check()


def test_the_seed_loop_repacks_only_the_tcp_header_and_tshark_agrees() -> None:
    packet = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=55968, flags="PA") / b"GET /"
    bytes(packet)
    bytes(packet)
    frame = packet._built
    frames = []
    for seq in range(1, 4):
        packet[TCP].seq = seq
        frames.append(bytes(packet))
        assert packet._built is frame  # the same cache, patched: not a full build
    for seq, fields in enumerate(tshark_fields(frames), 1):
        assert fields["tcp.seq_raw"] == [str(seq)]
        assert fields["tcp.checksum.status"] == ["1"] and fields["ip.checksum.status"] == ["1"]  # good


def test_a_datagram_on_its_own_is_rebuilt_the_same_way() -> None:
    datagram = IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=55968, flags="PA") / b"GET /"
    bytes(datagram)
    bytes(datagram)
    frame = datagram._built
    for seq in range(1, 4):
        datagram[TCP].seq = seq
        wire = bytes(datagram)
        assert datagram._built is frame  # patched, not built again
        assert wire == datagram.copy()._build(None) and IP.decode(wire).verify() == []
