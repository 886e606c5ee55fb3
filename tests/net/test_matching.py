"""Reply matching rules on crafted packets (the kernel's own replies are matched in test_sendrecv)."""

from __future__ import annotations

import ipaddress

import pytest

from rawnet import (
    ARP,
    ICMP,
    IP,
    SCTP,
    TCP,
    UDP,
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    IPOption_NOP,
    IPv6,
    IPv6ExtHdrHopByHop,
    Layer,
    SCTPChunkAbort,
    SCTPChunkInit,
    SCTPChunkInitAck,
)
from rawnet.net.matching import (
    answers,
    answers_frame,
    echo_reply_key,
    fragment_key,
    probe_key,
    quoted_datagram,
    reply_keys,
    wire_destination,
    wire_probe_key,
)
from rawnet.wire import ICMPv6ND_NA, ICMPv6ND_NS

A, B, C = "198.18.0.1", "198.18.0.2", "198.18.0.3"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (TCP(sport=80, dport=1234, flags="SA", ack=101), ""),
        (TCP(sport=80, dport=1234, flags="SA", ack=100), ""),  # acknowledges nothing yet: allowed
        (TCP(sport=80, dport=1234, flags="SA", ack=102), "ack 102 is outside the probe's seq 100..101"),
        (TCP(sport=80, dport=1234, flags="RA", ack=99), "ack 99 is outside the probe's seq 100..101"),
        (TCP(sport=80, dport=1234, flags="R", seq=5), ""),  # the probe had no ACK: any RST
        (TCP(sport=80, dport=1234, flags="S"), "neither ACK nor RST"),
        (TCP(sport=81, dport=1234, flags="SA", ack=101), "other TCP ports"),
    ],
)
def test_tcp_replies_must_fit_the_probes_sequence_space(reply: TCP, reason: str) -> None:
    probe = IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1234, dport=80, flags="S", seq=100)
    assert answers(IP(src="198.18.0.2", dst="198.18.0.1") / reply, probe) == reason


def test_data_and_fin_widen_the_sequence_space_a_reply_may_acknowledge() -> None:
    probe = (
        IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1, dport=2, flags="FPA", seq=2**32 - 2) / b"abc"
    )
    back = IP(src="198.18.0.2", dst="198.18.0.1")
    assert answers(back / TCP(sport=2, dport=1, flags="A", ack=2), probe) == ""  # 4 past seq, wrapped
    assert answers(back / TCP(sport=2, dport=1, flags="A", ack=3), probe) != ""
    rst = back / TCP(sport=2, dport=1, flags="R", seq=77)
    assert answers(rst, probe) == "a RST with seq 77, not the probe's ack 0"


UDP_PROBE = IP(src=A, dst=B) / UDP(sport=5000, dport=53) / b"query"
SCTP_PROBE = IP(src=A, dst=B) / SCTP(sport=5000, dport=80) / SCTPChunkInit(init_tag=1)


