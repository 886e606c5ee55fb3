"""The registry: one table from numbers to layers, both ways; a new protocol is one module + one line."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
from collections.abc import Callable

import pytest

from rawnet import Ether, Raw
from rawnet.wire import IP, TCP, UDP, IPv6, IPv6ExtHdrHopByHop
from rawnet.wire.fields import UInt
from rawnet.wire.layer import LENIENT, Layer
from rawnet.wire.registry import (
    ETHERTYPE,
    IP_PROTOCOL,
    IPV6_NEXT_HEADER,
    LAYERS,
    TABLE,
    TCP_PORT,
    UDP_PORT,
    Registry,
)
from tests.oracle import tshark_fields

LOCAL_EXPERIMENTAL = 0x88B5  # IEEE 802 local experimental EtherType 1


class Probe(Layer):
    """A toy protocol defined by the test: two fields."""

    __slots__ = ()
    name = "probe"
    tag = UInt(16, "Tag", 7)
    count = UInt(8, "Count", 1)


LAYERS.register(ETHERTYPE, LOCAL_EXPERIMENTAL, Probe)


def test_duplicate_registration_raises() -> None:
    registry = Registry()
    registry.register(ETHERTYPE, 0x1234, Probe)
    with pytest.raises(ValueError, match="already registered to Probe"):
        registry.register(ETHERTYPE, 0x1234, Raw)


def test_a_duplicate_in_the_live_registry_raises_and_changes_nothing() -> None:
    version = LAYERS.version
    with pytest.raises(ValueError, match="ethertype 0x800 is already registered to IP"):
        LAYERS.register(ETHERTYPE, 0x0800, Probe)
    assert LAYERS.lookup(ETHERTYPE, 0x0800) is IP and LAYERS.number(ETHERTYPE, Probe) == LOCAL_EXPERIMENTAL
    assert LAYERS.version == version


def test_a_number_an_included_space_holds_is_a_duplicate_too() -> None:
    # (``if number in own``), not in the lines the space includes (INCLUDES) nor in the spaces that
    # include it: IPV6_NEXT_HEADER 6 is accepted over IP_PROTOCOL's TCP line, so IPv6 then decodes
    # next header 6 as the new class while TCP still builds with 6 (and an IP_PROTOCOL line under an
    # IPv6 extension header's number is never seen by IPv6). Both must raise as duplicates.
    registry = Registry()  # (a registry of the test's own: a wrong line in LAYERS would stay)
    registry.register(IP_PROTOCOL, 6, TCP)
    registry.register(IPV6_NEXT_HEADER, 0, IPv6ExtHdrHopByHop)
    with pytest.raises(ValueError, match="already registered to TCP"):
        registry.register(IPV6_NEXT_HEADER, 6, Probe)
    with pytest.raises(ValueError, match="already registered to IPv6ExtHdrHopByHop"):
        registry.register(IP_PROTOCOL, 0, Probe)
    assert registry.lookup(IPV6_NEXT_HEADER, 6) is TCP and registry.lookup(IP_PROTOCOL, 0) is None


def test_a_registered_protocol_builds_and_decodes_through_ether() -> None:
    wire = bytes(Ether() / Probe(tag=0xABCD, count=3) / b"rest")
    assert wire[12:14] == LOCAL_EXPERIMENTAL.to_bytes(2, "big")  # the EtherType came from the table
    assert wire[14:17] == b"\xab\xcd\x03"
    decoded = Ether.decode(wire)
    assert decoded[Probe].tag == 0xABCD and decoded[Probe].count == 3
    assert decoded[Raw].load == b"rest"


def test_lookup_both_ways_and_subclasses() -> None:
    class ProbeV2(Probe):
        __slots__ = ()

    assert LAYERS.lookup(ETHERTYPE, LOCAL_EXPERIMENTAL) is Probe
    assert LAYERS.number(ETHERTYPE, Probe) == LOCAL_EXPERIMENTAL
    assert LAYERS.number(ETHERTYPE, ProbeV2) == LOCAL_EXPERIMENTAL  # nearest registered base
    assert LAYERS.lookup(ETHERTYPE, 0xFFFE) is None


# -- no import-order dependence ----------------------------------------------------------------

# Golden frames; tshark reads each as its comment says (test_the_golden_frames_are_what_they_claim).
GOLDEN = {
    # eth:ethertype:ipv6:icmpv6 - a neighbor solicitation for fe80::2 with a source link-layer
    # address option (02:00:00:00:00:01); ICMPv6 checksum good
    "ns": (
        "3333ff00000200000000000086dd6000000000203afffe800000000000000000000000000001ff02000000000000"
        "00000001ff00000287007a9700000000fe8000000000000000000000000000020101020000000001",
        "eth:ethertype:ipv6:icmpv6",
        ["Ether", "IPv6", "ICMPv6ND_NS", "ICMPv6NDOptSrcLLAddr"],
    ),
    # eth:ethertype:ipv6:ipv6.hopopts:udp:data - UDP 1234 > 5678 behind a Hop-by-Hop header
    "hop-by-hop": (
        "ffffffffffff00000000000086dd6000000000110040000000000000000000000000000000010000000000000000"
        "0000000000000001110001040000000004d2162e00096cda78",
        "eth:ethertype:ipv6:ipv6.hopopts:udp:data",
        ["Ether", "IPv6", "IPv6ExtHdrHopByHop", "UDP", "Raw"],
    ),
    # eth:ethertype:vlan:ethertype:ip:tcp - VLAN 5 (0x8100), a SYN to port 80 with one data byte
    "vlan": (
        "ffffffffffff00000000000081000005080045000029000100004006b4ba00000000c61200020014005000000000"
        "00000000500220005069000079",
        "eth:ethertype:vlan:ethertype:ip:tcp",
        ["Ether", "Dot1Q", "IP", "TCP", "Raw"],
    ),
    # eth:ethertype:ip:icmp:data - an echo request to 198.18.0.2
    "icmp": (
        "ffffffffffff00000000000008004500001d000100004001b4cb00000000c612000208007dff000000007a",
        "eth:ethertype:ip:icmp:data",
        ["Ether", "IP", "ICMP", "Raw"],
    ),
    # eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ip:icmp:data - QinQ: an 802.1ad service tag
    # (0x88A8, VLAN 100) around the 802.1Q tag (VLAN 5), the same echo request inside
    "qinq": (
        "ffffffffffff00000000000088a800648100000508004500001d000100004001b4cb00000000c612000208007dff"
        "000000007a",
        "eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ip:icmp:data",
        ["Ether", "Dot1Q", "Dot1Q", "IP", "ICMP", "Raw"],
    ),
}

# Run in a fresh interpreter after importing the module named by argv[1] first: decodes the
# golden frames, builds the same stacks, and prints the registry's numbers, as JSON.
ORDER_SCRIPT = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
from rawnet.wire import (
    ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6,
    IPv6ExtHdrHopByHop, ARP,
)
from rawnet.wire.registry import (
    ETHERTYPE, ICMPV6_TYPE, IP_PROTOCOL, IPV6_NEXT_HEADER, LAYERS, ND_OPTION, TCP_PORT, UDP_PORT,
)
golden = json.loads(sys.argv[2])
built = {
    "ns": Ether() / IPv6(src="fe80::1", dst="ff02::1:ff00:2") / ICMPv6ND_NS(tgt="fe80::2")
    / ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01"),
    "hop-by-hop": Ether() / IPv6() / IPv6ExtHdrHopByHop() / UDP(sport=1234, dport=5678) / b"x",
    "vlan": Ether() / Dot1Q(vlan=5) / IP(dst="198.18.0.2") / TCP() / b"y",
    "icmp": Ether() / IP(dst="198.18.0.2") / ICMP() / b"z",
    "qinq": Ether() / Dot1Q(vlan=100) / Dot1Q(vlan=5) / IP(dst="198.18.0.2") / ICMP() / b"z",
}
out = {
    "decoded": {
        name: [type(layer).__name__ for layer in Ether.decode(bytes.fromhex(wire)).layers()]
        for name, wire in golden.items()
    },
    "built": {name: bytes(packet).hex() for name, packet in built.items()},
    "numbers": {
        f"{space} {cls.__name__}": LAYERS.number(space, cls)
        for space, classes in (
            (ETHERTYPE, (IP, ARP, Dot1Q, IPv6)),
            (IP_PROTOCOL, (ICMP, IP, TCP, UDP, IPv6, ICMPv6, IPv6ExtHdrHopByHop)),
            (IPV6_NEXT_HEADER, (IPv6ExtHdrHopByHop, TCP, UDP, IPv6, IP)),
        )
        for cls in classes
    },
    "tables": {
        space: sorted((number, cls.__name__) for number, cls in LAYERS.table(space).items())
        for space in (ETHERTYPE, IP_PROTOCOL, IPV6_NEXT_HEADER, ICMPV6_TYPE, ND_OPTION, UDP_PORT, TCP_PORT)
    },
}
print(json.dumps(out, sort_keys=True))
"""
FIRST_IMPORTS = ("rawnet.wire.tcp", "rawnet.wire.ndp", "rawnet.wire.ipv6ext", "rawnet.wire.icmp")


