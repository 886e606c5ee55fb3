"""The stack codecs (fused.py) must give exactly what the per-layer code gives, or step aside (None).

Differential tests: the generic per-layer decoder and builders are the reference. For every frame
a generated decoder accepts, the two stacks must match view for view (classes, offsets, modes,
padding, what stays lazy) and field for field; a frame the generic decoder rejects must never be
accepted. Every stack a generated builder takes must give the per-layer bytes, built from a
frozen tail and from layers, and again after any change (the frame a packet keeps).
"""

from __future__ import annotations

import contextlib
import linecache
import sys
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet import (
    ICMP,
    IP,
    TCP,
    UDP,
    BuildError,
    CookedLinux2,
    DecodeError,
    Dot1Q,
    Ether,
    FieldValueError,
    ICMPv6EchoRequest,
    IPOption_NOP,
    IPv6,
    IPv6ExtHdrFragment,
    Layer,
    Raw,
)
from rawnet.wire import fused
from rawnet.wire.codegen import GENERATED_DIR
from rawnet.wire.fields import Length, UInt
from rawnet.wire.layer import LAZY, LENIENT
from tests.oracle import tshark_fields

STARTS = [Ether, IP, IPv6, Dot1Q, CookedLinux2]


def shape(layer: Any) -> list[tuple[Any, ...]]:
    """Each view of a stack as the decoder left it, without unpacking or decoding anything."""
    out = []
    while layer is not None and layer is not LAZY:
        where = tuple(
            getattr(layer, name, None) for name in ("_off", "_poff", "_pend")
        )  # (Undecoded has none)
        out.append((type(layer), *where, layer._mode, layer._pad, layer._payload is LAZY))
        layer = layer._payload
    return out


def check_same(start: type[Layer], data: bytes, mode: int = 0) -> bool:
    """The generated decoder against the generic one on ``data``; whether the decoder took it."""
    decoder = fused.plain_decoder(start)
    try:
        generic = start._decode_chain(data, mode)
    except DecodeError as error:
        # the codec declines (None), or hands the rest to the generic decoder, which fails the same way
        if decoder:
            try:
                assert decoder(data, mode) is None, "the codec accepted a frame the generic decoder rejects"
            except DecodeError as same:
                assert str(same) == str(error)
        return False
    fast = decoder(data, mode) if decoder else None
    if fast is None:
        return False
    assert shape(fast) == shape(generic)
    assert [layer.field_values() for layer in fast.layers()] == [
        layer.field_values() for layer in generic.layers()
    ]
    assert bytes(fast) == bytes(generic) == data
    return True


