"""rawnet.stream.Stream: frames in bulk against the per-packet API, checksums against scapy and verify().

The differential property: for random templates, generator sets and start indexes, every row of
``frames(start, n)`` is byte for byte ``bytes(packet(start + k))``. Checksums are held to two
oracles besides: rawnet's verify() on the decoded frames, and scapy 2.8.0 recomputing them.
"""

import ast
import ipaddress
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.all import ICMP as SICMP
from scapy.all import IP as SIP
from scapy.all import TCP as STCP
from scapy.all import UDP as SUDP
from scapy.all import Ether as SEther
from scapy.all import ICMPv6EchoRequest as SICMPv6EchoRequest
from scapy.all import IPv6 as SIPv6

import rawnet.stream
from rawnet.errors import InputError
from rawnet.stream import Counter, Cycle, Random, RandomNetwork, Stream, Values
from rawnet.wire import (
    GRE,
    ICMP,
    IP,
    SCTP,
    TCP,
    UDP,
    Dot1Q,
    Ether,
    ICMPv6EchoRequest,
    IPOption_LSRR,
    IPv6,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    Raw,
)

MACS = {"dst": "02:00:00:00:00:02", "src": "02:00:00:00:00:01"}
V4 = {"src": "198.18.0.1", "dst": "198.18.1.2"}
V6 = {"src": "2001:db8::1", "dst": "2001:db8::2"}

#: The template shapes of the differential test, and the fields it may generate in each.
SHAPES = {
    "Ether/IP/TCP": (lambda p: Ether(**MACS) / IP(**V4) / TCP(**p), ["Ether.src", "IP", "TCP"]),
    "Ether/IP/UDP": (lambda p: Ether(**MACS) / IP(**V4) / UDP(**p), ["Ether.src", "IP", "UDP"]),
    "Ether/IPv6/TCP": (lambda p: Ether(**MACS) / IPv6(**V6) / TCP(**p), ["Ether.src", "IPv6", "TCP"]),
    "IPv6/UDP": (lambda p: IPv6(**V6) / UDP(**p), ["IPv6", "UDP"]),
    "IP/ICMP": (lambda p: IP(**V4) / ICMP(**p), ["IP", "ICMP"]),
    "Ether/IPv6/ICMPv6EchoRequest": (
        lambda p: Ether(**MACS) / IPv6(**V6) / ICMPv6EchoRequest(**p),
        ["Ether.src", "IPv6", "ICMPv6EchoRequest"],
    ),
}
FIELDS = {
    "Ether.src": ["Ether.src"],
    "IP": ["IP.src", "IP.dst", "IP.id", "IP.ttl", "IP.tos"],
    "IPv6": ["IPv6.src", "IPv6.dst", "IPv6.hlim", "IPv6.fl", "IPv6.tc"],
    "TCP": ["TCP.sport", "TCP.dport", "TCP.seq", "TCP.ack", "TCP.window", "TCP.flags"],
    "UDP": ["UDP.sport", "UDP.dport"],
    "ICMP": ["ICMP.id", "ICMP.seq"],
    "ICMPv6EchoRequest": ["ICMPv6EchoRequest.id", "ICMPv6EchoRequest.seq"],
}
BITS = {"Ether.src": 48, "IP.src": 32, "IP.dst": 32, "IPv6.src": 128, "IPv6.dst": 128, "IPv6.fl": 20}
BITS.update({name: 32 for name in ("TCP.seq", "TCP.ack")})
BITS.update({name: 8 for name in ("IP.ttl", "IP.tos", "IPv6.hlim", "IPv6.tc")})
BITS["TCP.flags"] = 9
CHECKSUM = {"TCP": "chksum", "UDP": "chksum", "ICMP": "chksum", "ICMPv6EchoRequest": "cksum"}