@pytest.mark.parametrize(
    ("probe", "reply", "reason"),
    [
        (UDP_PROBE, IP(src=B, dst=A) / UDP(sport=53, dport=5000), ""),
        (UDP_PROBE, IP(src=B, dst=A) / UDP(sport=53, dport=5001), "other UDP ports"),
        (UDP_PROBE, IP(src=C, dst=A) / UDP(sport=53, dport=5000), f"from {C}, the probe went to {B}"),
        (UDP_PROBE, IPv6(src="2001:db8::2", dst="2001:db8::1") / UDP(), "not the probe's IP version"),
        # an ICMP error answers the datagram it quotes, whoever sends it (a router on the way)
        (UDP_PROBE, IP(src=C, dst=A) / ICMP(type=3, code=3) / UDP_PROBE, ""),
        (
            UDP_PROBE,
            IP(src=C, dst=A) / ICMP(type=11) / (IP(src=A, dst=B) / UDP(sport=5000, dport=54)),
            "the quoted transport header differs",
        ),
        (
            UDP_PROBE,
            IP(src=C, dst=A) / ICMP(type=3) / (IP(src=A, dst=C) / UDP(sport=5000, dport=53)),
            "the ICMP error quotes another datagram",
        ),
        (SCTP_PROBE, IP(src=B, dst=A) / SCTP(sport=80, dport=5000) / SCTPChunkInitAck(), ""),
        (SCTP_PROBE, IP(src=B, dst=A) / SCTP(sport=81, dport=5000) / SCTPChunkAbort(), "other SCTP ports"),
        (SCTP_PROBE, IP(src=B, dst=A) / UDP(sport=80, dport=5000), "not SCTP"),
        (IP(src=A, dst=B) / ICMP(id=7, seq=1), IP(src=B, dst=A) / ICMP(type=0, id=7, seq=1), ""),
        (
            IP(src=A, dst=B) / ICMP(id=7, seq=1),
            IP(src=B, dst=A) / ICMP(type=0, id=7, seq=2),
            "another echo's id or seq",
        ),
        (
            IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=3, seq=9),
            IPv6(src="2001:db8::2", dst="2001:db8::1") / ICMPv6EchoReply(id=3, seq=9),
            "",
        ),
        (  # a solicitation goes to a multicast group: the advertisement's target decides
            IPv6(src="2001:db8::1", dst="ff02::1:ff00:2") / ICMPv6ND_NS(tgt="2001:db8::2"),
            IPv6(src="2001:db8::2", dst="2001:db8::1") / ICMPv6ND_NA(tgt="2001:db8::3"),
            "about another target",
        ),
    ],
)
def test_replies_match_by_protocol_and_say_why_not(probe: Layer, reply: Layer, reason: str) -> None:
    assert answers(reply, probe) == reason


def test_the_quoted_datagram_of_an_error_and_of_anything_else() -> None:
    error = IP(src=C, dst=A) / ICMP(type=3, code=3) / UDP_PROBE
    quoted = quoted_datagram(IP.decode(bytes(error)))
    assert quoted is not None and quoted[UDP].dport == 53
    assert quoted_datagram(IP(src=B, dst=A) / ICMP(type=0)) is None


def test_arp_replies_answer_the_address_asked_about() -> None:
    ask = ARP(op=1, psrc=A, pdst=B)
    assert answers_frame(ARP(op=2, psrc=B, pdst=A), ask) == ""
    assert answers_frame(ARP(op=2, psrc=C, pdst=A), ask) == f"about {C}, not {B}"
    assert answers_frame(ARP(op=1, psrc=B, pdst=A), ask) == "not an ARP reply"


@pytest.mark.parametrize(
    ("probe", "quoted", "reason"),
    [
        (IP(src=A, dst=B, proto=253), IP(src=A, dst=B, proto=253), ""),
        (
            IP(src=A, dst=B, proto=6),
            IP(src=A, dst=B, proto=253),
            "the ICMP error quotes protocol 253, the probe is 6",
        ),
        (
            IP(src=A, dst=B, id=7) / UDP(dport=53),
            IP(src=A, dst=B, id=8) / UDP(dport=53),
            "the ICMP error quotes IP id 8, the probe has 7",
        ),
        (
            IP(src=A, dst=B, id=0) / UDP(dport=53),
            IP(src=A, dst=B, id=8) / UDP(dport=53),
            "",
        ),  # id 0: the kernel's
        (
            IPv6(src="2001:db8::1", dst="2001:db8::2", nh=253),
            IPv6(src="2001:db8::1", dst="2001:db8::2", nh=254),
            "the ICMP error quotes next header 254, the probe has 253",
        ),
    ],
)
def test_an_icmp_error_quotes_the_probes_protocol_and_id(probe: Layer, quoted: Layer, reason: str) -> None:
    back = IPv6(src="2001:db8::3", dst="2001:db8::1") if IPv6 in probe else IP(src=C, dst=A)
    error = back / (ICMP(type=3, code=2) if IP in probe else ICMPv6DestUnreach(code=4))
    reply = type(back).decode(bytes(error / quoted))
    assert answers(reply, probe) == reason
    if not reason:
        assert probe_key(probe) in reply_keys(reply)