TCP_OPTIONS = st.lists(
    st.sampled_from([("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""), ("Timestamp", (1, 2))]),
    max_size=4,
)


@st.composite
def transports(draw: st.DrawFn, v6: bool = False) -> Layer:
    kind = draw(st.sampled_from(["tcp", "udp", "icmp", "raw"]))
    if kind == "tcp":
        return TCP(
            sport=draw(st.integers(0, 65535)), flags=draw(st.integers(0, 511)), options=draw(TCP_OPTIONS)
        )
    if kind == "udp":
        return UDP(dport=draw(st.integers(0, 65535)))
    if kind == "icmp":
        return (
            ICMPv6EchoRequest(id=draw(st.integers(0, 65535)))
            if v6
            else ICMP(type=draw(st.sampled_from([0, 3, 8])))
        )
    return Raw(load=b"raw")


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """A valid frame of one of the stacks the codecs know, then some bytes changed."""
    v6 = draw(st.booleans())
    network: Layer
    if v6:
        network = IPv6(src="2001:db8::1", dst="2001:db8::2")
        if draw(st.integers(0, 4)) == 0:
            network = network / IPv6ExtHdrFragment(m=draw(st.integers(0, 1)))
    else:
        network = IP(
            src="198.18.0.1",
            dst="198.18.0.2",
            flags=draw(st.sampled_from([0, 1, 2])),
            frag=draw(st.sampled_from([0, 0, 0, 5])),
            options=draw(st.sampled_from([(), (), [IPOption_NOP()]])),
        )
    link: Layer = Ether()
    for _ in range(draw(st.integers(0, 2))):
        link = link / Dot1Q(vlan=draw(st.integers(0, 4095)))
    packet = link / network / draw(transports(v6)) / draw(st.binary(max_size=40))
    data = bytearray(bytes(packet) + draw(st.binary(max_size=6)))  # Ethernet padding, sometimes
    for where, value in draw(
        st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), max_size=3)
    ):
        data[where] = value  # changes anywhere...
    # ...and where the checks read: EtherType, version/IHL, lengths, flags/offset, protocol
    # (small values, where the boundaries are)
    targets = st.sampled_from([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 38, 39, 46, 54, 58])
    for where, value in draw(st.lists(st.tuples(targets, st.integers(0, 80)), max_size=2)):
        if where < len(data):
            data[where] = value
    return bytes(data)


@given(data=frames(), lenient=st.booleans())
def test_generated_decoders_match_the_generic_decoder(data: bytes, lenient: bool) -> None:
    mode = LENIENT if lenient else 0
    check_same(Ether, data, mode)
    check_same(Dot1Q, data[14:], mode)
    check_same(IP if data[14] >> 4 != 6 else IPv6, data[14:], mode)


@given(data=st.binary(max_size=120))
def test_random_bytes_are_never_accepted_wrongly(data: bytes) -> None:
    for start in STARTS:
        check_same(start, data)


@given(data=frames())
def test_lenient_decode_differs_only_where_the_bytes_are_bad(data: bytes) -> None:
    strict: Layer | None
    try:
        strict = Ether.decode(data)
    except DecodeError:
        strict = None
    lenient = Ether.decode(data, lenient=True)
    if strict is not None:  # well-formed: the same stack, the same fields, the same bytes
        assert [type(layer) for layer in lenient.layers()] == [type(layer) for layer in strict.layers()]
        assert [layer.field_values() for layer in lenient.layers()] == [
            layer.field_values() for layer in strict.layers()
        ]
    assert bytes(lenient) == data


@pytest.mark.parametrize(
    ("packet", "start"),
    [
        (Ether() / IP(dst="198.18.0.2") / TCP() / b"data", Ether),
        (Ether() / IP(dst="198.18.0.2") / TCP(options=[("MSS", 1460), ("Timestamp", (1, 2))]), Ether),
        (Ether() / IP(dst="198.18.0.2") / UDP() / b"data", Ether),
        (Ether() / Dot1Q(vlan=5) / Dot1Q(vlan=6) / IP() / UDP() / b"qinq", Ether),
        (Ether() / IPv6() / TCP() / b"v6", Ether),
        (Ether() / IPv6() / ICMPv6EchoRequest() / b"ping", Ether),
        (Ether() / IP() / ICMP() / b"ping", Ether),
        (Ether() / IP() / ICMP(type=3, code=3) / IP() / UDP(), Ether),
        (IP() / IP(dst="198.18.0.9") / UDP() / b"tunnel", IP),
        (CookedLinux2() / IP() / TCP(), CookedLinux2),
    ],
    ids=["tcp", "tcp-options", "udp", "qinq", "ipv6", "icmpv6", "icmp", "icmp-error", "ip-in-ip", "sll2"],
)
def test_the_common_stacks_take_the_generated_decoder(packet: Layer, start: type[Layer]) -> None:
    data = bytes(packet) + (bytes(6) if start is Ether else b"")  # with Ethernet padding
    assert check_same(start, data)
    assert check_same(start, data, LENIENT)


@pytest.mark.parametrize(
    "packet",
    [
        Ether() / IP(dst="198.18.0.2", flags="MF") / UDP(),
        Ether() / IP(dst="198.18.0.2", len=0) / TCP(),  # a segmentation-offload length
        Ether() / IP(dst="198.18.0.2") / TCP(dataofs=4),
        Ether() / IPv6(plen=0) / UDP(),
    ],
    ids=["fragment", "tso-length", "bad-dataofs", "jumbo-length"],
)
def test_unusual_frames_go_to_the_generic_decoder(packet: Layer) -> None:
    decoder = fused.plain_decoder(Ether)
    assert decoder(bytes(packet), 0) is None


class Shim(Layer):
    """A protocol of a user's: Layer's own _decode, a length over the whole layer."""

    __slots__ = ()
    name = "shim"
    kind = UInt(8, "Kind", 1)
    reserved = UInt(8, "Reserved", 0)
    length = UInt(16, "Length", None, auto=Length("all"))


class PayloadShim(Layer):
    """The same with a length of what follows the header."""

    __slots__ = ()
    name = "payload-shim"
    length = UInt(16, "Length", None, auto=Length("payload"))


@pytest.mark.parametrize("start", [Shim, PayloadShim])
@pytest.mark.parametrize("cut", [0, 2, 5, 6, 9])
@pytest.mark.parametrize("length", [None, 0, 3, 4, 7, 10, 40])
def test_a_users_length_rule_ends_the_layer_in_both_decoders(
    start: type[Layer], cut: int, length: int
) -> None:
    data = bytes(start(length=length) / b"abcdef") + b"TRAILER"
    frame = data[: len(data) - cut]
    for mode in (0, LENIENT):
        check_same(start, frame, mode)  # whoever decodes it, the same layers and bytes
    if length is None and cut <= 7:  # the length as built: what follows is padding
        decoded = start.decode(frame)
        assert decoded.padding == b"TRAILER"[: 7 - cut] and decoded[Raw].load == b"abcdef"


def test_generated_source_shows_in_tracebacks() -> None:
    bytes(Ether() / IP() / TCP())
    names = [name for name in linecache.cache if name.startswith(GENERATED_DIR)]
    assert any("build.Ether.IP.TCP" in name for name in names)
    builder = fused.BUILDERS[(Ether, IP, TCP)]
    with pytest.raises(AttributeError) as info:
        builder(None, None, None, False)  # not layers: fails inside the generated code
    text = "".join(traceback.format_exception(info.value))
    assert "build.Ether.IP.TCP.py" in text and "v0 = n0._v" in text  # the generated line, shown


# -- the generated builders against the per-layer builders -----------------------------------------

maybe = st.one_of(st.none(), st.integers(0, 65535))


@st.composite
def stacks(draw: st.DrawFn) -> Layer:
    transport: Layer
    kind = draw(st.sampled_from(["tcp", "udp", "icmp", "none"]))
    if kind == "tcp":
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
    elif kind == "udp":
        transport = UDP(sport=draw(st.integers(0, 65535)), len=draw(maybe), chksum=draw(maybe))
    elif kind == "icmp":
        transport = ICMP(type=draw(st.integers(0, 255)), chksum=draw(maybe), seq=draw(st.integers(0, 65535)))
    network: Layer
    if draw(st.booleans()):
        network = IP(
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
    else:
        network = IPv6(
            src="2001:db8::1",
            plen=draw(st.one_of(st.none(), st.integers(0, 65535))),
            nh=draw(st.sampled_from([None, 6])),
        )
    link: Layer = Ether(type=draw(st.one_of(st.none(), st.integers(0, 65535))))
    if draw(st.booleans()):
        link = link / Dot1Q(vlan=draw(st.integers(0, 4095)), type=draw(st.sampled_from([None, 0x0800])))
    stack = link / network if kind == "none" else link / network / transport
    data = draw(st.binary(max_size=64))
    return stack / data if data or draw(st.booleans()) else stack


def per_layer(packet: Layer) -> bytes:
    return packet.copy()._build(None)


@given(packet=stacks())
def test_generated_builders_match_the_per_layer_builders(packet: Layer) -> None:
    reference = per_layer(packet)
    from_tail = fused.build(packet.copy(), False)  # a frozen tail, as ``/`` leaves it
    from_layers = packet.copy()
    from_layers.layers()  # its own layers, as after any lookup
    from_layers_bytes = fused.build(from_layers, False)
    assert from_tail == from_layers_bytes
    if from_tail is not None:
        assert from_tail == reference
    datagram = packet.payload.copy()  # without the link layer, as a layer-3 socket sends it
    if isinstance(datagram, Dot1Q):
        datagram = datagram.payload.copy()
    fast = fused.build(datagram, False)
    if fast is not None:
        assert fast == per_layer(datagram)


@pytest.mark.parametrize(
    "packet",
    [
        Ether() / IP(dst="198.18.0.2") / TCP() / b"data",
        Ether() / IP(dst="198.18.0.2") / UDP() / b"odd",
        Ether() / IP(dst="198.18.0.2") / UDP(),
        Ether() / Dot1Q() / IPv6() / UDP() / b"v6",
        Ether() / IPv6() / ICMPv6EchoRequest() / b"ping",
        IP() / ICMP() / b"ping",
        IP() / IP() / TCP(),
    ],
    ids=["tcp", "udp-odd", "udp-empty", "vlan-ipv6-udp", "icmpv6", "icmp", "ip-in-ip"],
)
def test_plain_stacks_take_the_generated_builder(packet: Layer) -> None:
    fast = fused.build(packet.copy(), False)
    assert fast is not None and fast == per_layer(packet)


def test_sets_options_and_views_go_to_the_per_layer_builders() -> None:
    assert fused.build(Ether() / IP(dst="198.18.0.0/30") / TCP(), False) is None
    assert fused.build(Ether() / IP(options=[IPOption_NOP()]) / TCP(), False) is None
    assert fused.build(Ether() / IP() / TCP(options=[("NOP", None)]), False) is None
    assert fused.build(Ether.decode(bytes(Ether() / IP() / TCP())), False) is None


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
    fast = fused.build(packet.copy(), False)
    assert fast is not None and fast == per_layer(packet)
    assert fast[40:42] == b"\xff\xff"


# -- rebuilding: the frame a packet keeps ---------------------------------------------------------

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
    st.tuples(st.just("network"), st.sampled_from(["ttl", "id", "hlim", "fl"]), st.integers(0, 255)),
    st.tuples(st.just("network"), st.just("src"), st.sampled_from(["198.18.0.9", "2001:db8::9"])),
    st.tuples(
        st.just("network"),
        st.sampled_from(["len", "plen", "chksum"]),
        st.one_of(st.none(), st.integers(0, 200)),
    ),
    st.tuples(st.just("network"), st.just("options"), st.sampled_from([(), [IPOption_NOP()]])),
    st.tuples(st.just("ether"), st.just("src"), st.sampled_from(["02:00:00:00:00:09", "02:00:00:00:00:0a"])),
    st.tuples(st.just("ether"), st.just("type"), st.sampled_from([None, 0x0800, 0x1234])),
    st.tuples(st.just("data"), st.just(""), st.binary(max_size=16)),
    st.tuples(st.just("padding"), st.sampled_from(["ether", "network", "transport"]), st.binary(max_size=4)),
    st.tuples(st.just("swap"), st.just(""), st.booleans()),
)


def _has_field(layer: Layer, name: str) -> bool:
    """Whether ``layer``'s own class declares ``name`` (every field name reads through a stack)."""
    return any(field.name == name for field in layer.fields_desc)


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
    Ethernet frame, the network layer on its own (what a layer-3 socket sends), or both in turn
    (each keeps its own frame, over the same layers)."""
    network = packet.getlayer(IP) or packet[IPv6]
    targets = {"frame": (packet,), "datagram": (network,), "both": (network, packet)}[built]

    def check() -> None:
        for target in targets:
            try:
                reference = per_layer(target)
            except Exception as error:  # the content is not buildable: the rebuild must say so too
                with pytest.raises(type(error)):
                    bytes(target)
                continue
            assert bytes(target) == reference

    check()
    check()  # the second build keeps the frame
    transport_changes = [("transport", change) for change in udp_changes]
    for change in [*changes, *transport_changes]:
        transport = network.payload
        if change[0] == "transport":
            name, value = change[1]
            if transport is not None and _has_field(transport, name):
                with contextlib.suppress(FieldValueError):  # (a value this layer's field cannot hold)
                    setattr(transport, name, value)
        elif change[0] in ("network", "ether"):
            layer = network if change[0] == "network" else packet
            if change[1] == "src" and (":" in change[2]) != isinstance(layer, IPv6):
                continue  # (an address of the other family)
            if _has_field(layer, change[1]):
                setattr(layer, change[1], change[2])
        elif change[0] == "data" and transport is not None:
            transport.payload = change[2] or None
        elif change[0] == "padding":
            layer = {"ether": packet, "network": network, "transport": transport}[change[1]]
            if layer is not None:
                layer.padding = change[2]
        elif change[0] == "swap":  # another transport object in the same place
            network.payload = (TCP(seq=7) if change[2] else UDP(sport=9)) / b"swapped"
        check()


def test_the_seed_loop_repacks_only_the_tcp_header_and_tshark_agrees() -> None:
    packet = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=55968, flags="PA") / b"GET /"
    segment = packet[TCP]
    bytes(packet)
    bytes(packet)
    frame = packet._cache
    front = frame.front  # the Ether and IP headers, joined
    frames = []
    for seq in range(1, 4):
        segment.seq = seq
        frames.append(bytes(packet))
        assert packet._cache is frame and frame.front is front  # the same frame, one header packed
    for seq, fields in enumerate(tshark_fields(frames), 1):
        assert fields["tcp.seq_raw"] == [str(seq)]
        assert fields["tcp.checksum.status"] == ["1"] and fields["ip.checksum.status"] == ["1"]  # good


def test_a_change_to_the_network_layer_updates_the_transport_checksum_too() -> None:
    packet = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP() / b"x"
    bytes(packet)
    bytes(packet)
    packet[IP].src = "198.18.0.7"  # in the UDP pseudo-header: its checksum must move with it
    wire = bytes(packet)
    assert wire == per_layer(packet) and Ether.decode(wire).verify() == []
    packet[IP].ttl = 9  # not in it: the UDP checksum stays
    assert bytes(packet) == per_layer(packet)


# -- a build cut short, or a change made while one runs ------------------------------------------


def generated_lines(packet: Layer, action: Callable[[], None], at: int) -> int:
    """bytes(packet), running ``action`` at the ``at``-th line run in generated build code (0:
    never); how many such lines ran. sys.settrace stands for a signal handler or another thread."""
    seen = 0

    def local(frame: Any, event: str, arg: Any) -> Any:
        nonlocal seen
        if event == "line":
            seen += 1
            if seen == at:
                action()
        return local

    def calls(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(GENERATED_DIR + "/build.") else None

    sys.settrace(calls)
    try:
        bytes(packet)
    finally:
        sys.settrace(None)
    return seen


def interrupt() -> None:
    raise KeyboardInterrupt


def post_loop_packet(ipv6: bool = False) -> Layer:
    """A packet as the raw-socket post's loop holds it: built twice, so it keeps its frame."""
    network = IPv6(src="2001:db8::1", dst="2001:db8::2") if ipv6 else IP(src="198.18.0.1", dst="198.18.0.2")
    packet = Ether(src="02:00:00:00:00:01") / network / TCP(sport=55968, flags="PA") / b"GET /"
    bytes(packet)
    bytes(packet)
    return packet


CHANGES: dict[str, Callable[[Layer, int], None]] = {
    "seq": lambda packet, n: setattr(packet[TCP], "seq", n),  # the innermost header alone
    "ttl": lambda packet, n: setattr(packet[IP], "ttl", n % 256),  # a header before it
    "data": lambda packet, n: setattr(packet[Raw], "load", b"x" * (n % 7)),
}


def lines_run(change: str) -> int:
    """How many lines of generated code the build after ``change`` runs."""
    packet = post_loop_packet()
    CHANGES[change](packet, 2)
    lines = generated_lines(packet, lambda: None, 0)
    assert lines > 10  # (a rebuild, or a build keeping its frame)
    return lines


@pytest.mark.parametrize("change", CHANGES)
def test_a_build_interrupted_at_any_line_leaves_no_stale_frame(change: str) -> None:
    """Ctrl-C can land on any line of a rebuild or of a build that keeps its frame: whatever the
    frame holds afterwards, the next builds give what a fresh build gives."""
    for at in range(1, lines_run(change) + 1):
        packet = post_loop_packet()
        CHANGES[change](packet, at)
        with contextlib.suppress(KeyboardInterrupt):
            generated_lines(packet, interrupt, at)
        assert bytes(packet) == per_layer(packet), at
        CHANGES["seq"](packet, at + 1000)  # the post's loop goes on
        assert bytes(packet) == per_layer(packet), at


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_made_while_a_build_runs_is_never_lost(change: str) -> None:
    """A signal handler (or a thread) sets a field in the middle of a build: that build may give
    the bytes of before or after the change, but the next one gives the packet as it is."""
    for at in range(1, lines_run(change) + 1):
        packet = post_loop_packet()
        CHANGES[change](packet, 2)
        generated_lines(packet, lambda packet=packet: CHANGES[change](packet, 3), at)
        assert bytes(packet) == per_layer(packet), at


def test_a_rebuild_that_fails_keeps_nothing_stale() -> None:
    """A set in the innermost header fails the generated rebuild after the Ethernet source moved:
    once the set is gone, the frame carries the new source (the headers before are packed anew)."""
    packet = Ether(src="02:00:00:00:00:01") / IPv6(dst="2001:db8::2") / b"payload"
    bytes(packet)
    bytes(packet)
    packet.src = "02:00:00:00:00:99"
    packet[IPv6].hlim = [1, 2]  # a set: one packet per value, not one frame
    with pytest.raises(BuildError):
        bytes(packet)
    packet[IPv6].hlim = 5
    assert bytes(packet) == per_layer(packet)
    assert bytes(packet)[6:12] == bytes.fromhex("020000000099")
