"""What scapy's users type, on layer.py, fields.py and volatile.py: scapy 2.8 itself is the oracle.

Each test builds the same thing with scapy and with rawnet and compares the bytes or values
(scapy is a test-only dependency). Where rawnet deliberately differs, the test says so.
"""

from __future__ import annotations

import pickle
import random
from collections.abc import Callable
from typing import Any

import pytest
import scapy.all as scapy

from rawnet import (
    ICMP,
    IP,
    TCP,
    UDP,
    BuildError,
    Ether,
    FieldValueError,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_RS,
    IPerror,
    IPv6,
    RandByte,
    RandIP,
    RandMAC,
    RandShort,
    RandString,
    Raw,
    TCPerror,
    ls,
    raw,
)

# Each case: the same expression, evaluated with scapy's names and with rawnet's.
SAME_BYTES: list[str] = [
    "IP()",
    "IP(ttl=None)",
    "IPv6()",
    "IP()/TCP()",
    "Ether()/IP()/UDP()/b'x'",
    # (scapy takes a source other than to loopback from this machine's routes: given here)
    "IPv6(src='fe80::1')/ICMPv6ND_NS(tgt='2001:db8::1')",
    "IPv6(src='fe80::1')/ICMPv6ND_RS()",
    "IPv6(src='fe80::1')/ICMPv6ND_RA()",
    "IPv6(src='fe80::1')/ICMPv6ND_NA(tgt='2001:db8::1')",
    "IPv6(src='fe80::1', hlim=7, dst='2001:db8::9')/ICMPv6ND_NS(tgt='2001:db8::1')",
    "IP(proto='tcp')",
    "IP(dst='198.18.0.2', src='198.18.0.1')/TCP(flags=None, window=None)",
    "IP(bytes(IP(ttl=3, src='198.18.0.1', dst='198.18.0.5')/TCP(dport=22)))",
    "Ether(bytes(Ether()/IP()/ICMP()))",
    # an unset Ethernet destination under a multicast group: the group's MAC (RFC 2464, RFC 1112)
    # (scapy takes an unset source MAC from this machine: given here)
    "Ether(src=M)/IPv6(src='fe80::1', dst='ff02::1:ff00:2')/ICMPv6ND_NS(tgt='2001:db8::2')",
    "Ether(src=M)/IPv6(src='fe80::1')/ICMPv6ND_RA()",
    "Ether(src=M)/IP(src='198.18.0.1', dst='224.0.0.251')/UDP(sport=5353, dport=5353)",
    "Ether(src=M)/IP(src='198.18.0.1', dst='239.255.255.250')/UDP()",
]


def _both(expression: str) -> tuple[Any, Any]:
    ours: dict[str, Any] = {"M": "02:00:00:00:00:01"}
    exec("from rawnet import *", ours)
    return eval(expression, {**vars(scapy), "M": "02:00:00:00:00:01"}), eval(expression, ours)


@pytest.mark.parametrize("expression", SAME_BYTES)
def test_the_same_bytes_as_scapy(expression: str) -> None:
    theirs, ours = _both(expression)
    assert bytes(ours) == bytes(theirs)
    assert len(ours) == len(theirs)


@pytest.mark.parametrize(
    "expression",
    [
        "(IP()/UDP())[IP].proto",
        "(Ether()/IP()).type",
        "Ether().type",
        "(Ether()/IP(ttl=9)).ttl",
        "IP().src",
        "IPv6().src",
        "(IPv6()/ICMPv6ND_NS()).hlim",
        "(IPv6()/ICMPv6ND_NS()).dst",
        "(IPv6()/ICMPv6ND_RS()).dst",
        "IP().len",
        "IP().chksum",
        "len(IP()/TCP()/b'abc')",
        "[p.dport for p in TCP(dport=(440, 443))]",
        "[p.ttl for p in IP(ttl=[1, 2, (5, 9)])]",
        "[p.dst for p in IP(dst='198.18.0.0/30')]",
        "len(list(IP(dst='198.18.0.0/30')/TCP(dport=[80, (440, 441)])))",
        "raw(IP(src='198.18.0.1', dst='198.18.0.3'))",
    ],
)
def test_the_same_values_as_scapy(expression: str) -> None:
    theirs, ours = _both(expression)
    assert ours == theirs


def test_attributes_read_set_and_delete_through_the_stack() -> None:
    packet = Ether() / IP(ttl=9) / TCP(dport=80)
    assert packet.ttl == 9 and packet.dport == 80 and packet.src == "00:00:00:00:00:00"  # Ether's own src
    packet.ttl = 3
    packet.dport = 443
    assert packet[IP].ttl == 3 and packet[TCP].dport == 443
    del packet.ttl  # back to the default
    assert packet[IP].ttl == 64
    with pytest.raises(AttributeError, match=r"Ether has no field 'hlim', nor has any layer it carries"):
        packet.hlim  # noqa: B018
    with pytest.raises(AttributeError):
        packet.hlim = 3
    with pytest.raises(AttributeError):
        packet.nonsense = 1  # (no field of any layer: not stored anywhere, as scapy would)


