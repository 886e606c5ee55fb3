"""hashret.py: pkt.hashret(), pkt.answers(other), a < b and a > b give what scapy 2.8 gives (its oracle)."""

from __future__ import annotations

from typing import Any

import pytest
import scapy.all as scapy

SETUP = """
q4 = IP(src="198.18.0.1", dst="198.18.0.2")
r4 = IP(src="198.18.0.2", dst="198.18.0.1")
q6 = IPv6(src="2001:db8::1", dst="2001:db8::2")
r6 = IPv6(src="2001:db8::2", dst="2001:db8::1")
echo = q4/ICMP(type=8, id=7, seq=3)
echo6 = q6/ICMPv6EchoRequest(id=7, seq=3, data="x")
syn = q4/TCP(sport=1234, dport=80, flags="S", seq=100)
udp = q4/UDP(sport=1234, dport=53)
"""

CASES = [
    "echo.hashret()",
    "(r4/ICMP(type=0, id=7, seq=3)).answers(echo)",
    "echo.answers(r4/ICMP(type=0, id=7, seq=3))",
    "(r4/ICMP(type=0, id=7, seq=4)).answers(echo)",
    "echo.hashret() == (r4/ICMP(type=0, id=7, seq=3)).hashret()",
    "(r4/TCP(sport=80, dport=1234, flags='SA', seq=5, ack=101)).answers(syn)",
    "(r4/TCP(sport=80, dport=1234, flags='RA', ack=101)).answers(syn)",
    "(r4/TCP(sport=80, dport=1234, flags='SA', ack=999)).answers(syn)",
    "(r4/TCP(sport=81, dport=1234, flags='SA', ack=101)).answers(syn)",
    "syn.hashret()",
    "(r4/UDP(sport=53, dport=1234)).answers(udp)",
    "(IP(src='198.18.0.9', dst='198.18.0.1')/ICMP(type=3, code=3)/IPerror(src='198.18.0.1', dst='198.18.0.2')"
    "/UDPerror(sport=1234, dport=53)).answers(udp)",
    "(IP(src='198.18.0.9', dst='198.18.0.1')/ICMP(type=11)/IPerror(src='198.18.0.1', dst='198.18.0.2')"
    "/ICMPerror(type=8, id=7, seq=3)).answers(echo)",
    "(IP(src='198.18.0.9', dst='198.18.0.1')/ICMP(type=3, code=3)/IPerror(src='198.18.0.1', dst='198.18.0.2')"
    "/UDPerror(sport=1234, dport=53)).hashret() == udp.hashret()",
    "echo6.hashret()",
    "(r6/ICMPv6EchoReply(id=7, seq=3, data='x')).answers(echo6)",
    "(r6/ICMPv6EchoReply(id=7, seq=3, data='y')).answers(echo6)",
    "echo6 > r6/ICMPv6EchoReply(id=7, seq=3, data='x')",
    "echo6 < r6/ICMPv6EchoReply(id=7, seq=3, data='x')",
    "(IPv6(src='fe80::2', dst='fe80::1')/ICMPv6ND_NA(tgt='fe80::2'))"
    ".answers(IPv6(src='fe80::1')/ICMPv6ND_NS(tgt='fe80::2'))",
    "(IPv6(src='fe80::1')/ICMPv6ND_NS(tgt='fe80::2')).hashret()",
    "ICMPv6ND_RA().answers(ICMPv6ND_RS())",
    "(IPv6(src='fe80::1', dst='ff02::1')/ICMPv6ND_RA())"
    ".answers(IPv6(src='fe80::2', dst='ff02::2')/ICMPv6ND_RS())",
    "(IPv6()/IPv6ExtHdrDestOpt()/ICMPv6EchoRequest()).hashret()",
    "(r6/ICMPv6DestUnreach()/IPerror6(src='2001:db8::1', dst='2001:db8::2')/UDPerror(sport=9, dport=7))"
    ".answers(q6/UDP(sport=9, dport=7))",
    "(Ether()/ARP(op=2, psrc='198.18.0.2')).answers(Ether()/ARP(pdst='198.18.0.2'))",
    "(Ether()/ARP(op=2, psrc='198.18.0.3')).answers(Ether()/ARP(pdst='198.18.0.2'))",
    "(Ether()/ARP(pdst='198.18.0.2')).hashret()",
    "(Ether()/Dot1Q(vlan=5)/IP()/ICMP(type=0)).answers(Ether()/Dot1Q(vlan=5)/IP()/ICMP())",
]


def _evaluate(names: dict[str, Any], expression: str) -> Any:
    exec(SETUP, names)
    return eval(expression, names)


@pytest.mark.parametrize("expression", CASES)
def test_as_scapy(expression: str) -> None:
    theirs = _evaluate(dict(vars(scapy)), expression)
    ours: dict[str, Any] = {}
    exec("from rawnet import *", ours)
    mine = _evaluate(ours, expression)
    assert (type(mine), mine) == (type(theirs), theirs)  # the same value, int or bool as scapy's
