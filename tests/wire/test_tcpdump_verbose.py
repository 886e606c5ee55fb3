"""tcpdump.py's -v and -vv text (``summary(packet, verbose)``) against tcpdump itself.

Random packets (header fields, IPv4 options, fragments, right and wrong checksums, ICMP errors
quoting whole or cut datagrams, Neighbor Discovery messages and options, ARP) go through
``tcpdump -nn -v`` and ``-vv``; each packet's text, continuation lines included, must equal its
summary at that level. Ports stay clear of the ones tcpdump decodes as applications.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rawnet import ARP, ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, IPv6, Raw
from rawnet.wire.ipv4 import decode_options
from rawnet.wire.ipv6ext import IPv6ExtHdrFragment
from rawnet.wire.layer import Layer
from rawnet.wire.ndp import ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6ND_RS
from rawnet.wire.tcpdump import summary
from tests.oracle import LINKTYPE_ETHERNET, tcpdump_lines

needs_tcpdump = pytest.mark.tcpdump
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

V4 = ("198.18.0.1", "198.18.0.2", "198.19.7.9")
V6 = ("2001:db8::1", "2001:db8::2", "2001:db8:0:7::9")
PORTS = st.integers(40000, 40100)  # (no application tcpdump knows listens there)
U8, U16, U32 = st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)
BIT = st.integers(0, 1)
CHECKSUM = st.one_of(st.none(), U16)  # None: right; a number: most likely wrong
_RECORD = re.compile(r"^ \d\d:\d\d:\d\d\.\d{6} ")


def tcpdump_texts(frames: Sequence[bytes], level: int) -> list[str]:
    """tcpdump's text for each frame at -v (1) or -vv (2), continuation lines joined with "\\n"
    (-S: sequence numbers as sent; -tt after the oracle's -t: deltas, which start each record)."""
    texts: list[str] = []
    for line in tcpdump_lines(frames, LINKTYPE_ETHERNET, "-S", "-tt", "-" + "v" * level):
        if _RECORD.match(line):
            texts.append(line[len(" 00:00:00.000000 ") :])
        else:
            texts[-1] += "\n" + line
    assert len(texts) == len(frames)
    return texts


def check(packets: Sequence[Layer]) -> None:
    frames = [bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / packet) for packet in packets]
    for level in (1, 2):
        ours = [Ether.decode(frame).summary(level) for frame in frames]
        assert ours == tcpdump_texts(frames, level)


@st.composite
def ipv4_options(draw: st.DrawFn) -> list[object]:
    """Well-formed options tcpdump spells out: NOP, RR/LSRR/SSRR, RA, timestamps, security."""
    data = b""
    for kind in draw(st.lists(st.sampled_from(["nop", "rr", "lsrr", "ssrr", "ra", "ts", "sec"]), max_size=3)):
        if kind == "nop":
            data += b"\x01"
        elif kind in ("rr", "lsrr", "ssrr"):
            hops = draw(st.integers(1, 2))
            code = {"rr": 7, "lsrr": 131, "ssrr": 137}[kind]
            pointer = 4 + 4 * draw(st.integers(0, hops))
            data += bytes([code, 3 + 4 * hops, pointer]) + b"".join(
                bytes([198, 18, 0, draw(U8)]) for _ in range(hops)
            )
        elif kind == "ra":
            data += b"\x94\x04" + draw(st.sampled_from([0, 1])).to_bytes(2, "big")
        elif kind == "ts":
            flag = draw(st.sampled_from([0, 1, 3]))
            hop = 4 if flag == 0 else 8
            hops = draw(st.integers(1, 2))
            pointer = 5 + hop * draw(st.integers(0, hops))
            body = b"".join(
                bytes([198, 18, 0, 9] if hop == 8 else []) + draw(U32).to_bytes(4, "big") for _ in range(hops)
            )
            data += bytes([68, 4 + len(body), pointer, draw(st.integers(0, 2)) << 4 | flag]) + body
        else:
            data += b"\x82\x0b" + bytes(9)
    data += bytes(-len(data) % 4)
    if len(data) > 40:
        data = b""
    return list(decode_options(data, 0, len(data)))


