"""dsa.py: Marvell DSA and EDSA tagged frames (LINKTYPE_DSA_TAG_DSA, _EDSA), checked against tshark
and tcpdump, on built frames and on tcpdump's captures of them."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import ARP, DSA, EDSA, ICMP, IP, DecodeError
from rawnet.cli.linkline import link_line
from rawnet.net.pcap import LINKTYPES, PcapReader
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

LINKTYPE_DSA, LINKTYPE_EDSA = 284, 285
CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
CAPTURES = ("dsa.pcap", "dsa-high-vid.pcap", "edsa.pcap")
MACS = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
PING = IP(src="198.18.0.1", dst="198.18.0.2") / ICMP()


def test_build_and_decode() -> None:
    wire = bytes(DSA(**MACS, mode=3, port=2, vid=1337) / PING)
    assert wire[12:18] == bytes.fromhex("c01005390800")
    edsa = bytes(EDSA(**MACS, mode=1, dev=3, port=4, tagged=1, pri=5) / PING)
    assert edsa[12:22] == bytes.fromhex("dada00006320a0000800")
    assert LINKTYPES[DSA] == LINKTYPE_DSA and LINKTYPES[EDSA] == LINKTYPE_EDSA
    decoded = DSA.decode(wire)
    assert (decoded.mode, decoded.port, decoded.vid, decoded.type) == (3, 2, 1337, 0x0800)
    assert isinstance(decoded.payload, IP) and bytes(decoded) == wire
    assert EDSA.decode(edsa).pri == 5 and bytes(EDSA.decode(edsa)) == edsa


@needs_tshark
def test_tshark_reads_the_frame_without_its_tag() -> None:
    # (tshark 4 does not read LINKTYPE 284 or 285: the frame around the tag is checked as Ethernet)
    frames = [bytes(DSA(**MACS, mode=mode, port=2, vid=7) / PING) for mode in range(4)]
    untagged = [frame[:12] + frame[16:] for frame in frames]
    fields = tshark_fields(untagged)
    assert [f["frame.protocols"] for f in fields] == [["eth:ethertype:ip:icmp"]] * 4
    assert [f["eth.src"] for f in fields] == [[MACS["src"]]] * 4
    assert not any("_ws.expert" in f for f in fields)


@needs_tcpdump
@pytest.mark.parametrize(("cls", "linktype"), [(DSA, LINKTYPE_DSA), (EDSA, LINKTYPE_EDSA)])
def test_tcpdump_lines_of_built_frames(cls: type[Layer], linktype: int) -> None:
    frames = [
        cls(**MACS, mode=mode, dev=1, port=port, b18=b18, b17=1, b12=b18, cfi=b18, tagged=b18, pri=6, vid=42)
        / PING
        for mode in range(4)
        for port, b18 in ((3, 0), (30, 1))
    ] + [cls(**MACS) / ARP(psrc="198.18.0.1", pdst="198.18.0.2")]
    wires = [bytes(frame) for frame in frames]
    assert tcpdump_lines(wires, linktype) == [cls.decode(wire).summary() for wire in wires]
    assert tcpdump_lines(wires, linktype, "-e") == [link_line(cls.decode(wire), len(wire)) for wire in wires]


@needs_tcpdump
@settings(max_examples=100, deadline=None)  # (tcpdump runs per example)
@given(tag=st.binary(min_size=4, max_size=4))
def test_tcpdump_on_random_tags(tag: bytes) -> None:
    wire = bytes(12) + tag + b"\x08\x00" + bytes(PING)
    assert tcpdump_lines([wire], LINKTYPE_DSA) == [DSA.decode(wire).summary()]
    assert tcpdump_lines([wire], LINKTYPE_DSA, "-e") == [link_line(DSA.decode(wire), len(wire))]


def _installed(capture: str, *options: str) -> list[str]:
    run = subprocess.run(
        ["tcpdump", "-n", *options, "-r", str(CORPUS / capture)],
        capture_output=True,
        text=True,
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


@given(data=st.binary(max_size=60))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for cls in (DSA, EDSA):
        with contextlib.suppress(DecodeError):
            cls.decode(data).summary()
        lenient = cls.decode(data, lenient=True)
        assert bytes(lenient) == data
        lenient.summary()
