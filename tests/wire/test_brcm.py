"""brcm.py: Broadcom switch tags (LINKTYPE_DSA_TAG_BRCM, _BRCM_PREPEND), checked against tcpdump on
built frames and on tcpdump's captures of them (tshark 4 reads neither link type)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import ARP, ICMP, IP, BRCMTag, BRCMTagPrepend, DecodeError, Ether
from rawnet.cli.linkline import link_line
from rawnet.net.pcap import LINKTYPES, PcapReader
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines

needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

LINKTYPE_BRCM, LINKTYPE_BRCM_PREPEND = 281, 282
CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
MACS = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
PING = IP(src="198.18.0.1", dst="198.18.0.2") / ICMP()
TAGS = (0x00000000, 0x00002005, 0x20000080, 0x208D01FF, 0x40000000, 0x00FF07FF)


def test_build_and_decode() -> None:
    wire = bytes(BRCMTag(**MACS, tag=0x20000080) / PING)
    assert wire[12:18] == bytes.fromhex("200000800800") and LINKTYPES[BRCMTag] == LINKTYPE_BRCM
    decoded = BRCMTag.decode(wire)
    assert decoded.tag == 0x20000080 and isinstance(decoded.payload, IP) and bytes(decoded) == wire
    prepended = bytes(BRCMTagPrepend(tag=0x2005) / Ether(**MACS) / PING)
    assert prepended[:4] == bytes.fromhex("00002005") and LINKTYPES[BRCMTagPrepend] == LINKTYPE_BRCM_PREPEND
    back = BRCMTagPrepend.decode(prepended)
    assert isinstance(back.payload, Ether) and back[IP].dst == "198.18.0.2" and bytes(back) == prepended


@needs_tcpdump
def test_tcpdump_lines_of_built_frames() -> None:
    frames: list[Layer] = [BRCMTag(**MACS, tag=tag) / PING for tag in TAGS]
    frames.append(BRCMTag(**MACS) / ARP(psrc="198.18.0.1", pdst="198.18.0.2"))
    wires = [bytes(frame) for frame in frames]
    assert tcpdump_lines(wires, LINKTYPE_BRCM) == [BRCMTag.decode(w).summary() for w in wires]
    assert tcpdump_lines(wires, LINKTYPE_BRCM, "-e") == [link_line(BRCMTag.decode(w), len(w)) for w in wires]
    prepended = [bytes(BRCMTagPrepend(tag=tag) / Ether(**MACS) / PING) for tag in TAGS]
    expected = [BRCMTagPrepend.decode(w).summary() for w in prepended]
    assert tcpdump_lines(prepended, LINKTYPE_BRCM_PREPEND) == expected
    expected = [link_line(BRCMTagPrepend.decode(w), len(w)) for w in prepended]
    assert tcpdump_lines(prepended, LINKTYPE_BRCM_PREPEND, "-e") == expected


@needs_tcpdump
@settings(max_examples=100, deadline=None)  # (tcpdump runs per example)
@given(tag=st.integers(0, 0xFFFFFFFF))
def test_tcpdump_on_random_tags(tag: int) -> None:
    wire = bytes(BRCMTag(**MACS, tag=tag) / PING)
    assert tcpdump_lines([wire], LINKTYPE_BRCM, "-e") == [link_line(BRCMTag.decode(wire), len(wire))]


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
@pytest.mark.parametrize("capture", ["brcm-tag.pcap", "brcm-tag-prepend.pcap"])
def test_corpus_link_words_equal_tcpdump(capture: str) -> None:
    """The tag's words and the addresses after them equal the installed tcpdump's (DHCP, which
    some of these frames carry, is another module's)."""
    packets = list(PcapReader(CORPUS / capture))
    for options, render in (((), lambda p: p.summary()), (("-e",), lambda p: link_line(p, p.wirelen))):
        expected = _installed(capture, *options)
        assert len(expected) == len(packets)
        for packet, line in zip(packets, expected, strict=True):
            mine = render(packet)
            if "BOOTP" in line:
                mine, line = mine.split(": ")[0], line.split(": ")[0]
            assert mine == line


@given(data=st.binary(max_size=60))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for cls in (BRCMTag, BRCMTagPrepend):
        with contextlib.suppress(DecodeError):
            cls.decode(data).summary()
        lenient = cls.decode(data, lenient=True)
        assert bytes(lenient) == data
        lenient.summary()