def test_none_and_del_as_scapy() -> None:
    packet = IP(src="198.18.0.1", dst="198.18.0.2", chksum=0x1234) / TCP(chksum=0xDEAD)
    del packet.chksum  # the IP checksum: computed again
    packet[TCP].chksum = None
    decoded = IP.decode(bytes(packet))
    assert decoded.verify() == []
    theirs = scapy.IP(src="198.18.0.1", dst="198.18.0.2", chksum=0x1234) / scapy.TCP(chksum=0xDEAD)
    del theirs.chksum
    theirs[scapy.TCP].chksum = None
    assert bytes(packet) == bytes(theirs)
    plain = IP(ttl=5)
    plain.ttl = None  # a field nothing computes: sent as 0, as scapy sends it
    assert bytes(plain)[8] == 0 == bytes(scapy.IP(ttl=None))[8]


def test_tuples_are_inclusive_ranges_and_bad_ones_are_named() -> None:
    assert [p.sport for p in UDP(sport=(1, 3))] == [1, 2, 3]
    assert list(UDP(sport=(3, 1))) == []  # (scapy raises StopIteration out of its generator)
    assert [str(p.flags) for p in TCP(flags=["S", "SA"])] == ["S", "SA"]
    for bad in ((1, 2, 3), (1, "x"), (-1, 4), (1, 70000)):
        with pytest.raises(FieldValueError, match=r"TCP.dport must be a"):
            TCP(dport=bad)  # type: ignore[arg-type]
    with pytest.raises(BuildError, match="holds 4 values: iterate the packet"):
        bytes(TCP(dport=(1, 4)))
    with pytest.raises(TypeError, match="len\\(\\) of a packet set"):
        len(TCP(dport=(1, 4)))


def test_octet_ranges_as_old_scapy_wrote_them() -> None:
    assert [p.dst for p in IP(dst="198.18.0.1-4")] == [f"198.18.0.{n}" for n in range(1, 5)]
    assert len(list(IP(dst="198.18.0-1.*"))) == 512
    with pytest.raises(FieldValueError):
        IP(dst="198.18.0.4-1")


def _rebuilds(make: Callable[[], Any]) -> list[bytes]:
    packet = make()
    return [bytes(packet) for _ in range(20)]


def test_random_values_are_drawn_again_at_each_build_and_the_packet_keeps_them() -> None:
    random.seed(7)
    packet = (
        IP(dst=RandIP("198.18.0.0/16"), id=RandShort(), ttl=RandByte())
        / UDP(sport=RandShort())
        / Raw(load=RandString(8))
    )
    frames = [bytes(packet) for _ in range(20)]
    assert len(set(frames)) == 20  # a new draw each time
    for frame in frames:
        decoded = IP.decode(frame)
        assert decoded.verify() == []  # lengths and checksums follow the draw
        assert decoded.dst.startswith("198.18.") and len(decoded[Raw].load) == 8
    assert isinstance(packet.id, RandShort)  # the packet still holds the random value
    assert isinstance(pickle.loads(pickle.dumps(packet)).id, RandShort)
    ether = Ether(src=RandMAC("02:00:*:*:*:*")) / IP()
    assert {bytes(ether)[6:8] for _ in range(5)} == {b"\x02\x00"}


def test_a_packet_reads_as_scapy_and_its_metadata_is_kept_by_copies() -> None:
    packet = IP(dst="198.18.0.2") / ICMP()
    assert (packet.time, packet.sniffed_on, packet.direction, packet.wirelen, packet.sent_time) == (None,) * 5
    packet.time, packet.sniffed_on, packet.direction, packet.wirelen = 1.5, "veth0", 0, 98
    for copied in (packet.copy(), pickle.loads(pickle.dumps(packet))):
        assert (copied.time, copied.sniffed_on, copied.direction, copied.wirelen) == (1.5, "veth0", 0, 98)
    assert raw(packet) == bytes(packet)
    assert "ttl        : UInt" in (ls(IP, dump=True) or "") and "IPv6" in (ls(dump=True) or "")
    assert (IP() / UDP()).summary() == (  # computed (tcpdump: port 53 is DNS)
        "IP 127.0.0.1.53 > 127.0.0.1.53: domain [length 0 < 12] (invalid)"
    )


@pytest.mark.parametrize("cls", [ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RA, ICMPv6ND_RS])
def test_neighbour_discovery_gets_hop_limit_255_as_rfc_4861_requires(cls: Any) -> None:
    packet = IPv6() / cls()
    assert packet.hlim == 255 and bytes(packet)[7] == 255
    assert (IPv6(hlim=64) / cls()).hlim == 64  # set by the user: sent as set
    assert IPv6(bytes(packet)).hlim == 255


