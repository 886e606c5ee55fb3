"""chdlc.py: Cisco HDLC (LINKTYPE_C_HDLC) and SLARP, checked against tshark and tcpdump, on built
frames and on tcpdump's own captures."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import CHDLC, IP, SLARP, UDP, DecodeError, IPv6, TruncatedError
from rawnet.cli.linkline import link_line
from rawnet.net.pcap import LINKTYPES, PcapReader, wrpcap
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

LINKTYPE_C_HDLC = 104
CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
CAPTURES = ("HDLC.pcap", "chdlc-slarp.pcap", "chdlc-slarp-short.pcap", "hoobr_chdlc_print.pcap")
V4 = IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1029, dport=9) / b"hdlc"
KEEPALIVE = CHDLC(address=0x8F) / SLARP(mysequence=5, yoursequence=2)
FRAMES: list[Layer] = [
    CHDLC() / V4,
    CHDLC() / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1029, dport=9),
    KEEPALIVE,
    KEEPALIVE / b"\x00\x00\x27\x10",  # a keepalive with its uptime (10 s)
    CHDLC() / SLARP(type=0),
    CHDLC() / SLARP(type=1, address="198.18.0.1", mask="255.255.255.252"),
    CHDLC() / SLARP(type=9),
    CHDLC(proto=0x3030) / b"??",
]


def test_build_and_decode() -> None:
    assert bytes(CHDLC() / V4)[:4] == b"\x0f\x00\x08\x00"
    assert bytes(KEEPALIVE) == bytes.fromhex("8f008035000000020000000500000002ffff")
    reply = bytes(CHDLC() / SLARP(type=1, address="198.18.0.1", mask="255.255.255.252"))
    assert reply[4:] == bytes.fromhex("00000001c6120001fffffffc0000")
    assert LINKTYPES[CHDLC] == LINKTYPE_C_HDLC
    decoded = CHDLC.decode(bytes(KEEPALIVE / b"\x00\x00\x27\x10"))
    slarp = decoded[SLARP]
    assert (slarp.type, slarp.mysequence, slarp.yoursequence, slarp.reliability) == (2, 5, 2, 0xFFFF)
    assert slarp.address is None and slarp.padding == b"\x00\x00\x27\x10"
    assert (
        CHDLC.decode(reply)[SLARP].address == "198.18.0.1" and CHDLC.decode(reply)[SLARP].mysequence is None
    )
    assert isinstance(CHDLC.decode(bytes(FRAMES[1])).payload, IPv6)
    for frame in FRAMES:
        assert bytes(CHDLC.decode(bytes(frame))) == bytes(frame)


def test_short_slarp_raises_decode_error() -> None:
    with pytest.raises(TruncatedError):
        SLARP.decode(bytes(12))
    with pytest.raises(TruncatedError):
        CHDLC.decode(b"\x0f\x00")


def test_pcap_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "hdlc.pcap"
    wrpcap(path, FRAMES[:3])
    reader = PcapReader(path)
    assert [bytes(p) for p in reader] == [bytes(f) for f in FRAMES[:3]] and reader.linktype == 104


@needs_tshark
def test_tshark_reads_what_rawnet_builds() -> None:
    fields = tshark_fields([bytes(frame) for frame in FRAMES[:6]], LINKTYPE_C_HDLC)
    assert [f["chdlc.protocol"] for f in fields] == [["0x0800"], ["0x86dd"]] + [["0x8035"]] * 4
    assert fields[0]["chdlc.address"] == ["0x0f"] and fields[2]["chdlc.address"] == ["0x8f"]
    assert fields[2]["slarp.ptype"] == ["2"] and fields[2]["slarp.mysequence"] == ["5"]
    assert fields[2]["slarp.yoursequence"] == ["2"]
    assert fields[5]["slarp.address"] == ["198.18.0.1"] and fields[5]["slarp.netmask"] == ["255.255.255.252"]
    assert not any("_ws.expert" in f for f in fields)


@needs_tcpdump
def test_tcpdump_lines_of_built_frames() -> None:
    wires = [bytes(frame) for frame in FRAMES]
    plain = [line for line in tcpdump_lines(wires, LINKTYPE_C_HDLC) if line[0] != "\t"]
    assert plain == [CHDLC.decode(wire).summary().split("\n")[0] for wire in wires]
    with_e = [line for line in tcpdump_lines(wires, LINKTYPE_C_HDLC, "-e") if line[0] != "\t"]
    assert with_e == [link_line(CHDLC.decode(wire), len(wire)).split("\n")[0] for wire in wires]
    verbose = tcpdump_lines(wires[2:7], LINKTYPE_C_HDLC, "-v")
    assert verbose == "\n".join(CHDLC.decode(w).summary(verbose=1) for w in wires[2:7]).split("\n")


@needs_tcpdump
@settings(max_examples=100, deadline=None)  # (tcpdump runs per example)
@given(code=st.integers(0, 3), body=st.binary(min_size=0, max_size=24))
def test_tcpdump_on_random_slarp(code: int, body: bytes) -> None:
    wire = b"\x0f\x00\x80\x35" + code.to_bytes(4, "big") + body
    assert tcpdump_lines([wire], LINKTYPE_C_HDLC) == CHDLC.decode(wire, lenient=True).summary().split("\n")


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
@pytest.mark.parametrize("capture", CAPTURES)
def test_corpus_lines_equal_tcpdump(capture: str) -> None:
    packets = list(PcapReader(CORPUS / capture))
    assert [p.summary() for p in packets] == _installed(capture)
    assert [link_line(p, p.wirelen) for p in packets] == _installed(capture, "-e")


@given(data=st.binary(max_size=40))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        CHDLC.decode(data).show(dump=True)
    lenient = CHDLC.decode(data, lenient=True)
    assert bytes(lenient) == data
    lenient.summary()