@st.composite
def generators(draw, name):
    """A generator for field ``name``: Counter, Random, Cycle, Values, or RandomNetwork (addresses)."""
    bits = BITS.get(name, 16)
    top = (1 << bits) - 1
    value = st.integers(0, top)
    addresses = ("IP.src", "IP.dst", "IPv6.src", "IPv6.dst")
    kinds = ["counter", "random", "cycle", "values"] + (["network"] if name in addresses else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "counter":
        wrap = draw(st.none() | st.integers(1, 1 << bits))
        return Counter(draw(value), step=draw(st.integers(-(1 << bits), 1 << bits)), wrap=wrap)
    if kind == "random":
        low, high = sorted((draw(value), draw(value)))
        return Random(low, high, seed=draw(st.integers(0, 2**32)))
    if kind == "network":
        prefix = draw(st.integers(0, bits))
        address = draw(value) >> (bits - prefix) << (bits - prefix) if prefix else 0
        kind_of_network = ipaddress.IPv4Network if bits == 32 else ipaddress.IPv6Network
        network = kind_of_network((address, prefix))
        return RandomNetwork(str(network), seed=draw(st.integers(0, 2**32)))
    values = draw(st.lists(value, min_size=1, max_size=6))
    return Cycle(values) if kind == "cycle" else Values(values)


@st.composite
def streams(draw):
    shape = draw(st.sampled_from(sorted(SHAPES)))
    make, groups = SHAPES[shape]
    transport = shape.rsplit("/", 1)[1]
    extra = {}
    if draw(st.booleans()):  # sometimes a checksum the user set: kept as set
        extra[CHECKSUM[transport]] = draw(st.integers(0, 0xFFFF))
    template = make(extra) / Raw(draw(st.binary(max_size=41)))
    names = [name for group in groups for name in FIELDS[group]]
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=5, unique=True))
    fields = {name: draw(generators(name)) for name in chosen}
    return Stream(template, fields)


def _decoded(frame, layer2):
    data = frame.tobytes()
    if layer2:
        return Ether(data)
    return (IPv6 if data[0] >> 4 == 6 else IP)(data)


@settings(max_examples=120)
@given(stream=streams(), data=st.data())
def test_frames_are_the_per_packet_builds(stream, data):
    if stream.count is None:
        start = data.draw(st.integers(0, 2**40), label="start")
        n = data.draw(st.integers(1, 24), label="n")
    else:
        start = data.draw(st.integers(0, stream.count - 1), label="start")
        n = data.draw(st.integers(1, stream.count - start), label="n")
    frames = stream.frames(start, n)
    assert frames.shape == (n, stream.frame_size)
    assert frames.dtype == np.uint8
    assert frames.flags.c_contiguous
    for k in range(n):
        assert frames[k].tobytes() == stream.packet(start + k).build(), k
    # written in place into rows that lie apart (a TX ring's slots), over bytes that were there
    slots = np.full((n, stream.frame_size + 13), 0xA5, dtype=np.uint8)
    stream.frames_into(slots[:, 5 : 5 + stream.frame_size], start)
    assert np.array_equal(slots[:, 5 : 5 + stream.frame_size], frames)
    assert (slots[:, :5] == 0xA5).all() and (slots[:, 5 + stream.frame_size :] == 0xA5).all()
    if not any(field in repr(stream._template) for field in ("chksum=", "cksum=")):
        for frame in frames[:4]:
            assert _decoded(frame, stream.layer2).verify() == []


def _scapy_checksums_ok(raw: bytes, layer2: bool) -> bool:
    """Whether scapy, recomputing every checksum of ``raw``, gets the same bytes."""
    packet = SEther(raw) if layer2 else SIPv6(raw) if raw[0] >> 4 == 6 else SIP(raw)
    for cls, name in ((SIP, "chksum"), (STCP, "chksum"), (SUDP, "chksum"), (SICMP, "chksum")):
        if cls in packet:
            delattr(packet[cls], name)
    if SICMPv6EchoRequest in packet:
        del packet[SICMPv6EchoRequest].cksum
    return bytes(packet) == raw