@pytest.mark.parametrize(
    ("probe", "reply"),
    [
        (UDP_PROBE, IP(src=B, dst=A) / UDP(sport=53, dport=5000)),
        (UDP_PROBE, IP(src=C, dst=A) / ICMP(type=3, code=3) / bytes(UDP_PROBE)[:28]),  # an 8-byte quote
        (IP(src=A, dst=B) / ICMP(id=7, seq=1), IP(src=B, dst=A) / ICMP(type=0, id=7, seq=1)),
        (
            IP(src=A, dst=B) / ICMP(id=7, seq=1),
            IP(src=C, dst=A) / ICMP(type=11) / bytes(IP(src=A, dst=B) / ICMP(id=7, seq=1)),
        ),
        (
            IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / TCP(sport=1, dport=2, seq=9),
            IPv6(src="2001:db8::2", dst="2001:db8::1") / TCP(sport=2, dport=1, flags="RA", ack=10),
        ),
        (
            IPv6(src="2001:db8::1", dst="ff02::1:ff00:2") / ICMPv6ND_NS(tgt="2001:db8::2"),
            IPv6(src="2001:db8::2", dst="2001:db8::1") / ICMPv6ND_NA(tgt="2001:db8::2"),
        ),
        (ARP(op=1, psrc=A, pdst=B), ARP(op=2, psrc=B, pdst=A)),
        (SCTP_PROBE, IP(src=B, dst=A) / SCTP(sport=80, dport=5000) / SCTPChunkInitAck()),
        (SCTP_PROBE, IP(src=B, dst=A) / SCTP(sport=80, dport=5000) / SCTPChunkAbort(TCB=1)),
        (SCTP_PROBE, IP(src=C, dst=A) / ICMP(type=3, code=2) / bytes(SCTP_PROBE)[:28]),  # an 8-byte quote
    ],
)
def test_a_reply_shares_the_bucket_of_the_probe_it_answers(probe: Layer, reply: Layer) -> None:
    decoded = type(reply).decode(bytes(reply))  # (as received: quotes decoded from bytes)
    assert answers_frame(decoded, probe) == ""
    assert probe_key(probe) is not None and probe_key(probe) in reply_keys(decoded)


def test_fragment_key_names_the_datagram_of_a_fragment_only() -> None:
    from rawnet import IPv6ExtHdrFragment, fragment

    pieces = fragment(IP(src="198.18.1.2", dst="198.18.1.1", id=7) / ICMP(type=0) / bytes(100), 48)
    keys = {fragment_key(IP(bytes(piece))) for piece in pieces}
    assert keys == {("ipv4", "198.18.1.2", "198.18.1.1", 1, 7)}
    assert fragment_key(IP(bytes(IP(src="198.18.1.2", dst="198.18.1.1") / ICMP()))) is None
    six = IPv6(src="2001:db8:1::2", dst="2001:db8:1::1") / IPv6ExtHdrFragment(id=99, m=1) / bytes(16)
    assert fragment_key(IPv6(bytes(six))) == ("ipv6", "2001:db8:1::2", "2001:db8:1::1", 99)
    assert fragment_key(IPv6(bytes(IPv6(dst="2001:db8:1::1") / ICMPv6EchoReply()))) is None


def test_a_broadcast_probe_is_answered_from_any_source_only_when_asked() -> None:
    probe = IP(src="198.18.1.1", dst="198.18.1.255") / ICMP(id=1, seq=2)
    reply = IP(src="198.18.1.2", dst="198.18.1.1") / ICMP(type=0, id=1, seq=2)
    assert answers(reply, probe) == "from 198.18.1.2, the probe went to 198.18.1.255"
    assert answers(reply, probe, any_source=True) == ""


