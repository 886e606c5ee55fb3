"""dns.py: DNS messages over UDP and TCP, checked against scapy's bytes, tshark and tcpdump.

The golden bytes below are what scapy 2.8.0 builds for the same calls (``bytes(DNS(...))`` and
``bytes(DNS(...).compress())``); tshark decodes what rawnet builds, and tcpdump's lines on
tcpdump's own captures, on built messages and on mangled ones are rawnet's summary lines.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import (
    DNS,
    DNSQR,
    DNSRR,
    DNSRRCAA,
    DNSRRMX,
    DNSRROPT,
    DNSRRSOA,
    DNSRRSRV,
    DNSTCP,
    EDNS0TLV,
    ICMP,
    IP,
    TCP,
    UDP,
    BuildError,
    DecodeError,
    Ether,
    FieldValueError,
    IPv6,
    MalformedError,
    Raw,
    TruncatedError,
    Undecoded,
)
from rawnet.wire.dns import decode_name, encode_name
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields
from tests.wire.golden import assert_matches_tshark

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
SRC, DST = "198.18.0.1", "198.18.0.2"


def udp(message: Layer, sport: int = 40000, dport: int = 53) -> Layer:
    return (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src=SRC, dst=DST)
        / UDP(sport=sport, dport=dport)
        / message
    )


def response() -> DNS:
    return DNS(
        id=7,
        qr=1,
        aa=1,
        qd=[DNSQR(qname="example.com")],
        an=[
            DNSRR(rrname="example.com", ttl=60, rdata="93.184.216.34"),
            DNSRR(rrname="www.example.com", type="CNAME", rdata="example.com"),
            DNSRRMX(rrname="example.com", preference=10, exchange="mail.example.com"),
        ],
        ar=[DNSRROPT(rclass=1232, rdata=[EDNS0TLV(optcode=10, optdata=b"abcdefgh")])],
    )


# scapy 2.8.0: bytes(DNS(...)) and bytes(DNS(...).compress()) for response() written in scapy.
SCAPY_RESPONSE = bytes.fromhex(
    "000785000001000300000001076578616d706c6503636f6d0000010001076578616d706c6503636f6d0000010001"
    "0000003c00045db8d82203777777076578616d706c6503636f6d000005000100000000000d076578616d706c6503"
    "636f6d00076578616d706c6503636f6d00000f0001000000000014000a046d61696c076578616d706c6503636f6d"
    "0000002904d000008000000c000a00086162636465666768"
)
SCAPY_COMPRESSED = bytes.fromhex(
    "000785000001000300000001076578616d706c6503636f6d0000010001c00c000100010000003c00045db8d82203"
    "777777c00c00050001000000000002c00cc00c000f0001000000000009000a046d61696cc00c00002904d0000080"
    "00000c000a00086162636465666768"
)


# -- building, as scapy builds -------------------------------------------------------------------


def test_a_query_is_scapys_bytes() -> None:
    assert bytes(DNS(qd=DNSQR(qname="example.com"))).hex() == (
        "000001000001000000000000076578616d706c6503636f6d0000010001"
    )
    assert (
        bytes(DNS(qd=DNSQR(qname="a.b", qtype="AAAA"))).hex() == "0000010000010000000000000161016200001c0001"
    )
    assert bytes(DNS()) == bytes(DNS(qd=DNSQR(qname="www.example.com.")))  # scapy's default question


def test_a_response_is_scapys_bytes_and_compress_is_scapys_compression() -> None:
    assert bytes(response()) == SCAPY_RESPONSE
    assert bytes(response().compress()) == SCAPY_COMPRESSED


def test_over_tcp_the_length_comes_first_as_scapys_dnstcp() -> None:
    assert bytes(DNSTCP(qd=DNSQR(qname="a.b"))).hex() == "0015000001000001000000000000016101620000010001"
    assert bytes(DNSTCP(length=99, qd=[]))[:2] == b"\x00\x63"  # a length set is sent as set


def test_counts_are_computed_unless_set() -> None:
    message = DNS.decode(bytes(DNS(qd=[], an=[DNSRR(), DNSRR()])))
    assert (message.qdcount, message.ancount, message.nscount, message.arcount) == (0, 2, 0, 0)
    assert DNS(qd=[], an=[DNSRR(), DNSRR()], arcount=5).build()[10:12] == b"\x00\x05"


def test_decoding_gives_back_every_record_type() -> None:
    built = DNS(
        qr=1,
        qd=[DNSQR(qname="example.com", qtype="ALL", unicastresponse=1)],
        an=[
            DNSRR(rrname="example.com", type="A", rdata="1.2.3.4", cacheflush=1),
            DNSRR(rrname="example.com", type="AAAA", rdata="2001:db8::1"),
            DNSRR(rrname="example.com", type="NS", rdata="ns.example.com"),
            DNSRR(rrname="4.3.2.1.in-addr.arpa", type="PTR", rdata="example.com"),
            DNSRR(rrname="example.com", type="TXT", rdata=[b"v=spf1 -all", b""]),
            DNSRRMX(rrname="example.com", preference=10, exchange="mail.example.com"),
            DNSRRSRV(
                rrname="_sip._tcp.example.com", priority=1, weight=2, port=5060, target="sip.example.com"
            ),
            DNSRRCAA(rrname="example.com", flags=128, tag="issue", value="ca.example.net"),
            DNSRR(rrname="example.com", type=65280, rdata=b"\x01\x02\x03"),  # unknown: kept raw
        ],
        ns=[
            DNSRRSOA(rrname="example.com", mname="ns.example.com", rname="h.example.com", serial=9, minimum=4)
        ],
        ar=[DNSRROPT(rclass=1232, version=0, z=0, rdata=[EDNS0TLV(optcode=3, optdata=b"")])],
    )
    for message in (built, built.compress()):
        decoded = DNS.decode(bytes(message))
        for section in ("qd", "an", "ns", "ar"):
            assert [bytes(record) for record in getattr(decoded, section)] == [
                bytes(record) for record in getattr(built, section)
            ]
        for record, expected in zip(decoded.an, built.an, strict=True):
            assert type(record) is type(expected)
            assert record.rdata if isinstance(record, DNSRR) else True
        assert [record.rdata for record in decoded.an[:5]] == [
            "1.2.3.4",
            "2001:db8::1",
            b"ns.example.com.",
            b"example.com.",
            [b"v=spf1 -all", b""],
        ]
        assert decoded.an[-1].rdata == b"\x01\x02\x03"
        assert (decoded.an[7].flags, decoded.an[7].tag, decoded.an[7].value) == (
            128,
            b"issue",
            b"ca.example.net",
        )
        assert decoded.an[0].cacheflush == 1 and decoded.qd[0].unicastresponse == 1
        assert decoded.ar[0].rdata[0].optcode == 3


def test_a_decoded_message_builds_back_its_bytes_and_a_changed_one_anew() -> None:
    compressed = bytes(response().compress())
    decoded = DNS.decode(compressed)
    assert bytes(decoded) == compressed  # (its compressed names kept)
    changed = decoded.copy()
    changed.id = 9
    assert DNS.decode(bytes(changed)).an == decoded.an and bytes(changed)[:2] == b"\x00\x09"


def test_sections_are_read_as_copies() -> None:
    message = response()
    message.an[0].ttl = 1  # (a copy: the message does not change)
    assert message.an[0].ttl == 60


def test_bad_values_are_refused_when_given() -> None:
    with pytest.raises(FieldValueError):
        DNSQR(qname="a" * 64 + ".com")
    with pytest.raises(FieldValueError):
        DNSQR(qname="a..b")
    with pytest.raises(FieldValueError):
        DNS(an=[DNSQR()])  # a question is no resource record
    with pytest.raises(BuildError):
        bytes(DNSQR(qname=b"a" * 64))


def test_labels_holding_dots_come_back_escaped_and_build_back_the_same() -> None:
    wire = b"\x03a.b\x02\\c\x00"
    name, after = decode_name(wire, 0, 0, len(wire))
    assert (name, after) == (b"a\\.b.\\\\c.", len(wire))
    assert encode_name(name) == wire


def test_show_and_repr_list_the_records() -> None:
    text = response().show(dump=True)
    assert text is not None and "an        = [DNSRR(" in text and "DNSRRMX(" in text
    assert "qname=b'example.com.'" in repr(DNS.decode(SCAPY_RESPONSE))


def test_verify_finds_nothing_wrong_in_a_decoded_message() -> None:
    assert DNS.decode(SCAPY_RESPONSE).verify() == []


def test_an_answer_answers_its_query_as_in_scapy() -> None:
    query = IP(src=SRC, dst=DST) / UDP(sport=40000, dport=53) / DNS(id=7, qd=DNSQR(qname="example.com"))
    reply = IP(src=DST, dst=SRC) / UDP(sport=53, dport=40000) / response()
    assert reply.answers(query) and reply < query  # (scapy: a < b when a answers b)
    other = IP(src=DST, dst=SRC) / UDP(sport=53, dport=40000) / DNS(id=8, qr=1)
    assert not other.answers(query) and not query.answers(reply)
    assert reply.hashret() == query.hashret()


# -- bad input ---------------------------------------------------------------------------------

HEADER = bytes.fromhex("000001000001000000000000")


@pytest.mark.parametrize(
    ("body", "error", "reason"),
    [
        (b"\xc0\x0c\x00\x01\x00\x01", MalformedError, "compression pointer loop"),
        (b"\x01a\xc0\x0e\x00\x01\x00\x01", MalformedError, "compression pointer loop"),
        (b"\xc0\xff\x00\x01\x00\x01", MalformedError, "past the end"),
        (b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01", MalformedError, "over 63"),
        (b"\x80\x00\x00\x01\x00\x01", MalformedError, "over 63"),
        ((b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01", MalformedError, "over 255"),
        (b"\x05abc", TruncatedError, "label of 5 bytes"),
        (b"\x01a\x00\x00", TruncatedError, "question type and class"),
        (b"", TruncatedError, "qdcount 1"),
    ],
)
def test_each_check(body: bytes, error: type[DecodeError], reason: str) -> None:
    with pytest.raises(error, match=reason):
        DNS.decode(HEADER + body)


def test_a_short_header_and_short_rdata() -> None:
    with pytest.raises(TruncatedError, match="the header needs 12"):
        DNS.decode(b"\x00" * 11)
    answer = bytes.fromhex("000081000000000100000000") + b"\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x05\x01"
    with pytest.raises(TruncatedError, match="rdlength 5"):
        DNS.decode(answer)
    with pytest.raises(TruncatedError, match="length 100"):
        DNSTCP.decode(b"\x00\x64" + HEADER)


def test_a_pointer_chain_is_followed_once_per_target() -> None:
    # a chain of pointers, each to the one before, ends: bounded by the message's size
    message = bytearray(HEADER[:4] + b"\x00\x00" * 4 + b"\x01a\x00")
    target = 12
    for _ in range(200):
        at = len(message)
        message += bytes((0xC0 | target >> 8, target & 0xFF))
        target = at
    message = bytes(message)
    assert decode_name(message, len(message) - 2, 0, len(message)) == (b"a.", len(message))


def test_a_lenient_decode_keeps_the_records_read_and_the_rest_undecoded() -> None:
    bad = HEADER[:5] + b"\x02" + HEADER[6:] + b"\x01a\x00\x00\x01\x00\x01\xc0\x19\x00\x01\x00\x01"
    message = DNS.decode(bad, lenient=True)
    assert message.qd == [DNSQR(qname="a")] and isinstance(message.payload, Undecoded)
    assert "compression pointer" in message.payload.reason and bytes(message) == bad
    with pytest.raises(MalformedError):
        DNS.decode(bad)


def test_on_a_dns_port_bytes_that_are_no_message_stay_raw_as_in_scapy() -> None:
    bad = HEADER + b"\xc0\x0c\x00\x01\x00\x01"  # (a pointer loop)
    for data in (b"x", bad, b"not a DNS message at all"):
        for lenient in (False, True):
            packet = Ether.decode(bytes(udp(data)), lenient=lenient)
            assert type(packet[UDP].payload) is Raw and bytes(packet[UDP].payload) == data


def test_a_message_cut_by_the_capture_keeps_what_is_there() -> None:
    whole = bytes(udp(response()))
    packet = Ether.decode_captured(whole[:-20], len(whole))
    message = packet[DNS]
    assert message.qd == response().qd and len(message.an) == 3 and message.ar == []
    assert isinstance(message.payload, Undecoded)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for cls in (DNS, DNSTCP, DNSQR, DNSRR, EDNS0TLV):
        with contextlib.suppress(DecodeError):
            message = cls.decode(data)
            message.show(dump=True)
            bytes(message)
        lenient = Ether.decode(bytes(udp(data)), lenient=True)
        lenient.summary()
        assert bytes(lenient) == bytes(udp(data))


# -- tshark ---------------------------------------------------------------------------------


@needs_tshark
def test_tshark_reads_what_rawnet_builds() -> None:
    message = DNS(
        id=7,
        qr=1,
        aa=1,
        qd=[DNSQR(qname="example.com")],
        an=[
            DNSRR(rrname="example.com", ttl=60, rdata="93.184.216.34"),
            DNSRR(rrname="example.com", type="AAAA", rdata="2001:db8::1"),
            DNSRR(rrname="example.com", type="TXT", rdata=[b"v=spf1", b"x"]),
            DNSRRMX(rrname="example.com", preference=10, exchange="mail.example.com"),
            DNSRRSRV(
                rrname="_sip._tcp.example.com", priority=1, weight=2, port=5060, target="sip.example.com"
            ),
            DNSRRCAA(rrname="example.com", tag="issue", value="ca.example.net"),
        ],
        ns=[DNSRRSOA(rrname="example.com", mname="ns.example.com", rname="h.example.com", serial=2024)],
        ar=[DNSRROPT(rclass=1232, rdata=[EDNS0TLV(optcode=10, optdata=b"abcdefgh")])],
    )
    over_tcp = (
        Ether() / IP(src=SRC, dst=DST) / TCP(sport=53, dport=40000, flags="PA") / DNSTCP(id=8, qd=[DNSQR()])
    )
    plain, compressed, tcp = tshark_fields(
        [bytes(udp(message, 53, 40000)), bytes(udp(message.compress(), 53, 40000)), bytes(over_tcp)]
    )
    expected = {
        "dns.id": ["0x0007"],
        "dns.flags.response": ["1"],
        "dns.flags.authoritative": ["1"],
        "dns.count.queries": ["1"],
        "dns.count.answers": ["6"],
        "dns.count.auth_rr": ["1"],
        "dns.count.add_rr": ["1"],
        "dns.qry.name": ["example.com"],
        "dns.resp.type": ["1", "28", "16", "15", "33", "257", "6", "41"],
        "dns.resp.ttl": ["60", "0", "0", "0", "0", "0", "0"],
        "dns.a": ["93.184.216.34"],
        "dns.aaaa": ["2001:db8::1"],
        "dns.txt": ["v=spf1", "x"],
        "dns.mx.preference": ["10"],
        "dns.mx.mail_exchange": ["mail.example.com"],
        "dns.srv.port": ["5060"],
        "dns.srv.target": ["sip.example.com"],
        "dns.caa.tag": ["issue"],
        "dns.caa.value": ["ca.example.net"],
        "dns.soa.mname": ["ns.example.com"],
        "dns.soa.serial_number": ["2024"],
        "dns.rr.udp_payload_size": ["1232"],
        "dns.resp.z.do": ["1"],
        "dns.opt.code": ["10"],
        "dns.opt.len": ["8"],
    }
    for seen in (plain, compressed):
        assert_matches_tshark(expected, seen)
        assert not any("expert" in key for key in seen), seen
    assert_matches_tshark(
        {"dns.id": ["0x0008"], "dns.qry.name": ["www.example.com"], "dns.length": ["33"]}, tcp
    )


# -- tcpdump --------------------------------------------------------------------------------

#: tcpdump's own captures holding DNS (found with tcpdump -n: port 53 lines).
CAPTURES = [
    "dns-uri.pcap",
    "dns-zlip-2.pcap",
    "dns-zlip-3.pcap",
    "edns-opts.pcap",
    "dnssec.pcap",
    "LINKTYPE_IPV4.pcap",
    "LINKTYPE_IPV6.pcap",
    "LINKTYPE_RAW_ipv4.pcap",
    "LINKTYPE_RAW_ipv6.pcap",
    "ipv4_invalid_total_length.pcap",
    "time_2106_overflow.pcapng",
    "time_2107.pcapng",
]
_DNS_LINE = re.compile(r"\.53[ :]")


def _lines(command: list[str], capture: Path) -> list[str]:
    env = dict(os.environ, TZ="GMT0")
    run = subprocess.run([*command, "-r", str(capture)], capture_output=True, text=True, env=env, check=False)
    return [line for line in run.stdout.splitlines() if line and not line[0].isspace()]


@needs_tcpdump
@pytest.mark.parametrize("capture", CAPTURES)
def test_the_corpus_lines_are_tcpdumps(capture: str) -> None:
    path = CORPUS / capture
    theirs = _lines(["tcpdump", "-n"], path)
    ours = _lines([sys.executable, "-m", "rawnet", "sniff"], path)
    assert len(theirs) == len(ours)
    pairs = [(mine, line) for mine, line in zip(ours, theirs, strict=True) if _DNS_LINE.search(line)]
    assert pairs
    for mine, line in pairs:
        assert mine == line


@needs_tcpdump
def test_mdns_llmnr_and_tcp_lines_are_tcpdumps() -> None:
    question = [DNSQR(qname="a.local", unicastresponse=1), DNSQR(qname="b.local", qtype="PTR")]
    answers = [
        DNSRR(rrname="a.local", cacheflush=1, rdata="1.2.3.4"),
        DNSRR(rrname="x", type="TXT", rdata=[b"ab"]),
    ]
    packets = [
        udp(DNS(qd=question), 5353, 5353),
        udp(DNS(qr=1, qd=question[:1], an=answers), 5353, 5353),
        udp(DNS(qd=question), 5355, 5355),  # LLMNR: tcpdump leaves it as UDP
        udp(DNS(qr=1, qd=question[:1], an=answers), 53, 5353),
        Ether()
        / IP(src=SRC, dst=DST)
        / TCP(sport=40000, dport=53, flags="PA", ack=1)
        / DNSTCP(qd=question[:1]),
        Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=53, dport=9) / response().compress(),
    ]
    frames = [bytes(packet) for packet in packets]
    for frame, packet, line in zip(frames, packets, tcpdump_lines(frames), strict=True):
        assert Ether.decode(frame, lenient=True).summary() == line
        assert packet.summary() == line


def _record(rng: random.Random) -> DNSRR | DNSRRMX | DNSRRSOA | DNSRRSRV | DNSRROPT | DNSRRCAA:
    name = rng.choice(["example.com", "a.b.c", "x", ".", "_http._tcp.local"])
    kind = rng.choice(["A", "AAAA", "CNAME", "NS", "PTR", "MX", "TXT", "SOA", "SRV", "OPT", "CAA", "URI", 99])
    if kind == "A":
        return DNSRR(rrname=name, rdata="1.2.3.4", rclass=rng.choice([1, 3, 254]))
    if kind == "AAAA":
        return DNSRR(rrname=name, type="AAAA", rdata="2001:db8::1")
    if kind in ("CNAME", "NS", "PTR"):
        return DNSRR(rrname=name, type=kind, rdata=rng.choice(["example.com", "x"]))
    if kind == "MX":
        return DNSRRMX(rrname=name, preference=5, exchange="mail.example.com")
    if kind == "TXT":
        return DNSRR(rrname=name, type="TXT", rdata=[b"hello", b"a\x01b", b""])
    if kind == "SOA":
        return DNSRRSOA(rrname=name, mname="ns.example.com", rname="h.example.com", serial=7)
    if kind == "SRV":
        return DNSRRSRV(rrname=name, priority=1, weight=2, port=80, target="a.b.c")
    if kind == "OPT":
        code = rng.choice([3, 5, 8, 9, 10, 11, 12, 14, 99])
        data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 2, 4, 8, 16, 3])))
        return DNSRROPT(rclass=1232, extrcode=rng.choice([0, 1]), z=rng.choice([0, 0x8000]),
                        rdata=[EDNS0TLV(optcode=code, optdata=data)])  # fmt: skip
    if kind == "CAA":
        return DNSRRCAA(rrname=name, tag="issue", value="ca.example")
    return DNSRR(rrname=name, type=kind if kind != "URI" else 256, rdata=b"\x00\x01\x00\x02http://x")


def _message(rng: random.Random) -> DNS:
    flags = {name: rng.choice([0, 1]) for name in ("qr", "aa", "tc", "rd", "ra", "z", "ad", "cd")}
    questions = [
        DNSQR(qname=rng.choice(["example.com", "x", "."]), qtype=rng.choice([1, 28, 255, 12, 1234]),
              qclass=rng.choice([1, 3, 255]), unicastresponse=rng.choice([0, 1]))
        for _ in range(rng.choice([0, 1, 1, 2]))
    ]  # fmt: skip
    message = DNS(
        id=rng.randrange(65536),
        opcode=rng.choice([0, 1, 2, 4, 5]),
        rcode=rng.randrange(16),
        qd=questions,
        an=[_record(rng) for _ in range(rng.choice([0, 1, 2]))],
        ns=[_record(rng) for _ in range(rng.choice([0, 1]))],
        ar=[_record(rng) for _ in range(rng.choice([0, 1]))],
        **flags,
    )
    return message.compress() if rng.random() < 0.5 else message


@needs_tcpdump
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_random_messages_and_mangled_ones_print_as_tcpdump(seed: int) -> None:
    rng = random.Random(seed)
    frames = []
    for _ in range(20):
        data = bytearray(bytes(udp(_message(rng), 40000, rng.choice([53, 5353]))))
        for _ in range(rng.choice([0, 0, 1, 3])):  # (mangled: tcpdump's way with bad input too)
            data[rng.randrange(42, len(data))] = rng.randrange(256)
        frames.append(bytes(data))
    for frame, line in zip(frames, tcpdump_lines(frames), strict=True):
        packet = Ether.decode(frame, lenient=True)
        if DNS in packet:  # (mangled past reading: Raw, "UDP, length N", where tcpdump prints what it can)
            assert packet.summary() == line


@needs_tcpdump
def test_a_uri_record_shorter_than_its_fixed_part_prints_as_tcpdump() -> None:
    # tcpdump 4.99.3 prints priority and weight whatever the length says, then reads length - 4
    # unsigned: a length under 4 runs the target to the end of the capture (found by Hypothesis)
    header = bytes.fromhex("9a17820b000000020000000200") + bytes.fromhex("01000300c0000341")
    frames = [
        bytes(udp(header + size.to_bytes(2, "big") + bytes(size) + tail, 40000, 5353))
        for size in (0, 2, 3, 4, 5)
        for tail in (b"", b"\x03", b"\x03\x00\x2e", b"\x03\x00\x2e\x00", bytes(12), b"abc\x01\x02")
    ]
    for frame, line in zip(frames, tcpdump_lines(frames), strict=True):
        assert Ether.decode(frame, lenient=True).summary() == line


@needs_tcpdump
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_any_bytes_on_a_dns_port_print_as_tcpdump(seed: int) -> None:
    # a header, then bytes heavy in what names are made of (pointers, bit labels, reserved types)
    rng = random.Random(seed)
    pieces = [0, 0xC0, 0xC0, 1, 3, 0x41, 0x80, 63, 64, 0x2E]
    frames = []
    for _ in range(40):
        header = bytes(rng.randrange(256) for _ in range(4)) + bytes(
            (0, rng.randrange(3), 0, rng.randrange(3), 0, rng.randrange(2), 0, rng.randrange(3))
        )
        body = bytes(rng.choice([*pieces, rng.randrange(256)]) for _ in range(rng.randrange(60)))
        data = (header + body)[: rng.choice([0, 5, 11, 12, 200])]
        frames.append(bytes(udp(data, 40000, rng.choice([53, 5353]))))
    for frame, line in zip(frames, tcpdump_lines(frames), strict=True):
        assert Ether.decode(frame, lenient=True).summary() == line


@needs_tcpdump
def test_a_capture_cut_short_prints_as_tcpdump(tmp_path: Path) -> None:
    whole = bytes(udp(response().compress(), 53, 40000))
    frames = [whole[:cut] for cut in range(54, len(whole) + 1, 3)]  # (the header whole: 42 + 12)
    path = tmp_path / "cut.pcap"
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for number, frame in enumerate(frames):
            out.write(struct.pack("<IIII", number, 0, len(frame), len(whole)) + frame)
    theirs = _lines(["tcpdump", "-n", "-t"], path)
    assert len(theirs) == len(frames) and any(line.endswith(" [|domain]") for line in theirs)
    for frame, line in zip(frames, theirs, strict=True):
        assert Ether.decode_captured(frame, len(whole)).summary() == line


@needs_tcpdump
@pytest.mark.parametrize("verbose", ["-v", "-vv"])
@pytest.mark.parametrize("capture", ["edns-opts.pcap", "dnssec.pcap", "dns-uri.pcap"])
def test_the_corpus_verbose_lines_are_tcpdumps(capture: str, verbose: str) -> None:
    # (-v: the records' names; -vv: the sections q:, ns:, ar: and EDNS options, after the checksum)
    env = dict(os.environ, TZ="GMT0")
    path = str(CORPUS / capture)
    theirs = subprocess.run(["tcpdump", "-n", verbose, "-r", path], capture_output=True, text=True, env=env)
    ours = subprocess.run([sys.executable, "-m", "rawnet", "sniff", verbose, "-r", path], capture_output=True,
                          text=True, env=env)  # fmt: skip
    assert ours.stdout.splitlines() == theirs.stdout.splitlines()


@needs_tcpdump
@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_a_query_quoted_by_an_icmp_error_prints_as_tcpdump(verbose: int) -> None:
    query = bytes(
        IP(src=SRC, dst=DST) / UDP(sport=40000, dport=53) / DNS(id=7, qd=DNSQR(qname="example.com"))
    )
    frames = [
        bytes(Ether() / IP(src=DST, dst=SRC) / ICMP(type=3, code=3) / query[:cut])
        for cut in (len(query), 28 + 5, 28 + 12, 28 + 13, 28 + 20)
    ]
    options = ["-" + "v" * verbose] if verbose else []
    expected = "\n".join(tcpdump_lines(frames, 1, *options))
    assert "\n".join(Ether.decode(frame, lenient=True).summary(verbose) for frame in frames) == expected


@needs_tcpdump
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_dns_over_tcp_prints_as_tcpdump_whole_split_or_not_dns(seed: int) -> None:
    rng = random.Random(seed)
    frames = []
    for _ in range(40):
        message = bytes(_message(rng))
        data = rng.choice(
            [
                len(message).to_bytes(2, "big") + message,  # whole
                (len(message) + 50).to_bytes(2, "big") + message,  # the rest in a later segment
                len(message).to_bytes(2, "big") + message + b"xyz",  # another message begins
                bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))),  # not DNS
            ]
        )
        frames.append(bytes(Ether() / IP(src=SRC, dst=DST) / TCP(sport=40000, dport=53, flags="PA") / data))
    for frame, line in zip(frames, tcpdump_lines(frames), strict=True):
        ours = Ether.decode(frame, lenient=True).summary()
        assert re.sub(r"ack \d+", "", ours) == re.sub(r"ack \d+", "", line)  # (tcpdump's ack: relative)


def test_a_message_of_pointers_to_one_long_name_stays_bounded() -> None:
    # ~10800 questions, each a pointer to one 255-byte name: names are copied (scapy's form), so
    # memory grows with the records, never with what a length claims (measured: ~5 MB for 64 KB)
    name = (b"\x3f" + b"a" * 63) * 3 + b"\x3d" + b"a" * 61 + b"\x00"
    count = (65000 - 12 - len(name) - 4) // 6
    message = b"\x00\x00\x01\x00" + (count + 1).to_bytes(2, "big") + bytes(6) + name + b"\x00\x01\x00\x01"
    message += b"\xc0\x0c\x00\x01\x00\x01" * count
    tracemalloc.start()
    try:
        decoded = DNS.decode(message)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(decoded.qd) == count + 1 and decoded.qd[-1].qname == decoded.qd[0].qname
    assert peak < 200 * len(message), peak