@pytest.mark.parametrize(
    ("template", "fields"),
    [
        (
            Ether(**MACS) / IP(**V4) / TCP(sport=40000, dport=40001, flags="S") / Raw(b"x" * 6),
            {"TCP.seq": Counter(1000), "IP.src": RandomNetwork("198.18.0.0/24", seed=1),
             "TCP.sport": Random(10000, 65535, seed=2), "IP.ttl": Cycle([1, 64, 255])},
        ),
        (
            Ether(**MACS) / IP(**V4) / UDP(sport=40000, dport=40001) / Raw(b"odd"),
            {"IP.dst": Random(0, 2**32 - 1, seed=3), "UDP.sport": Counter(9, step=7), "IP.id": Counter(0)},
        ),
        (
            Ether(**MACS) / IPv6(**V6) / UDP(sport=40000, dport=40001) / Raw(b"12345"),
            {"IPv6.src": RandomNetwork("2001:db8::/33", seed=4), "IPv6.fl": Random(0, 2**20 - 1, seed=5)},
        ),
        (
            Ether(**MACS) / IPv6(**V6) / TCP(sport=40000, dport=40001) / Raw(b"z"),
            {"IPv6.dst": Counter("2001:db8::fffe"), "TCP.ack": Random(0, 2**32 - 1, seed=6)},
        ),
        (
            Ether(**MACS) / IP(**V4) / ICMP(type=8) / Raw(b"ping!"),
            {"ICMP.seq": Counter(0), "ICMP.id": Random(0, 65535, seed=7), "IP.tos": Cycle([0, 0xB8])},
        ),
        (
            Ether(**MACS) / IPv6(**V6) / ICMPv6EchoRequest(data=b"ping6"),
            {"ICMPv6EchoRequest.seq": Counter(0), "IPv6.src": RandomNetwork("2001:db8:5::/64", seed=8)},
        ),
    ],
)  # fmt: skip
def test_scapy_recomputes_the_same_checksums(template, fields):
    stream = Stream(template, fields)
    frames = stream.frames(5000, 300)
    assert all(_scapy_checksums_ok(frame.tobytes(), stream.layer2) for frame in frames)


# -- checksum edge cases --------------------------------------------------------------------


def test_a_udp_checksum_computed_as_0_is_sent_as_ffff():
    template = IP(**V4) / UDP(sport=0, dport=9) / Raw(b"abc")
    computed = IP(bytes(template))[UDP].chksum
    # one more in the source port takes the sum to 0xFFFF: the checksum would be 0
    stream = Stream(template, {"UDP.sport": Values([0, computed, computed + 1])})
    frames = stream.frames(0, 3)
    chksum = UDP.span.chksum
    assert [IP(frame.tobytes())[UDP].chksum for frame in frames][1] == 0xFFFF
    assert frames[1, 20 + chksum.start : 20 + chksum.stop].tobytes() == b"\xff\xff"
    for k in range(3):
        assert frames[k].tobytes() == stream.packet(k).build()


def test_an_all_zero_icmp_message_gets_ffff_as_the_builders_give_it():
    stream = Stream(IP(**V4) / ICMP(type=0, id=0, seq=0), {"ICMP.seq": Values([0, 1, 0])})
    frames = stream.frames(0, 3)
    assert [IP(frame.tobytes())[ICMP].chksum for frame in frames] == [0xFFFF, 0xFFFE, 0xFFFF]
    for k in range(3):
        assert frames[k].tobytes() == stream.packet(k).build()


def test_a_checksum_the_user_set_stays_as_set():
    stream = Stream(
        IP(**V4) / TCP(chksum=0x1234) / Raw(b"abc"), {"IP.src": Counter(1), "TCP.seq": Counter(5)}
    )
    frames = stream.frames(0, 10)
    assert {IP(frame.tobytes())[TCP].chksum for frame in frames} == {0x1234}
    assert all(IP(frame.tobytes()).verify()[0].field == "chksum" for frame in frames)
    assert len({IP(frame.tobytes()).chksum for frame in frames}) == 10  # (the IPv4 one follows)