@st.composite
def ipv4_packets(draw: st.DrawFn) -> Layer:
    src, dst, _ = V4
    header = IP(
        src=src,
        dst=dst,
        tos=draw(U8),
        ttl=draw(U8),
        id=draw(U16),
        flags=draw(st.sampled_from([0, 2, 1, 4, 3])),
        chksum=draw(st.one_of(st.none(), st.none(), U16)),
        options=draw(ipv4_options()),
    )
    return header / draw(transports(4))


@st.composite
def transports(draw: st.DrawFn, version: int) -> Layer:
    data = draw(st.binary(max_size=12))
    kind = draw(st.sampled_from(["tcp", "udp", "icmp"]))
    if kind == "tcp":
        flags = draw(st.sampled_from(["S", "SA", "PA", "FA", "R", "A"]))
        tcp = TCP(
            sport=draw(PORTS),
            dport=draw(PORTS),
            flags=flags,
            seq=draw(U32),
            ack=draw(U32),
            chksum=draw(CHECKSUM),
        )
        return tcp / Raw(data)
    if kind == "udp":
        checksum = draw(st.one_of(CHECKSUM, st.just(0)))
        return UDP(sport=draw(PORTS), dport=draw(PORTS), chksum=checksum) / Raw(data)
    if version == 6:
        return ICMPv6EchoRequest(id=draw(U16), seq=draw(U16), cksum=draw(CHECKSUM)) / Raw(data)
    return ICMP(
        type=draw(st.sampled_from([0, 8, 13, 15])), id=draw(U16), seq=draw(U16), chksum=draw(CHECKSUM)
    ) / Raw(data)


@needs_tcpdump
@SETTINGS
@given(st.lists(ipv4_packets(), min_size=1, max_size=12))
def test_ipv4_headers_and_transports_read_as_tcpdump_v(packets: list[Layer]) -> None:
    check(packets)


@st.composite
def icmp_errors(draw: st.DrawFn) -> Layer:
    """An ICMP error quoting a datagram whole or cut after its header plus a few bytes."""
    src, dst, router = V4
    quoted = bytes(
        IP(src=dst, dst=src, ttl=draw(U8), chksum=draw(st.one_of(st.none(), U16))) / draw(transports(4))
    )
    cut = draw(st.one_of(st.none(), st.integers(20, len(quoted))))
    kind, code = draw(st.sampled_from([(3, 3), (3, 1), (3, 4), (11, 0), (5, 1), (4, 0), (12, 0)]))
    error = ICMP(type=kind, code=code, chksum=draw(CHECKSUM))
    return IP(src=router, dst=src) / error / Raw(quoted[:cut])


@needs_tcpdump
@SETTINGS
@given(st.lists(icmp_errors(), min_size=1, max_size=12))
def test_icmp_errors_show_their_quote_as_tcpdump_v(packets: list[Layer]) -> None:
    check(packets)


@st.composite
def nd_options(draw: st.DrawFn) -> bytes:
    data = b""
    for kind in draw(st.lists(st.sampled_from([1, 2, 3, 5, 7, 8, 24, 25, 99]), max_size=3)):
        if kind in (1, 2):
            data += bytes([kind, 1]) + draw(st.binary(min_size=6, max_size=6))
        elif kind == 3:
            times = draw(st.sampled_from([0xFFFFFFFF, 0, 3600])).to_bytes(4, "big") + draw(U32).to_bytes(
                4, "big"
            )
            data += bytes([3, 4, draw(st.integers(0, 128)), draw(U8)]) + times + bytes(4) + bytes(16)
        elif kind in (4, 5, 7):
            data += bytes([kind, 1, 0, 0]) + draw(U32).to_bytes(4, "big")
        elif kind == 8:
            data += bytes([8, 1, 0, 0]) + draw(U16).to_bytes(2, "big") + draw(U16).to_bytes(2, "big")
        elif kind == 24:
            units = draw(st.integers(1, 3))
            data += bytes([24, units, 64, draw(U8)]) + draw(U32).to_bytes(4, "big") + bytes(8 * (units - 1))
        elif kind == 25:
            data += bytes([25, 3, 0, 0]) + draw(U32).to_bytes(4, "big") + bytes(15) + b"\x01"
        else:
            data += bytes([kind, 2]) + draw(st.binary(min_size=14, max_size=14))
    return data