# -- keys read from bytes (a flood's fast path) ------------------------------------------------------
V6A, V6B = "2001:db8::1", "2001:db8::2"


@pytest.mark.parametrize(
    "probe",
    [
        IP(src=A, dst=B, id=0) / ICMP(id=7, seq=65535) / bytes(56),
        IP(src=A, dst=B, flags="DF", tos=0x10) / ICMP(id=0, seq=0),
        IPv6(src=V6A, dst=V6B) / ICMPv6EchoRequest(id=7, seq=9) / bytes(10),
    ],
)
def test_an_echo_requests_key_read_from_its_bytes_is_probe_key(probe: Layer) -> None:
    wire = bytes(probe)
    assert wire_probe_key(wire) == probe_key(probe) is not None
    assert ipaddress.ip_address(wire_destination(wire)) == ipaddress.ip_address(probe.dst)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "reply",
    [
        IP(src=B, dst=A) / ICMP(type=0, id=7, seq=1) / bytes(56),
        IP(src=B, dst=A, flags="DF") / ICMP(type=0, code=5, id=0xFFFF, seq=0),
        IPv6(src=V6B, dst=V6A) / ICMPv6EchoReply(id=7, seq=9) / b"rawnet",
    ],
)
def test_an_echo_replys_key_and_source_read_from_its_bytes_are_the_decoders(reply: Layer) -> None:
    for data in (bytes(reply), bytes(reply) + bytes(6)):  # (and with a link layer's padding after it)
        decoded = type(reply).decode(data, lenient=True)
        found = echo_reply_key(data)
        assert found is not None
        assert (found[0],) == reply_keys(decoded)
        assert ipaddress.ip_address(found[1]) == ipaddress.ip_address(decoded.src)  # type: ignore[attr-defined]


_REPLY = bytes(IP(src=B, dst=A, id=5) / ICMP(type=0, id=7, seq=1) / bytes(16))
_REPLY6 = bytes(IPv6(src=V6B, dst=V6A) / ICMPv6EchoReply(id=7, seq=9) / bytes(16))


@pytest.mark.parametrize(
    "data",
    [
        bytes(IP(src=B, dst=A, id=5, flags="MF") / ICMP(type=0, id=7, seq=1) / bytes(16)),  # a first fragment
        bytes(IP(src=B, dst=A, id=5, frag=3) / ICMP(type=0, id=7, seq=1) / bytes(16)),  # a later one
        bytes(IP(src=B, dst=A, options=[IPOption_NOP()] * 4) / ICMP(type=0, id=7, seq=1)),  # IHL 6
        bytes(IP(src=B, dst=A) / ICMP(type=8, id=7, seq=1)),  # a request
        bytes(IP(src=B, dst=A) / ICMP(type=3, code=3) / _REPLY[:28]),  # an error
        bytes(IP(src=B, dst=A) / UDP(sport=7, dport=7) / bytes(8)),
        _REPLY[:27],  # cut in the echo header
        _REPLY[:2] + (len(_REPLY) + 1).to_bytes(2, "big") + _REPLY[4:],  # a total length past the end
        _REPLY6[:47],
        bytes(IPv6(src=V6B, dst=V6A) / IPv6ExtHdrHopByHop() / ICMPv6EchoReply(id=7, seq=9)),
        bytes(IPv6(src=V6B, dst=V6A) / ICMPv6EchoRequest(id=7, seq=9)),
        _REPLY6[:4] + (len(_REPLY6) - 39).to_bytes(2, "big") + _REPLY6[6:],  # a payload length past the end
        b"",
    ],
)
def test_anything_else_is_left_to_the_decoders(data: bytes) -> None:
    assert echo_reply_key(data) is None