def _run_fresh(script: str, *args: str) -> str:
    """The standard output of ``script`` run by a fresh interpreter (failing on any error)."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_what_decodes_and_builds_does_not_depend_on_import_order() -> None:
    golden = json.dumps({name: wire for name, (wire, _, _) in GOLDEN.items()})
    with concurrent.futures.ThreadPoolExecutor(len(FIRST_IMPORTS)) as pool:
        outputs = list(pool.map(lambda first: _run_fresh(ORDER_SCRIPT, first, golden), FIRST_IMPORTS))
    assert all(output == outputs[0] for output in outputs), dict(zip(FIRST_IMPORTS, outputs, strict=True))
    seen = json.loads(outputs[0])
    assert seen["decoded"] == {name: classes for name, (_, _, classes) in GOLDEN.items()}
    # built: the golden bytes, but QinQ's outer tag, which Dot1Q builds with its first number, 0x8100
    expected = {name: wire for name, (wire, _, _) in GOLDEN.items()}
    expected["qinq"] = expected["qinq"].replace("88a80064", "81000064", 1)
    assert seen["built"] == expected
    assert seen["numbers"] == {
        f"{ETHERTYPE} IP": 0x0800,
        f"{ETHERTYPE} ARP": 0x0806,
        f"{ETHERTYPE} Dot1Q": 0x8100,
        f"{ETHERTYPE} IPv6": 0x86DD,
        f"{IP_PROTOCOL} ICMP": 1,
        f"{IP_PROTOCOL} IP": 4,
        f"{IP_PROTOCOL} TCP": 6,
        f"{IP_PROTOCOL} UDP": 17,
        f"{IP_PROTOCOL} IPv6": 41,
        f"{IP_PROTOCOL} ICMPv6": 58,
        f"{IP_PROTOCOL} IPv6ExtHdrHopByHop": None,  # an IPv6 extension header: no IPv4 protocol
        f"{IPV6_NEXT_HEADER} IPv6ExtHdrHopByHop": 0,
        f"{IPV6_NEXT_HEADER} TCP": 6,
        f"{IPV6_NEXT_HEADER} UDP": 17,
        f"{IPV6_NEXT_HEADER} IPv6": 41,
        f"{IPV6_NEXT_HEADER} IP": 4,
    }
    assert seen["tables"][ETHERTYPE] == [
        [0x0800, "IP"],
        [0x0806, "ARP"],
        [0x6558, "Ether"],
        [0x8100, "Dot1Q"],
        [0x86DD, "IPv6"],
        [0x8847, "MPLS"],
        [0x8848, "MPLS"],
        [0x88A8, "Dot1Q"],
        [0x88CC, "LLDPDU"],
    ]
    udp_ports = {(number, name) for number, name in seen["tables"][UDP_PORT]}
    assert {(53, "DNS"), (5353, "DNS"), (5355, "DNS"), (67, "BOOTP"), (68, "BOOTP")} <= udp_ports
    assert {(546, "DHCP6"), (547, "DHCP6"), (123, "NTP")} <= udp_ports
    assert {(4789, "VXLAN"), (6081, "GENEVE"), (6635, "MPLS"), (8472, "VXLAN")} <= udp_ports
    assert [53, "DNSTCP"] in seen["tables"][TCP_PORT]


@pytest.mark.tshark
def test_the_golden_frames_are_what_they_claim() -> None:
    frames = [bytes.fromhex(wire) for wire, _, _ in GOLDEN.values()]
    seen = [fields["frame.protocols"] for fields in tshark_fields(frames)]
    assert seen == [[protocols] for _, protocols, _ in GOLDEN.values()]


# -- IP protocol numbers and IPv6 next headers -------------------------------------------------

# A Hop-by-Hop header (RFC 8200 4.3): next header 59 (none), length 0, a PadN option of 4 bytes.
HOP_BY_HOP = bytes.fromhex("3b00010400000000")


def _decoders() -> dict[str, Callable[[type[Layer], bytes], Layer]]:
    """Each way of decoding: the generated decoder and the generic one, strict and lenient."""
    return {
        "generated strict": lambda cls, wire: cls.decode(wire),
        "generated lenient": lambda cls, wire: cls.decode(wire, lenient=True),
        "generic strict": lambda cls, wire: cls._decode_chain(wire, 0),
        "generic lenient": lambda cls, wire: cls._decode_chain(wire, LENIENT),
    }


DECODERS = list(_decoders())


@pytest.mark.parametrize("how", DECODERS)
def test_ipv4_protocol_0_is_raw_but_ipv6_next_header_0_is_hop_by_hop(how: str) -> None:
    decode = _decoders()[how]
    v4 = bytes(Ether() / IP(src="198.18.0.1", dst="198.18.0.2", proto=0) / HOP_BY_HOP)
    decoded = decode(Ether, v4)
    assert [type(layer) for layer in decoded.layers()] == [Ether, IP, Raw]
    assert decoded[Raw].load == HOP_BY_HOP
    v6 = bytes(Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2", nh=0) / HOP_BY_HOP)
    decoded = decode(Ether, v6)
    assert [type(layer) for layer in decoded.layers()] == [Ether, IPv6, IPv6ExtHdrHopByHop]
    assert decoded[IPv6ExtHdrHopByHop].nh == 59


def test_protocol_0_is_in_no_ipv4_table() -> None:
    assert LAYERS.lookup(IP_PROTOCOL, 0) is None
    assert LAYERS.lookup(IPV6_NEXT_HEADER, 0) is IPv6ExtHdrHopByHop
    for line in TABLE:
        if line.space == IPV6_NEXT_HEADER:  # the extension headers are IPv6's alone
            assert LAYERS.lookup(IP_PROTOCOL, line.number) is None, line


def test_ipv6_next_headers_include_every_ip_protocol() -> None:
    ip_protocols = LAYERS.table(IP_PROTOCOL)
    next_headers = LAYERS.table(IPV6_NEXT_HEADER)
    assert {line.number for line in TABLE if line.space == IP_PROTOCOL} <= set(ip_protocols)
    for number, cls in ip_protocols.items():
        assert next_headers.get(number) is cls, number
    # a line added at run time is included too (253: RFC 3692's protocol for experiments)
    experiment = _claim(IP_PROTOCOL, EXPERIMENT_PROTOCOL, Experiment)
    assert LAYERS.lookup(IPV6_NEXT_HEADER, EXPERIMENT_PROTOCOL) is experiment
    assert LAYERS.number(IPV6_NEXT_HEADER, experiment) == EXPERIMENT_PROTOCOL
    v6 = Ether.decode(bytes(Ether() / IPv6(nh=EXPERIMENT_PROTOCOL) / b"\x00\x05rest"))
    assert type(v6[IPv6].payload) is experiment and v6[experiment].tag == 5
    v4 = Ether.decode(bytes(Ether() / IP(proto=EXPERIMENT_PROTOCOL) / b"\x00\x05rest"))
    assert type(v4[IP].payload) is experiment


# -- port dispatch -----------------------------------------------------------------------------


class PortToy(Layer):
    """A toy application protocol found by its port: a tag and a count."""

    __slots__ = ()
    name = "porttoy"
    tag = UInt(16, "Tag", 0)
    count = UInt(8, "Count", 0)


class OtherPortToy(Layer):
    """Another one, on another port."""

    __slots__ = ()
    name = "otherporttoy"
    tag = UInt(16, "Tag", 0)
    count = UInt(8, "Count", 0)


class Experiment(Layer):
    """A toy protocol on IP protocol 253."""

    __slots__ = ()
    name = "experiment"
    tag = UInt(16, "Tag", 0)


# Ports of the dynamic range (RFC 6335) that no other test uses.
TOY_PORT, OTHER_TOY_PORT, FREE_PORT = 61001, 61002, 61003
EXPERIMENT_PROTOCOL = 253


def _claim(space: str, number: int, cls: type[Layer]) -> type[Layer]:
    """Register ``cls`` for ``number``; a registry line cannot be removed, so when this ran before
    in this process the class of the earlier run is there: return the class registered."""
    known = LAYERS.lookup(space, number)
    if known is None:
        LAYERS.register(space, number, cls)
        return cls
    assert known.__name__ == cls.__name__, f"{space} {number} is taken by {known.__name__}"
    return known


def _payload_by_port(
    how: str, network: type[Layer], transport: type[Layer], sport: int, dport: int
) -> type[Layer]:
    """The class of the payload ``how`` decodes a datagram (or segment) between these ports as."""
    data = b"\xab\xcd\x03rest"
    wire = bytes(Ether() / network() / transport(sport=sport, dport=dport) / data)
    payload = _decoders()[how](Ether, wire)[transport].payload
    if type(payload) is Raw:
        assert payload.load == data  # type: ignore[union-attr]
    elif payload is not None:
        assert (payload.tag, payload.count) == (0xABCD, 3)  # type: ignore[attr-defined]
        assert type(payload.payload) is Raw and payload.payload.load == b"rest"  # type: ignore[attr-defined]
    return type(payload)


NETWORKS = [IP, IPv6]
TRANSPORTS = [UDP, TCP]


def _toys(transport: type[Layer]) -> tuple[type[Layer], type[Layer]]:
    space = transport.ports
    assert space in (UDP_PORT, TCP_PORT)
    toy = _claim(space, TOY_PORT, PortToy)
    other = _claim(space, OTHER_TOY_PORT, OtherPortToy)
    assert LAYERS.lookup(space, FREE_PORT) is None and LAYERS.lookup(space, FREE_PORT + 1) is None
    return toy, other


@pytest.mark.parametrize("how", DECODERS)
@pytest.mark.parametrize("network", NETWORKS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda cls: cls.__name__)
def test_a_registered_port_chooses_the_payload_either_way(
    how: str, network: type[Layer], transport: type[Layer]
) -> None:
    toy, _ = _toys(transport)
    assert _payload_by_port(how, network, transport, FREE_PORT, TOY_PORT) is toy  # to the toy's port
    assert _payload_by_port(how, network, transport, TOY_PORT, FREE_PORT) is toy  # from it
    assert _payload_by_port(how, network, transport, FREE_PORT, FREE_PORT + 1) is Raw  # neither: data


def test_the_destination_port_wins_over_the_source_port() -> None:
    wrong = []
    for transport in TRANSPORTS:
        toy, other = _toys(transport)
        for network in NETWORKS:
            for how in DECODERS:
                for sport, dport, expected in (
                    (OTHER_TOY_PORT, TOY_PORT, toy),
                    (TOY_PORT, OTHER_TOY_PORT, other),
                ):
                    found = _payload_by_port(how, network, transport, sport, dport)
                    if found is not expected:
                        wrong.append(
                            f"{network.__name__}/{transport.__name__} {sport}>{dport} {how}: {found.__name__}"
                        )
    assert not wrong, f"{len(wrong)} wrong: {wrong}"


# -- registering at run time ---------------------------------------------------------------------


def _free_number(space: str, candidates: range) -> int:
    """The first of ``candidates`` no class is registered for in ``space``."""
    return next(number for number in candidates if LAYERS.lookup(space, number) is None)


def test_a_registration_after_the_decoders_were_generated_takes_effect() -> None:
    class Late(Layer):
        """A protocol registered once decoders and builders exist."""

        __slots__ = ()
        name = "late"
        tag = UInt(16, "Tag", 0)

    ethertype = _free_number(ETHERTYPE, range(0x88B6, 0x88B6 + 256))
    wire = bytes.fromhex(f"ffffffffffff000000000000{ethertype:04x}1234") + b"rest"
    for how, decode in _decoders().items():  # decoders generated (and used) before the line exists
        assert type(decode(Ether, wire).payload) is Raw, how
    assert bytes(Ether() / Late(tag=0x1234) / b"rest")[12:14] == b"\x90\x00"  # unknown: 0x9000
    LAYERS.register(ETHERTYPE, ethertype, Late)
    for how, decode in _decoders().items():
        decoded = decode(Ether, wire)
        assert type(decoded.payload) is Late, how
        assert decoded[Late].tag == 0x1234 and decoded[Raw].load == b"rest", how
    assert bytes(Ether() / Late(tag=0x1234) / b"rest") == wire


def test_a_packet_built_before_a_registration_builds_with_the_new_number() -> None:
    class Later(Layer):
        """A protocol registered after a packet carrying it was built."""

        __slots__ = ()
        name = "later"
        tag = UInt(16, "Tag", 0)

    ethertype = _free_number(ETHERTYPE, range(0x88B6, 0x88B6 + 256))
    packet = Ether() / Later(tag=0x1234) / b"rest"
    assert bytes(packet)[12:14] == bytes(packet)[12:14] == b"\x90\x00"  # twice: the frame is kept
    LAYERS.register(ETHERTYPE, ethertype, Later)
    assert bytes(packet.copy())[12:14] == ethertype.to_bytes(2, "big")
    assert bytes(packet)[12:14] == ethertype.to_bytes(2, "big")


# In a fresh interpreter, where no TCP port is registered yet: the generated decoder of Ether is
# made (and used) first; then a class is registered on a TCP port; a truncated header of it must
# then fail a strict decode at once and end a lenient one in Undecoded, as the generic decoder does.
LATE_PORT_SCRIPT = """
from rawnet.errors import DecodeError
from rawnet.wire import IP, TCP, Ether, Raw, Undecoded
from rawnet.wire.fields import UInt
from rawnet.wire.layer import LENIENT, Layer
from rawnet.wire.registry import LAYERS, TCP_PORT

