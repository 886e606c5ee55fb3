"""Independent oracles for the tests: tshark and tcpdump, run on pcap files of rawnet's bytes.

Nothing here uses rawnet: frames go out as a classic pcap written with struct, and what
tshark or tcpdump says about them comes back as plain Python data.
"""

from __future__ import annotations

import json
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101  # raw IPv4/IPv6, no link header

_TSHARK_PREFS = [
    "-o", "ip.check_checksum:TRUE",
    "-o", "tcp.check_checksum:TRUE",
    "-o", "udp.check_checksum:TRUE",
    "-o", "sctp.checksum:CRC 32c",
]  # fmt: skip


def write_pcap(path: Path, frames: Iterable[bytes], linktype: int = LINKTYPE_ETHERNET) -> None:
    """A little-endian, microsecond pcap of ``frames``, one second apart."""
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for number, frame in enumerate(frames):
            out.write(struct.pack("<IIII", 1_700_000_000 + number, 0, len(frame), len(frame)))
            out.write(frame)


def tshark_layers(frames: Sequence[bytes], linktype: int = LINKTYPE_ETHERNET) -> list[dict[str, Any]]:
    """tshark's dissection of each frame: the ``layers`` object of ``tshark -T json``.

    Checksum validation is on for IPv4, TCP, UDP and SCTP (CRC32c) (ICMP and ICMPv6 always validate);
    repeated fields are merged into lists (--no-duplicate-keys).
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "frames.pcap"
        write_pcap(path, frames, linktype)
        result = subprocess.run(
            ["tshark", "-n", "-r", str(path), "-T", "json", "--no-duplicate-keys", *_TSHARK_PREFS],
            capture_output=True,
            text=True,
            check=True,
        )
    packets = json.loads(result.stdout)
    assert len(packets) == len(frames), result.stderr
    return [packet["_source"]["layers"] for packet in packets]


def flatten(tree: Any) -> dict[str, list[str]]:
    """Every ``name: value`` leaf of a tshark JSON tree, values gathered in order of appearance."""
    out: dict[str, list[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str):
                    out.setdefault(key, []).append(value)
                elif isinstance(value, list) and all(isinstance(item, str) for item in value):
                    out.setdefault(key, []).extend(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(tree)
    return out


def tshark_fields(frames: Sequence[bytes], linktype: int = LINKTYPE_ETHERNET) -> list[dict[str, list[str]]]:
    """tshark's fields of each frame, flattened (see flatten)."""
    return [flatten(layers) for layers in tshark_layers(frames, linktype)]


def tcpdump_lines(frames: Sequence[bytes], linktype: int = LINKTYPE_ETHERNET, *options: str) -> list[str]:
    """tcpdump's one-line summary of each frame (``tcpdump -nn -t -r``)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "frames.pcap"
        write_pcap(path, frames, linktype)
        result = subprocess.run(
            ["tcpdump", "-nn", "-t", *options, "-r", str(path)], capture_output=True, text=True, check=True
        )
    return result.stdout.splitlines()
