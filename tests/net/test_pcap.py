"""pcap and pcapng files, read and written, checked with the real tcpdump, tshark and editcap."""

from __future__ import annotations

import io
import json
import socket
import struct
import subprocess
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest

from rawnet import ARP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, IPv6
from rawnet.net.lab import Lab
from rawnet.net.pcap import (
    LINKTYPE_ETHERNET,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_RAW,
    PcapError,
    PcapReader,
    PcapWriter,
    Record,
    rdpcap,
    wrpcap,
)
from rawnet.wire.sll import CookedLinux2

MACS = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
PACKETS = [
    Ether(**MACS) / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1025, dport=80, flags="S"),
    Ether(**MACS) / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1026, dport=9) / b"payload",
    Ether(**MACS) / ARP(hwsrc=MACS["src"], psrc="198.18.0.1", pdst="198.18.0.2"),
    Ether(**MACS) / IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=7, seq=1),
]
STAMPS = [1_700_000_000.123456, 1_700_000_001.5, 1_700_000_002.000001, 1_700_000_003.25]


def tshark_json(path: Path, *fields: str) -> list[dict[str, list[str]]]:
    args = ["tshark", "-n", "-r", str(path), "-T", "json"]
    for name in fields:
        args += ["-e", name]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [packet["_source"]["layers"] for packet in json.loads(out)]


def tcpdump_read(path: Path) -> list[str]:
    out = subprocess.run(
        ["tcpdump", "-nn", "-t", "-r", str(path)], capture_output=True, text=True, check=True
    )
    return out.stdout.splitlines()


@pytest.mark.parametrize("nanoseconds", [False, True], ids=["micro", "nano"])
@pytest.mark.parametrize("pcapng", [False, True], ids=["pcap", "pcapng"])
def test_files_rawnet_writes_read_right_in_tcpdump_and_tshark(
    tmp_path: Path, pcapng: bool, nanoseconds: bool
) -> None:
    path = tmp_path / "out"
    with PcapWriter(path, pcapng=pcapng, nanoseconds=nanoseconds) as writer:
        for packet, stamp in zip(PACKETS, STAMPS, strict=True):
            writer.write(packet, stamp)
    assert tcpdump_read(path) == [Ether.decode(bytes(packet)).summary() for packet in PACKETS]
    seen = tshark_json(path, "frame.time_epoch", "frame.len", "frame.protocols")
    assert len(seen) == len(PACKETS)
    for layers, packet, stamp in zip(seen, PACKETS, STAMPS, strict=True):
        assert int(layers["frame.len"][0]) == len(bytes(packet))
        assert abs(float(layers["frame.time_epoch"][0]) - stamp) < 1e-6
    back = list(PcapReader(path))
    assert [record.data for record in back] == [bytes(packet) for packet in PACKETS]
    # A float timestamp is good to ~240 ns at this epoch: compare to the microsecond.
    assert [round(record.timestamp_ns / 1000) for record in back] == [round(stamp * 1e6) for stamp in STAMPS]


def test_files_tcpdump_captures_are_read(tmp_path: Path) -> None:
    with Lab.pair() as lab:
        interface = lab["b"].interfaces["a"].name
        files = {
            "pcap": tmp_path / "micro.pcap",
            "nano": tmp_path / "nano.pcap",
            "any": tmp_path / "any.pcap",
        }
        # --immediate-mode: libpcap would otherwise hold packets for its block timeout;
        # -Z root: tcpdump writes into pytest's root-owned directory.
        tcpdump = ["tcpdump", "--immediate-mode", "-Z", "root", "-U"]
        captures = [
            lab.popen("b", [*tcpdump, "-i", interface, "-w", str(files["pcap"]), "udp port 9"]),
            lab.popen(
                "b",
                [
                    *tcpdump,
                    "-i",
                    interface,
                    "--time-stamp-precision=nano",
                    "-w",
                    str(files["nano"]),
                    "udp port 9",
                ],
            ),
            lab.popen("b", [*tcpdump, "-i", "any", "-w", str(files["any"]), "udp port 9"]),
        ]
        time.sleep(1.0)
        sender = lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM)
        with sender:
            for number in range(3):
                sender.sendto(b"capture %d" % number, (lab["b"].ipv4, 9))
        time.sleep(0.5)
        for capture in captures:
            capture.terminate()
            capture.wait(5)
    subprocess.run(
        ["editcap", "-F", "pcapng", str(files["pcap"]), str(tmp_path / "converted.pcapng")], check=True
    )
    files["pcapng"] = tmp_path / "converted.pcapng"
    for name, path in files.items():
        with PcapReader(path) as reader:
            records = list(reader)
        payloads = [record.packet[UDP].payload for record in records]
        assert [bytes(payload) for payload in payloads if payload is not None] == [
            b"capture 0",
            b"capture 1",
            b"capture 2",
        ], name
        if name == "any":
            assert records[0].linktype == LINKTYPE_LINUX_SLL2 and CookedLinux2 in records[0].packet
        else:
            assert records[0].linktype == LINKTYPE_ETHERNET
        stamps = [Decimal(layers["frame.time_epoch"][0]) for layers in tshark_json(path, "frame.time_epoch")]
        assert [record.timestamp_ns for record in records] == [int(stamp * 10**9) for stamp in stamps], name


def test_big_endian_pcap_built_by_hand() -> None:
    frame = bytes(PACKETS[1])
    data = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    data += struct.pack(">IIII", 1_700_000_000, 250_000, len(frame), len(frame)) + frame
    (record,) = PcapReader(io.BytesIO(data))
    assert record == Record(frame, 1_700_000_000_250_000_000, len(frame), LINKTYPE_ETHERNET)


def test_raw_ip_link_type(tmp_path: Path) -> None:
    path = tmp_path / "raw.pcap"
    packets = [
        IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1027, dport=9),
        IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1028, dport=9),
    ]
    wrpcap(path, packets, linktype=LINKTYPE_RAW)
    assert tcpdump_read(path) == [
        packet.summary() for packet in (IP.decode(bytes(packets[0])), IPv6.decode(bytes(packets[1])))
    ]
    assert [bytes(packet) for packet in rdpcap(path)] == [bytes(packet) for packet in packets]


@pytest.mark.parametrize("cut", [3, 10, 24 + 7, 24 + 16 + 5])
def test_a_truncated_file_is_a_clear_error(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.pcap"
    wrpcap(path, PACKETS[:1])
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(PcapError, match=r"cut.pcap at byte \d+: .* cut short"):
        list(PcapReader(path))


def test_not_a_capture_file(tmp_path: Path) -> None:
    path = tmp_path / "text.pcap"
    path.write_bytes(b"hello, world")
    with pytest.raises(PcapError, match="not a pcap or pcapng file"):
        PcapReader(path)
    with pytest.raises(PcapError, match="cannot open"):
        PcapReader(tmp_path / "missing.pcap")


def test_reading_streams(tmp_path: Path) -> None:
    path = tmp_path / "big.pcap"
    frame = bytes(PACKETS[1] / bytes(1000))
    with PcapWriter(path) as writer:
        for number in range(5000):
            writer.write(frame, 1_700_000_000 + number)
    tracemalloc.start()
    try:
        count = sum(1 for _ in PcapReader(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 5000 and path.stat().st_size > 5_000_000
    assert peak < 200_000  # a record at a time, never the ~5 MB file


def test_reading_capture_files_loads_no_netlink_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, rawnet; rawnet.PcapReader; from rawnet.net import rdpcap;"
        " print('pyroute2' in sys.modules)"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "False"