def test_fields_at_odd_offsets_of_the_checksummed_bytes():
    # IP.tos and IP.ttl are single bytes at offsets 1 and 8: one odd, one even
    stream = Stream(
        IP(**V4) / UDP() / Raw(b"x"), {"IP.tos": Counter(1, step=37), "IP.ttl": Counter(0, step=101)}
    )
    frames = stream.frames(0, 600)
    assert all(IP(frame.tobytes()).verify() == [] for frame in frames)


def test_bit_fields_sharing_bytes_with_others():
    template = IPv6(**V6, tc=0x5A, fl=0xABCDE) / TCP(flags="S") / Raw(b"abc")
    stream = Stream(template, {"IPv6.tc": Counter(0, step=3), "TCP.flags": Cycle(["SA", "FPU", 0x1FF])})
    frames = stream.frames(0, 40)
    packets = [IPv6(frame.tobytes()) for frame in frames]
    assert [packet.tc for packet in packets[:3]] == [0, 3, 6]
    assert {packet.fl for packet in packets} == {0xABCDE}
    assert all(packet.verify() == [] for packet in packets)
    assert all(frames[k].tobytes() == stream.packet(k).build() for k in range(40))


def test_the_second_layer_of_a_class_in_a_tunnel():
    template = IP(**V4) / IP(src="198.19.1.1", dst="198.19.1.2") / UDP(dport=4789) / Raw(b"inner")
    stream = Stream(template, {"IP:2.src": Counter("198.19.1.1"), "IP.dst": Counter("198.18.1.2", step=3)})
    packets = [IP(frame.tobytes()) for frame in stream.frames(0, 5)]
    assert [packet.payload.src for packet in packets[:2]] == ["198.19.1.1", "198.19.1.2"]
    assert {packet.src for packet in packets} == {"198.18.0.1"}
    assert all(packet.verify() == [] for packet in packets)


def test_keys_may_be_a_class_and_a_field_name():
    one = Stream(IP(**V4) / TCP(), {(TCP, "seq"): Counter(9)})
    two = Stream(IP(**V4) / TCP(), {"TCP.seq": Counter(9)})
    assert np.array_equal(one.frames(0, 10), two.frames(0, 10))


def test_a_gre_tunnel_without_a_checksum():
    template = IP(**V4) / GRE() / IP(src="198.19.1.1", dst="198.19.1.2") / UDP()
    stream = Stream(template, {"IP:2.dst": Counter("198.19.1.2")})
    assert all(stream.frames(0, 5)[k].tobytes() == stream.packet(k).build() for k in range(5))


# -- the stream's shape ---------------------------------------------------------------------


def test_a_stream_says_its_frame_size_count_and_layer():
    stream = Stream(Ether(**MACS) / IP(**V4) / TCP() / Raw(b"x" * 6), {"TCP.seq": Counter(0)})
    assert (stream.frame_size, stream.count, stream.layer2) == (60, None, True)
    assert Stream(IPv6(**V6) / UDP(), {"UDP.sport": Counter(0)}).layer2 is False
    assert Stream(IP(**V4) / UDP()).layer2 is False
    assert Stream(IP(**V4) / UDP()).frames(3, 2).tolist() == [list(bytes(IP(**V4) / UDP()))] * 2
    assert Stream(IP(**V4) / UDP(), count=0).frames(0, 0).shape == (0, 28)


def test_the_template_is_not_changed():
    template = IP(**V4) / TCP(seq=5)
    before = template.build()
    stream = Stream(template, {"TCP.seq": Counter(100), "IP.src": Counter(1)})
    stream.frames(0, 10)
    stream.packet(7)
    assert template.build() == before and template[TCP].seq == 5


@pytest.mark.parametrize(("start", "n"), [(-1, 1), (0, -1), (1.5, 1), (True, 1)])
def test_a_bad_range_of_frames_is_an_error(start, n):
    with pytest.raises(InputError):
        Stream(IP(**V4) / TCP()).frames(start, n)


