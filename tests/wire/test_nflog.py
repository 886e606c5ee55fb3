"""nflog.py: Linux NFLOG records (LINKTYPE_NFLOG), checked against tshark and tcpdump, on built
records and on tcpdump's capture of them."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet import IP, NFLOG, UDP, DecodeError, IPv6, MalformedError, TruncatedError
from rawnet.cli.linkline import link_line
from rawnet.net.pcap import LINKTYPES, PcapReader
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

LINKTYPE_NFLOG = 239
CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
TLVS = [(1, b"\x08\x00\x01\x00"), (10, b"rawnet\x00")]  # packet header (hook 1), prefix
FRAMES: list[Layer] = [
    NFLOG(resource_id=20, tlvs=TLVS)
    / IP(src="198.18.0.1", dst="198.18.0.2")
    / UDP(sport=1029, dport=9)
    / b"x",
    NFLOG(resource_id=7) / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1029, dport=9),
    NFLOG(family=7) / b"data",
]


def test_build_and_decode() -> None:
    wire = bytes(FRAMES[0])
    assert wire[:4] == b"\x02\x00\x00\x14" and wire[4:12] == b"\x08\x00\x01\x00\x08\x00\x01\x00"
    assert wire[12:24] == b"\x0b\x00\x0a\x00rawnet\x00\x00"  # a value padded to 4 bytes
    assert wire[24:28] == (4 + 29).to_bytes(2, "little") + b"\x09\x00" and len(wire) % 4 == 0
    assert bytes(FRAMES[1])[0] == 10 and LINKTYPES[NFLOG] == LINKTYPE_NFLOG
    decoded = NFLOG.decode(wire)
    assert decoded.tlvs == TLVS and decoded.resource_id == 20 and isinstance(decoded.payload, IP)
    for frame in FRAMES:
        assert bytes(NFLOG.decode(bytes(frame))) == bytes(frame)


@pytest.mark.parametrize(
    ("wire", "error"),
    [
        (b"\x02\x00", TruncatedError),
        (b"\x02\x00\x00\x01", TruncatedError),  # no payload TLV
        (b"\x02\x00\x00\x01\x02\x00\x09\x00", MalformedError),  # a TLV shorter than its header
        (b"\x02\x00\x00\x01\x20\x00\x09\x00", TruncatedError),  # a TLV past the end
    ],
)
def test_bad_lengths_raise_decode_errors(wire: bytes, error: type[DecodeError]) -> None:
    with pytest.raises(error):
        NFLOG.decode(wire)


@needs_tshark
def test_tshark_reads_what_rawnet_builds() -> None:
    fields = tshark_fields([bytes(frame) for frame in FRAMES[:2]], LINKTYPE_NFLOG)
    assert [f["nflog.family"] for f in fields] == [["2"], ["10"]]
    assert [f["nflog.res_id"] for f in fields] == [["20"], ["7"]]
    assert fields[0]["nflog.prefix"] == ["rawnet"] and fields[0]["ip.dst"] == ["198.18.0.2"]
    assert not any("_ws.expert" in f for f in fields)


@needs_tcpdump
def test_tcpdump_lines_of_built_frames() -> None:
    wires = [bytes(frame) for frame in FRAMES]
    plain = [line for line in tcpdump_lines(wires, LINKTYPE_NFLOG) if line[0] != "\t"]
    assert plain == [NFLOG.decode(wire).summary() for wire in wires]
    with_e = [line for line in tcpdump_lines(wires, LINKTYPE_NFLOG, "-e") if line[0] != "\t"]
    assert with_e == [link_line(NFLOG.decode(wire), len(wire)) for wire in wires]


@needs_tcpdump
def test_corpus_link_words_equal_tcpdump() -> None:
    """nflog.pcap holds DNS answers: the words before them (and the addresses) are checked."""
    run = subprocess.run(
        ["tcpdump", "-n", "-t", "-e", "-r", str(CORPUS / "nflog.pcap")],
        capture_output=True,
        text=True,
        env=dict(os.environ, TZ="GMT0"),
        check=False,
    )
    mine = [link_line(p, p.wirelen) for p in PcapReader(CORPUS / "nflog.pcap")]
    expected = run.stdout.splitlines()
    assert len(mine) == len(expected) == 4
    for line, want in zip(mine, expected, strict=True):
        assert line.split(": ")[:2] == want.split(": ")[:2]


@given(data=st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        NFLOG.decode(data).summary()
    lenient = NFLOG.decode(data, lenient=True)
    assert bytes(lenient) == data
    lenient.summary()