class Toy(Layer):
    __slots__ = ()
    name = "toy"
    tag = UInt(32, "Tag", 0)

assert 61004 not in LAYERS.table(TCP_PORT)
short = bytes(Ether() / IP() / TCP(sport=40000, dport=61004) / b"\\x01\\x02")
assert type(Ether.decode(short)[TCP].payload) is Raw
LAYERS.register(TCP_PORT, 61004, Toy)
for name, strict in (
    ("generated", lambda: Ether.decode(short)),
    ("generic", lambda: Ether._decode_chain(short, 0)),
):
    try:
        strict()
    except DecodeError as error:
        print(name, "strict:", error)
    else:
        print(name, "strict: no error")
lenient = Ether.decode(short, lenient=True)
print("generated lenient:", [type(layer).__name__ for layer in lenient.layers()])
lenient = Ether._decode_chain(short, LENIENT)
print("generic lenient:", [type(layer).__name__ for layer in lenient.layers()])
"""


def test_a_port_registered_after_the_decoders_were_generated_is_decoded_by_them() -> None:
    lines = _run_fresh(LATE_PORT_SCRIPT).splitlines()
    assert lines == [
        "generated strict: toy at offset 54: 2 bytes left, the header needs 4",
        "generic strict: toy at offset 54: 2 bytes left, the header needs 4",
        "generated lenient: ['Ether', 'IP', 'TCP', 'Undecoded']",
        "generic lenient: ['Ether', 'IP', 'TCP', 'Undecoded']",
    ]


# In a fresh interpreter: Ether's decoder generated twice (as tests/wire/test_fused.py does), then a
# registration, which must succeed and reach the decoder.
TWICE_SCRIPT = """
from rawnet.wire import Ether
from rawnet.wire import fused
from rawnet.wire.fields import UInt
from rawnet.wire.layer import Layer
from rawnet.wire.registry import ETHERTYPE, LAYERS

class Twice(Layer):
    __slots__ = ()
    name = "twice"
    tag = UInt(16, "Tag", 0)

wire = bytes.fromhex("ffffffffffff00000000000088b61234") + b"rest"
print(type(Ether.decode(wire).payload).__name__)
fused.decoder_for(Ether)
fused.decoder_for(Ether)
LAYERS.register(ETHERTYPE, 0x88B6, Twice)
decoded = Ether.decode(wire)
print(type(decoded.payload).__name__, hex(decoded[Twice].tag))
"""


def test_a_decoder_generated_twice_lets_a_later_registration_through() -> None:
    assert _run_fresh(TWICE_SCRIPT).splitlines() == ["Raw", "Twice 0x1234"]