# -- what a stream refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "fields", "message"),
    [
        (IP(**V4) / TCP(), {"TCP.nonsense": Counter(0)}, "TCP has no field 'nonsense'"),
        (IP(**V4) / TCP(), {"UDP.sport": Counter(0)}, r"the template \(IP / TCP\) has no UDP"),
        (IP(**V4) / TCP(), {"IP:2.ttl": Counter(0)}, "has no 2th IP"),
        (IP(**V4) / TCP(), {"TCP": Counter(0)}, "a field key is 'Class.field'"),
        (IP(**V4) / TCP(), {3: Counter(0)}, "a field key is"),
        (IP(**V4) / TCP(), {"TCP.seq": 5}, "TCP.seq: a generator"),
        (IP(**V4) / TCP(), {"IP.options": Counter(0)}, "IP.options is not in IP's fixed header"),
        (IP(**V4) / TCP(), {"TCP.options": Counter(0)}, "TCP.options is not in TCP's fixed header"),
        (IP(**V4) / TCP(), {"IP.len": Counter(40)}, "IP.len is a length the build computes"),
        (IP(**V4) / TCP(), {"TCP.dataofs": Counter(5)}, "TCP.dataofs is a length"),
        (IP(**V4) / TCP(), {"TCP.chksum": Counter(5)}, "TCP.chksum is computed at build"),
        (IP(**V4) / TCP(), {"IP.proto": Cycle([6])}, "IP.proto is computed at build"),
        (Ether() / IP(**V4) / TCP(), {"IP.dst": Counter(1)}, "Ether.dst is filled from IP.dst"),
        (IP(dst="198.19.0.1") / TCP(), {"IP.dst": Counter(1)}, "IP.src is filled from IP.dst"),
        (IP(**V4, ttl=(1, 3)) / TCP(), {"TCP.seq": Counter(1)}, "IP.ttl holds"),
        (IP(**V4) / TCP(), {"IP.ttl": Counter(256)}, "too wide for 8 bits"),
        (IP(**V4) / GRE(key_present=0) / IP() / UDP(), {"GRE.key_present": Cycle([0, 1])}, "change a"),
        (IP(**V4) / SCTP(), {"SCTP.sport": Counter(1)}, "a checksum computed by a protocol's own code"),
        (IP(**V4) / SCTP(), {"SCTP.sport": Cycle([7, 7, 7, 8])}, "cannot follow this template when SCTP"),
    ],
)  # fmt: skip
def test_what_a_stream_refuses(template, fields, message):
    with pytest.raises(InputError, match=message):
        Stream(template, fields)


def test_a_template_that_is_not_a_packet_is_an_error():
    with pytest.raises(InputError, match="a stream's template is a packet"):
        Stream(b"\x45", {})


def test_a_field_given_twice_is_an_error():
    with pytest.raises(InputError, match=r"TCP\.seq is given two generators"):
        Stream(IP(**V4) / TCP(), {"TCP.seq": Counter(0), (TCP, "seq"): Counter(1)})


def test_a_bad_count_is_an_error():
    with pytest.raises(InputError, match="count is a non-negative int"):
        Stream(IP(**V4) / TCP(), count=-1)


# -- replay ---------------------------------------------------------------------------------


def test_replay_cycles_through_its_frames():
    built = [bytes(Ether(**MACS) / IP(**V4, id=k) / UDP()) for k in range(3)]
    stream = Stream.replay(built)
    assert (stream.frame_size, stream.count, stream.layer2) == (len(built[0]), None, True)
    frames = stream.frames(2, 5)
    assert frames.flags.c_contiguous
    assert [frame.tobytes() for frame in frames] == [built[k % 3] for k in range(2, 7)]
    assert stream.packet(4).build() == built[1]
    assert stream.packet(4)[IP].id == 1
    slots = np.zeros((5, stream.frame_size + 3), dtype=np.uint8)
    stream.frames_into(slots[:, : stream.frame_size], 2)
    assert np.array_equal(slots[:, : stream.frame_size], frames)
    with pytest.raises(InputError, match="uint8 array"):
        stream.frames_into(np.zeros((5, 3), dtype=np.uint8), 0)