def test_ottl_hops_and_haslayer_return_what_scapy_returns() -> None:
    for ttl in range(256):
        ours, theirs_ip = IP(ttl=ttl), scapy.IP(ttl=ttl)
        assert (ours.ottl(), ours.hops()) == (theirs_ip.ottl(), theirs_ip.hops())
    packet, theirs = IP() / TCP(), scapy.IP() / scapy.TCP()
    found, missing = packet.haslayer(TCP), packet.haslayer(UDP)
    assert (type(found), found, type(missing), missing) == (bool, True, int, 0)
    assert (found, missing) == (theirs.haslayer(scapy.TCP), theirs.haslayer(scapy.UDP))


OPTION_CASES = [
    "raw(IP(src='198.18.0.1', dst='198.18.0.2', options=[IPOption_NOP(), IPOption_LSRR(routers=['198.18.0.3',"
    " '198.18.0.4']), IPOption_Security(transmission_control_code='XYZ')])/TCP())",
    "IP(raw(IP(options=[IPOption_LSRR(routers=['198.18.0.3', '198.18.0.4'])])))"
    "[IPOption_LSRR].get_current_router()",
    "IP(raw(IP(options=[IPOption_Security(security=7, transmission_control_code='XY')])))"
    "[IPOption_Security].transmission_control_code",
    "IPOption_LSRR in IP(raw(IP(options=[IPOption_RR()])))",
    "raw(IPv6ExtHdrHopByHop(options=[RouterAlert()]))",
    "raw(IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=70000)]))",
    "IPv6(raw(IPv6()/IPv6ExtHdrHopByHop(options=[Jumbo(jumboplen=16)])/ICMPv6EchoRequest()))[Jumbo].jumboplen",
    "Jumbo in IPv6(raw(IPv6()/IPv6ExtHdrHopByHop(options=[RouterAlert()])/ICMPv6EchoRequest()))",
]


@pytest.mark.parametrize("expression", OPTION_CASES)
def test_option_classes_as_scapys(expression: str) -> None:
    theirs, ours = _both(expression)
    assert ours == theirs


@pytest.mark.parametrize(
    "expression",
    [
        "IP(ttl=10)",
        "ARP(op=2)",
        "ICMP(type=3)",
        "TCP(flags='SA', options=[('MSS', 1460)])",
        "IPv6()/ICMPv6ND_NS(tgt='2001:db8::1')",
        "Ether()/IPv6(src='2001:db8::1', dst='2001:db8::2')/ICMPv6EchoRequest(id=7)",
        "Ether(bytes(Ether(dst='02:00:00:00:00:02', src='02:00:00:00:00:01')"
        "/IP(src='198.18.0.1', dst='198.18.0.2')/TCP(dport=443)/b'x'))",
    ],
)
def test_repr_as_scapys(expression: str) -> None:
    theirs, ours = _both(expression)
    assert repr(ours) == repr(theirs)


def test_a_tcp_header_quoted_in_part_reads_as_scapys_tcperror() -> None:
    # an ICMP time exceeded quoting 8 bytes of a segment (scapy's inet.uts "TCPError parsing")
    frame = bytes.fromhex(
        "005056a4302ffcbd676360c908004500003800000000f80164b6682ce6b70ad504560b004f410000000045000028"
        "400e00000106fdae0ad50456681204d7f73100507d4430f8"
    )
    ours, theirs = Ether(frame), scapy.Ether(frame)
    assert TCPerror in ours and scapy.TCPerror in theirs
    assert (ours[TCPerror].sport, ours[TCPerror].dport, ours[TCPerror].seq) == (
        theirs[scapy.TCPerror].sport,
        theirs[scapy.TCPerror].dport,
        theirs[scapy.TCPerror].seq,
    )
    assert bytes(ours) == frame == bytes(theirs) and ours.verify() == []


def test_a_partly_quoted_header_keeps_its_bytes_once_read_whole() -> None:
    frame = bytes(
        IP(src="198.18.0.9", dst="198.18.0.1") / ICMP(type=11) / bytes(IP(dst="198.18.0.2") / TCP())[:28]
    )
    packet = IP(frame)
    list(packet)  # (iterating a packet reads every field)
    assert bytes(packet) == frame
    packet[TCPerror].sport = 1  # changed: a whole header again
    assert len(bytes(packet)) == len(frame) + 12
    for copied in (IP(frame).copy(), pickle.loads(pickle.dumps(IP(frame)))):
        list(copied)
        assert bytes(copied) == frame  # (copies keep the bytes quoted)
    assert bytes(IP(src="198.18.0.9", dst="198.18.0.1") / ICMP(type=11) / IP(frame)[IPerror]) == frame