@st.composite
def ipv6_packets(draw: st.DrawFn) -> Layer:
    src, dst, other = V6
    header = IPv6(src=src, dst=dst, tc=draw(U8), fl=draw(st.integers(0, 0xFFFFF)), hlim=draw(U8))
    kind = draw(st.sampled_from(["transport", "fragment", "ns", "na", "rs", "ra", "redirect"]))
    if kind == "transport":
        return header / draw(transports(6))
    if kind == "fragment":
        return header / IPv6ExtHdrFragment(id=draw(U32), m=1) / draw(transports(6))
    message: Layer
    if kind == "ns":
        message = ICMPv6ND_NS(tgt=other)
    elif kind == "na":
        message = ICMPv6ND_NA(tgt=other, R=draw(BIT), S=draw(BIT), O=draw(BIT))
    elif kind == "rs":
        message = ICMPv6ND_RS()
    elif kind == "ra":
        message = ICMPv6ND_RA(
            chlim=draw(U8),
            M=draw(BIT),
            O=draw(BIT),
            H=draw(BIT),
            prf=draw(st.integers(0, 3)),
            routerlifetime=draw(U16),
            reachabletime=draw(U32),
            retranstimer=draw(U32),
            res=draw(st.integers(0, 3)),
        )
    else:
        message = ICMPv6ND_Redirect(tgt=other, dst=dst)
    message.cksum = draw(CHECKSUM)
    return header / message / Raw(draw(nd_options()))


@needs_tcpdump
@SETTINGS
@given(st.lists(ipv6_packets(), min_size=1, max_size=12))
def test_ipv6_headers_and_neighbor_discovery_read_as_tcpdump_v(packets: list[Layer]) -> None:
    check(packets)


@needs_tcpdump
@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.sampled_from([1, 2, 3, 4, 8, 9]),
            st.binary(min_size=6, max_size=6),
            U8,
            st.sampled_from([0x0800, 0x0800, 0x86DD, 0x1234]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_arp_reads_as_tcpdump_v(messages: list[tuple[int, bytes, int, int]]) -> None:
    """(-v goes on past a protocol type it has no layout for: "<wrong proto type>".)"""
    check(
        [
            ARP(op=op, hwsrc=mac.hex(":"), psrc="198.18.0.1", pdst=f"198.18.0.{last}", ptype=ptype)
            for op, mac, last, ptype in messages
        ]
    )


@needs_tcpdump
def test_the_brief_examples_read_as_tcpdump_prints_them() -> None:
    """Some lines word for word, so a reader sees the format (and the oracle is not alone)."""
    syn = IP(src="198.18.0.1", dst="198.18.0.2", flags="DF", id=7) / TCP(sport=5555, dport=4444, flags="S")
    frame = bytes(Ether() / syn)
    assert Ether.decode(frame).summary(1) == (
        "IP (tos 0x0, ttl 64, id 7, offset 0, flags [DF], proto TCP (6), length 40)\n"
        "    198.18.0.1.5555 > 198.18.0.2.4444: Flags [S], cksum 0xdcab (correct), seq 0, win 8192, length 0"
    )
    assert summary(Ether.decode(frame)) == Ether.decode(frame).summary() == tcpdump_lines([frame])[0]
    assert tcpdump_texts([frame], 1)[0] == Ether.decode(frame).summary(1)
