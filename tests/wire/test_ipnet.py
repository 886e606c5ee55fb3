"""ipnet.py: the Solaris IPNET capture header (LINKTYPE_IPNET), checked against tshark and tcpdump,
on built frames and on tcpdump's capture of it."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet import ICMP, IP, IPNET, UDP, DecodeError, IPv6
from rawnet.cli.linkline import link_line
from rawnet.net.pcap import LINKTYPES, PcapReader
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

LINKTYPE_IPNET = 226
CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
FRAMES: list[Layer] = [
    IPNET(zsrc=7, ifindex=2) / IP(src="198.18.0.1", dst="198.18.0.2") / ICMP(),
    IPNET(zdst=0xFFFFFFFF) / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1029, dport=9),
    IPNET(family=9) / b"abc",
]


def test_build_and_decode() -> None:
    wire = bytes(FRAMES[0])
    assert wire[:24] == bytes.fromhex("010200000000001c00000002000000000000000700000000")
    assert bytes(FRAMES[1])[1] == 26 and LINKTYPES[IPNET] == LINKTYPE_IPNET
    for frame in FRAMES:
        decoded = IPNET.decode(bytes(frame))
        assert bytes(decoded) == bytes(frame) and type(decoded.payload) is type(frame.payload)


@needs_tshark
def test_tshark_reads_what_rawnet_builds() -> None:
    fields = tshark_fields([bytes(frame) for frame in FRAMES], LINKTYPE_IPNET)
    for frame, seen in zip(FRAMES, fields, strict=True):
        for name in ("version", "family", "htype", "pktlen", "ifindex", "grifindex", "zsrc", "zdst"):
            assert seen[f"ipnet.{name}"] == [str(getattr(IPNET.decode(bytes(frame)), name))]
    assert [f["frame.protocols"] for f in fields] == [["ipnet:ip:icmp"], ["ipnet:ipv6:udp"], ["ipnet"]]


@needs_tcpdump
def test_tcpdump_lines_of_built_frames() -> None:
    wires = [bytes(frame) for frame in FRAMES]
    plain = [line for line in tcpdump_lines(wires, LINKTYPE_IPNET) if line[0] != "\t"]
    assert plain == [IPNET.decode(wire).summary() for wire in wires]
    with_e = [line for line in tcpdump_lines(wires, LINKTYPE_IPNET, "-e") if line[0] != "\t"]
    assert with_e == [link_line(IPNET.decode(wire), len(wire)) for wire in wires]


def _installed(*options: str) -> list[str]:
    run = subprocess.run(
        ["tcpdump", "-n", *options, "-r", str(CORPUS / "e1000g.pcap")],
        capture_output=True,
        text=True,
        env=dict(os.environ, TZ="GMT0"),
        check=False,
    )
    return [line.split(" ", 1)[1] for line in run.stdout.splitlines() if line and not line[0].isspace()]


@needs_tcpdump
def test_corpus_lines_equal_tcpdump() -> None:
    packets = list(PcapReader(CORPUS / "e1000g.pcap"))
    assert [p.summary() for p in packets] == _installed()
    assert [link_line(p, p.wirelen) for p in packets] == _installed("-e")


@given(data=st.binary(max_size=60))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        IPNET.decode(data).summary()
    lenient = IPNET.decode(data, lenient=True)
    assert bytes(lenient) == data
    lenient.summary()
