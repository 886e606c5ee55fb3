"""Linux cooked capture headers (SLL, SLL2), checked against tshark's dissection."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from rawnet import IP, UDP, CookedLinux, CookedLinux2
from rawnet.net.pcap import LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, PcapReader, wrpcap

DATAGRAM = IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1029, dport=9) / b"cooked"


def dissect(path: Path) -> dict[str, list[str]]:
    out = subprocess.run(
        [
            "tshark",
            "-n",
            "-o",
            "udp.check_checksum:TRUE",
            "-r",
            str(path),
            "-T",
            "json",
            "--no-duplicate-keys",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    layers = json.loads(out)[0]["_source"]["layers"]
    flat: dict[str, list[str]] = {}
    for name in ("sll", "ip", "udp"):
        for key, value in layers[name].items():
            if isinstance(value, str):
                flat.setdefault(key, []).append(value)
    return flat


def test_sll_build_and_decode_agree_with_tshark(tmp_path: Path) -> None:
    packet = CookedLinux(pkttype=4, src=b"\x02\0\0\0\0\x01") / DATAGRAM
    path = tmp_path / "sll.pcap"
    wrpcap(path, [packet], linktype=LINKTYPE_LINUX_SLL)
    fields = dissect(path)
    assert fields["sll.pkttype"] == ["4"] and fields["sll.etype"] == ["0x0800"]
    assert fields["sll.src.eth"] == ["02:00:00:00:00:01"] and fields["udp.checksum.status"] == ["1"]
    (decoded,) = PcapReader(path)
    assert isinstance(decoded, CookedLinux) and decoded.pkttype == 4 and decoded.proto == 0x0800
    assert bytes(decoded[UDP].payload or b"") == b"cooked" and bytes(decoded) == bytes(packet)


def test_sll2_build_and_decode_agree_with_tshark(tmp_path: Path) -> None:
    packet = CookedLinux2(ifindex=7, pkttype=0, src=b"\x02\0\0\0\0\x02") / DATAGRAM
    path = tmp_path / "sll2.pcap"
    wrpcap(path, [packet], linktype=LINKTYPE_LINUX_SLL2)
    fields = dissect(path)
    assert fields["sll.ifindex"] == ["7"] and fields["sll.etype"] == ["0x0800"]
    (decoded,) = PcapReader(path)
    assert isinstance(decoded, CookedLinux2) and decoded.ifindex == 7
    assert decoded[IP].src == "198.18.0.1" and bytes(decoded) == bytes(packet)
