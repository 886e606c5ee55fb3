"""plist.py: packet lists and exchange results behave as scapy 2.8's (scapy is the oracle)."""

from __future__ import annotations

import pytest
import scapy.all as scapy
from scapy.plist import PacketList as ScapyPacketList
from scapy.plist import SndRcvList as ScapySndRcvList

from rawnet import ICMP, IP, TCP, UDP, PacketList, QueryAnswer, SndRcvList, make_table

PROBES = [(f"198.18.0.{host}", port) for host in (2, 10, 3) for port in (22, 80, 443)]
FLAGS = {22: "SA", 80: "RA", 443: "SA"}


def _exchanges(layers: object) -> list[tuple[object, object]]:
    ip, tcp = layers.IP, layers.TCP  # type: ignore[attr-defined]
    return [
        (
            ip(src="198.18.0.1", dst=dst) / tcp(dport=port),
            ip(src=dst, dst="198.18.0.1") / tcp(sport=port, flags=FLAGS[port]),
        )
        for dst, port in PROBES
    ]


def _table(s: object, r: object) -> tuple[object, object, object]:
    return s.dst, s.dport, r.sprintf("%TCP.flags%")  # type: ignore[attr-defined]


def test_make_table_prints_what_scapys_prints(capsys: pytest.CaptureFixture[str]) -> None:
    ours = SndRcvList(_exchanges(__import__("rawnet")))
    theirs = ScapySndRcvList(_exchanges(scapy))
    assert ours.make_table(_table, dump=True) == theirs.make_table(_table, dump=True)
    ours.make_table(_table)
    assert capsys.readouterr().out == theirs.make_table(_table, dump=True)


def test_lists_index_slice_filter_add_and_count_as_scapys() -> None:
    rawnet_module = __import__("rawnet")
    ours, theirs = SndRcvList(_exchanges(rawnet_module)), ScapySndRcvList(_exchanges(scapy))
    assert repr(ours) == repr(theirs) == "<Results: TCP:9 UDP:0 ICMP:0 Other:0>"
    assert (
        isinstance(ours[0], QueryAnswer) and ours[0].query.dport == 22 and ours[0].answer[TCP].flags == "SA"
    )
    assert repr(ours[2:5]) == repr(theirs[2:5])
    assert repr(ours + ours) == repr(theirs + theirs)
    kept = ours.filter(lambda s, r: r[TCP].flags == "SA")
    assert len(kept) == len(theirs.filter(lambda s, r: r[scapy.TCP].flags == "SA")) == 6
    assert [(s.dst, r.sport) for s, r in ours] == [(s.dst, r.sport) for s, r in theirs]
    packets = PacketList([IP() / TCP(), IP() / UDP(), IP() / ICMP(), IP() / b"x", IP() / TCP()], "Sniffed")
    transports = [scapy.TCP(), scapy.UDP(), scapy.ICMP(), scapy.Raw(b"x"), scapy.TCP()]
    scapy_packets = ScapyPacketList([scapy.IP() / layer for layer in transports], "Sniffed")
    assert repr(packets) == repr(scapy_packets) == "<Sniffed: TCP:2 UDP:1 ICMP:1 Other:1>"
    assert (
        repr(packets[TCP])
        == repr(scapy_packets[scapy.TCP])
        == "<TCP from Sniffed: TCP:2 UDP:0 ICMP:0 Other:0>"
    )
    assert packets == list(packets) and len(packets[1:3]) == 2


def test_nsummary_numbers_lines_and_prn_lfilter_take_the_packets(capsys: pytest.CaptureFixture[str]) -> None:
    packets = PacketList([IP(dst=f"198.18.0.{n}") / UDP(dport=n) for n in range(1, 4)])
    packets.nsummary(prn=lambda p: p.dst, lfilter=lambda p: p[UDP].dport != 2)
    scapy.PacketList([scapy.IP(dst=f"198.18.0.{n}") / scapy.UDP(dport=n) for n in range(1, 4)]).nsummary(
        prn=lambda p: p.dst, lfilter=lambda p: p[scapy.UDP].dport != 2
    )
    ours, theirs = capsys.readouterr().out.split("0000 ", 2)[1:]
    assert "0000 " + ours == "0000 " + theirs == "0000 198.18.0.1\n0002 198.18.0.3\n"
    packets.summary()
    assert capsys.readouterr().out.splitlines() == [packet.summary() for packet in packets]
    assert packets.sprintf("%IP.dst% %UDP.dport%") == ["198.18.0.1 1", "198.18.0.2 2", "198.18.0.3 3"]


def test_make_table_of_packets_and_sorting() -> None:
    packets = [IP(dst="198.18.0.10", ttl=t) for t in (3, 1, 2)] + [IP(dst="198.18.0.9", ttl=1)]
    table = make_table(packets, lambda p: (p.dst, p.ttl, p.id), dump=True)
    theirs = scapy.make_table(
        [scapy.IP(dst="198.18.0.10", ttl=t) for t in (3, 1, 2)] + [scapy.IP(dst="198.18.0.9", ttl=1)],
        lambda p: (p.dst, p.ttl, p.id),
        dump=True,
    )
    assert table == theirs  # addresses sort as addresses (.9 before .10), numbers as numbers
