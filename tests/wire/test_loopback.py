"""loopback.py: the BSD loopback link headers (DLT_NULL, DLT_LOOP), checked against tshark and
tcpdump, on built frames and on tcpdump's own captures of them."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet import IP, UDP, DecodeError, IPv6, Loopback, LoopbackOpenBSD, Raw
from rawnet.cli.linkline import link_line
from rawnet.net.pcap import LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPES, PcapReader, decode_link, wrpcap
from rawnet.wire.layer import Layer
from rawnet.wire.loopback import family
from tests.oracle import tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
#: tcpdump's captures with a DLT_NULL link type.
NULL_CAPTURES = (
    "ikev2four.pcap",
    "isakmp-identification-segfault.pcap",
    "quic_handshake_truncated.pcap",
    "tcp_rst_diag_payload-trunc.pcap",
    "ospf2-seg-fault-1.pcapng",
)

V4 = IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1029, dport=9) / b"loop"
V6 = IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1030, dport=9) / b"x"


def test_family_follows_the_payload_and_byte_order_the_link_type() -> None:
    assert bytes(Loopback() / V4)[:4] == b"\x02\0\0\0"  # host order (little-endian), as scapy's
    assert bytes(LoopbackOpenBSD() / V4)[:4] == b"\0\0\0\x02"  # network order
    assert bytes(Loopback() / IPv6())[:4] == b"\x18\0\0\0"  # AF_INET6 24 (tcpdump reads 24, 28, 30)
    assert bytes(Loopback() / b"data")[:4] == b"\x02\0\0\0"  # nothing announced: AF_INET, as scapy's
    assert (Loopback() / IPv6()).type == 24 and Loopback().type == 2
    assert bytes(Loopback(type=30) / IPv6())[:4] == b"\x1e\0\0\0"  # a family set is sent as set
    assert bytes(Loopback(type="IPv6_FreeBSD"))[:4] == b"\x1c\0\0\0"
    assert [bytes(p)[:4] for p in Loopback(type=(2, 3))] == [b"\x02\0\0\0", b"\x03\0\0\0"]


@pytest.mark.parametrize("cls", [Loopback, LoopbackOpenBSD])
@pytest.mark.parametrize("inner", [V4, V6], ids=["ipv4", "ipv6"])
def test_decodes_back(cls: type[Layer], inner: Layer) -> None:
    wire = bytes(cls() / inner)
    decoded = cls.decode(wire)
    assert type(decoded) is cls and bytes(decoded) == wire
    assert type(decoded.payload) is type(inner) and decoded.payload.summary() == inner.summary()


def test_other_byte_order_is_read_as_tcpdump_reads_it() -> None:
    # a DLT_NULL capture from a big-endian host: the family's upper half is set, so it is swapped
    swapped = Loopback.decode(b"\0\0\0\x02" + bytes(V4))
    assert swapped.type == 0x02000000 and family(swapped.type) == 2 and isinstance(swapped.payload, IP)
    assert isinstance(Loopback.decode(b"\x4d\0\0\0" + b"data").payload, Raw)  # an unknown family


def test_show_names_the_family() -> None:
    assert "IPv6 (24)" in Loopback(type=24).show(dump=True)
    assert "IPv4 (2)" in LoopbackOpenBSD(type=2).show(dump=True)


def test_pcap_link_types(tmp_path: Path) -> None:
    assert LINKTYPES[Loopback] == LINKTYPE_NULL and LINKTYPES[LoopbackOpenBSD] == LINKTYPE_LOOP
    for cls, linktype in ((Loopback, LINKTYPE_NULL), (LoopbackOpenBSD, LINKTYPE_LOOP)):
        path = tmp_path / f"{linktype}.pcap"
        wrpcap(path, [cls() / V4, cls() / V6])
        reader = PcapReader(path)
        packets = list(reader)
        assert reader.linktype == linktype
        assert [type(p) for p in packets] == [cls, cls] and bytes(packets[0]) == bytes(cls() / V4)
        assert type(decode_link(linktype, bytes(cls() / V6))[IPv6]) is IPv6


@needs_tshark
@pytest.mark.parametrize(("cls", "linktype"), [(Loopback, LINKTYPE_NULL), (LoopbackOpenBSD, LINKTYPE_LOOP)])
def test_tshark_reads_the_family(cls: type[Layer], linktype: int) -> None:
    frames = [bytes(cls() / V4), bytes(cls() / V6), bytes(cls(type=28) / V6), bytes(cls(type=77) / b"ab")]
    fields = tshark_fields(frames, linktype)
    assert [f["null.family"] for f in fields] == [["2"], ["24"], ["28"], ["77"]]
    assert [f["frame.protocols"] for f in fields][:2] == [["null:ip:udp:data"], ["null:ipv6:udp:data"]]
    assert not any("_ws.expert" in f for f in fields)
    assert [family(cls.decode(frame).type) for frame in frames] == [2, 24, 28, 77]


@needs_tcpdump
@pytest.mark.parametrize(("cls", "linktype"), [(Loopback, LINKTYPE_NULL), (LoopbackOpenBSD, LINKTYPE_LOOP)])
def test_tcpdump_lines(cls: type[Layer], linktype: int) -> None:
    packets = [cls() / V4, cls() / V6, cls(type=77) / b"abcd", cls(type=7) / b"\x81"]
    plain = [line for line in tcpdump_lines([bytes(p) for p in packets], linktype) if line[0] != "\t"]
    assert plain[:3] == [p.summary() for p in packets[:3]]
    with_e = [line for line in tcpdump_lines([bytes(p) for p in packets], linktype, "-e") if line[0] != "\t"]
    assert with_e[:3] == [link_line(p, len(bytes(p))) for p in packets[:3]]
    assert with_e[3].startswith(link_line(packets[3], 5))  # ISO: tcpdump's CLNP printer goes on


@needs_tcpdump
@given(
    number=st.sampled_from([2, 24, 28, 30, 0, 1, 99, 0x1000]),
    big=st.booleans(),
    ttl=st.integers(1, 255),
    data=st.binary(max_size=8),
)
def test_tcpdump_on_random_frames(number: int, big: bool, ttl: int, data: bytes) -> None:
    cls = LoopbackOpenBSD if big else Loopback
    inner = (
        IPv6(hlim=ttl) / UDP(sport=1029, dport=9) / data
        if number in (24, 28, 30)
        else IP(ttl=ttl) / UDP(sport=1029, dport=9) / data
    )
    packet = cls(type=number) / (inner if number in (2, 24, 28, 30) else Raw(data))
    wire = bytes(packet)
    linktype = LINKTYPE_LOOP if big else LINKTYPE_NULL
    lines = [line for line in tcpdump_lines([wire], linktype, "-e") if line[0] != "\t"]
    assert lines == [link_line(cls.decode(wire), len(wire))]


def _installed(capture: str, *options: str) -> list[str]:
    run = subprocess.run(
        ["tcpdump", "-n", *options, "-r", str(CORPUS / capture)],
        capture_output=True,
        text=True,
        errors="replace",
        env=dict(os.environ, TZ="GMT0"),
        check=False,
    )
    return [line.split(" ", 1)[1] for line in run.stdout.splitlines() if line and not line[0].isspace()]


@needs_tcpdump
@pytest.mark.parametrize("capture", NULL_CAPTURES)
def test_corpus_link_words_equal_tcpdump(capture: str) -> None:
    """On tcpdump's DLT_NULL captures: -e's link words ("AF IPv4 (2), length 408: ") and the IP
    addresses after them equal tcpdump's (what follows is the inner protocols')."""
    expected = _installed(capture, "-e")
    packets = list(PcapReader(CORPUS / capture))
    assert len(packets) == len(expected)
    for packet, line in zip(packets, expected, strict=True):
        mine = link_line(packet, packet.wirelen)
        head = line.split(": ", 1)[0]
        assert mine.split(": ", 1)[0] == head
        assert mine.split(":")[1].split(" >")[0] == line.split(":")[1].split(" >")[0]


@needs_tcpdump
def test_corpus_lines_equal_tcpdump() -> None:
    # (QUIC over UDP, which rawnet prints as tcpdump does: "UDP, length N")
    expected = _installed("quic_handshake_truncated.pcap")
    assert [packet.summary() for packet in PcapReader(CORPUS / "quic_handshake_truncated.pcap")] == expected


@given(data=st.binary(max_size=64))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for cls in (Loopback, LoopbackOpenBSD):
        with contextlib.suppress(DecodeError):
            cls.decode(data).summary()
        lenient = cls.decode(data, lenient=True)
        assert bytes(lenient) == data
        lenient.summary()
