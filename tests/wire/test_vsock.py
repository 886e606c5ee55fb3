"""vsock.py: Linux vsock monitor headers (LINKTYPE_VSOCK), checked against tshark and tcpdump, on
built frames and on tcpdump's capture of them."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet import VSOCK, DecodeError, VirtioVSOCK
from rawnet.net.pcap import LINKTYPES, PcapReader
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

LINKTYPE_VSOCK = 271
CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
IDS = {"src_cid": 3, "dst_cid": 2, "src_port": 1024, "dst_port": 1234}
FRAMES: list[Layer] = [
    VSOCK(**IDS, op=1) / VirtioVSOCK(**IDS, op=1, buf_alloc=262144),
    VSOCK(**IDS, op=4) / VirtioVSOCK(**IDS, len=6, op=5, flags=3, fwd_cnt=9) / b"Hello\n",
    VSOCK(**IDS, op=2, transport=1, len=0),
    VSOCK(**IDS, op=9, transport=7, len=0),
]


def test_fields_are_little_endian() -> None:
    wire = bytes(FRAMES[0])
    assert wire[:8] == (3).to_bytes(8, "little") and wire[16:20] == (1024).to_bytes(4, "little")
    assert wire[24:32] == bytes.fromhex("010002002c000000")
    assert LINKTYPES[VSOCK] == LINKTYPE_VSOCK
    decoded = VSOCK.decode(bytes(FRAMES[1]))
    assert (decoded.src_cid, decoded.dst_port, decoded.op, decoded.transport) == (3, 1234, 4, 2)
    virtio = decoded[VirtioVSOCK]
    assert (virtio.len, virtio.op, virtio.flags, virtio.fwd_cnt) == (6, 5, 3, 9)
    assert bytes(virtio.payload or b"") == b"Hello\n"
    for frame in FRAMES:
        assert bytes(VSOCK.decode(bytes(frame))) == bytes(frame)
    assert "CONNECT (1)" in VSOCK(op=1).show(dump=True)


@needs_tshark
def test_tshark_reads_what_rawnet_builds() -> None:
    fields = tshark_fields([bytes(frame) for frame in FRAMES[:2]], LINKTYPE_VSOCK)
    for frame, seen in zip(FRAMES[:2], fields, strict=True):
        assert seen["vsock.src_cid"] == [str(frame.src_cid)] and seen["vsock.dst_port"] == [
            str(frame.dst_port)
        ]
        assert seen["vsock.op"] == [str(frame.op)] and seen["vsock.trans"] == [str(frame.transport)]
        assert seen["vsock.trans_len"] == ["44"]
        virtio = frame[VirtioVSOCK]
        assert seen["vsock.virtio.op"] == [str(virtio.op)] and seen["vsock.virtio.len"] == [str(virtio.len)]
        assert seen["vsock.virtio.buf_alloc"] == [str(virtio.buf_alloc)]
        assert seen["vsock.virtio.fwd_cnt"] == [str(virtio.fwd_cnt)]
    assert not any("_ws.expert" in f for f in fields)


@needs_tcpdump
@pytest.mark.parametrize("options", [(), ("-v",), ("-vv",)])
def test_tcpdump_lines_of_built_frames(options: tuple[str, ...]) -> None:
    wires = [bytes(frame) for frame in FRAMES]
    verbose = len(options[0]) - 1 if options else 0
    expected = "\n".join(VSOCK.decode(wire).summary(verbose) for wire in wires).split("\n")
    assert tcpdump_lines(wires, LINKTYPE_VSOCK, *options) == expected


@needs_tcpdump
@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_corpus_lines_equal_tcpdump(verbose: int) -> None:
    options = ["-" + "v" * verbose] if verbose else []
    run = subprocess.run(
        ["tcpdump", "-n", "-t", *options, "-r", str(CORPUS / "vsock-1.pcapng")],
        capture_output=True,
        text=True,
        env=dict(os.environ, TZ="GMT0"),
        check=False,
    )
    packets = PcapReader(CORPUS / "vsock-1.pcapng")
    assert run.stdout.splitlines() == "\n".join(p.summary(verbose) for p in packets).split("\n")


@given(data=st.binary(max_size=100))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        VSOCK.decode(data).summary()
    lenient = VSOCK.decode(data, lenient=True)
    assert bytes(lenient) == data
    lenient.summary(2)