def test_replay_of_ip_packets_with_a_count():
    built = [bytes(IPv6(**V6) / UDP(sport=k)) for k in range(2)]
    stream = Stream.replay(built, count=3, layer2=False)
    assert stream.layer2 is False and stream.count == 3
    assert stream.packet(2)[UDP].sport == 0
    with pytest.raises(InputError):
        stream.frames(2, 2)


def test_replay_refuses_frames_of_different_lengths_and_none():
    with pytest.raises(InputError, match="frames of one length"):
        Stream.replay([b"ab", b"abc"])
    with pytest.raises(InputError, match="no frames"):
        Stream.replay([])


def test_a_stream_pickles_as_what_it_was_made_from():
    stream = Stream(
        Ether(**MACS) / IP(**V4) / TCP() / Raw(b"abc"),
        {"TCP.seq": Counter(7), "IP.src": RandomNetwork("198.19.0.0/16"), "TCP.sport": Random(1, 9)},
    )
    again = pickle.loads(pickle.dumps(stream))
    assert np.array_equal(again.frames(3000, 50), stream.frames(3000, 50))
    replayed = pickle.loads(pickle.dumps(Stream.replay([b"ab", b"cd"], count=5, layer2=False)))
    assert (replayed.count, replayed.layer2, replayed.frames(1, 2).tobytes()) == (5, False, b"cdab")


def _padded():
    packet = Ether(**MACS) / IP(**V4) / UDP() / Raw(b"abc")
    packet[IP].padding = bytes(7)
    return packet


@pytest.mark.parametrize(
    ("template", "fields"),
    [
        (_padded(), {"IP.src": Counter(1), "UDP.sport": Random(0, 65535, seed=1)}),
        (
            IPv6(**V6) / IPv6ExtHdrHopByHop() / UDP() / Raw(b"ab"),
            {"IPv6.src": Counter("2001:db8::1"), "IPv6.dst": RandomNetwork("2001:db8::/64", seed=2)},
        ),
        (
            IPv6(**V6) / IPv6ExtHdrRouting(addresses=["2001:db8::99"]) / UDP() / Raw(b"ab"),
            {"IPv6.dst": RandomNetwork("2001:db8::/64", seed=2), "IPv6.src": Counter(1)},
        ),
        (
            IP(**V4, options=[IPOption_LSRR(routers=["198.19.2.4"])]) / TCP(),
            {"IP.dst": Counter("198.19.0.2"), "IP.src": Counter(5)},
        ),
        (
            IP(**V4) / ICMP(type=3, code=3) / IP(src=V4["dst"], dst=V4["src"]) / UDP(sport=5, dport=7),
            {"IP.ttl": Counter(1), "IP:2.id": Counter(1), "UDP.sport": Counter(3)},
        ),
        (
            Ether(**MACS) / Dot1Q(vlan=5) / IP(**V4) / UDP(),
            {"Dot1Q.vlan": Counter(0, step=99), "Dot1Q.prio": Cycle([7, 0, 3])},
        ),
        (
            Ether(bytes(Ether(**MACS) / IP(**V4) / TCP() / Raw(b"hello"))),  # decoded: checksums as found
            {"TCP.seq": Counter(1), "IP.src": Counter(9)},
        ),
    ],
)
def test_other_templates_are_the_per_packet_builds(template, fields):
    stream = Stream(template, fields)
    frames = stream.frames(1000, 200)
    assert all(frames[k].tobytes() == stream.packet(1000 + k).build() for k in range(200))


def test_the_package_imports_only_the_packet_formats_errors_numpy_and_the_standard_library():
    allowed = ("rawnet.wire", "rawnet.errors", "rawnet.stream", "numpy")
    for path in sorted(Path(rawnet.stream.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                top = name.split(".")[0]
                assert name.startswith(allowed) or top in sys.stdlib_module_names, (path.name, name)
    code = (
        "import sys, rawnet.stream\n"
        "print(sorted(m for m in sys.modules if m.startswith(('rawnet.net', 'rawnet.cli'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
