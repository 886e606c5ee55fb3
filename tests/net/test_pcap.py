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

from rawnet import ARP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, IPv6, Layer, PacketList, Raw, SndRcvList
from rawnet.net.lab import Lab
from rawnet.net.pcap import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    LINKTYPE_IPV6,
    LINKTYPE_LINUX_SLL,
    LINKTYPE_LINUX_SLL2,
    LINKTYPE_RAW,
    LinkTypeError,
    PcapError,
    PcapReader,
    PcapWriter,
    Record,
    direction_of,
    flags_of,
    rdpcap,
    rotated_name,
    stamped,
    wrpcap,
)
from rawnet.wire.sll import CookedLinux, CookedLinux2

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
    back = list(PcapReader(path).records())
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
            records = list(reader.records())
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
        packets = rdpcap(path)  # the same records as packets, with their time and wire length
        assert [bytes(packet) for packet in packets] == [record.data for record in records], name
        assert [packet.time for packet in packets] == [float(stamp) for stamp in stamps], name
        assert [packet.wirelen for packet in packets] == [record.wirelen for record in records], name
        assert [type(packet) for packet in packets] == [CookedLinux2 if name == "any" else Ether] * 3
        assert {packet.sniffed_on for packet in packets} == {None}, name  # (no file here names one)


def test_big_endian_pcap_built_by_hand() -> None:
    frame = bytes(PACKETS[1])
    data = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    data += struct.pack(">IIII", 1_700_000_000, 250_000, len(frame), len(frame)) + frame
    (record,) = PcapReader(io.BytesIO(data)).records()
    assert record == Record(frame, 1_700_000_000_250_000_000, len(frame), LINKTYPE_ETHERNET)


def test_fcs_bits_of_the_link_type_are_left_out() -> None:
    # tcpdump's bootp_asan.pcap: link type 0x04000001, Ethernet with "FCS length present" (libpcap
    # LT_FCS_LENGTH_PRESENT); LT_LINKTYPE keeps the low 26 bits
    frame = bytes(PACKETS[1])
    data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 0x04000001)
    data += struct.pack("<IIII", 1_700_000_000, 0, len(frame), len(frame)) + frame
    (record,) = PcapReader(io.BytesIO(data)).records()
    assert record.linktype == LINKTYPE_ETHERNET


def test_raw_ip_link_type(tmp_path: Path) -> None:
    path = tmp_path / "raw.pcap"
    packets = [
        IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1027, dport=9),
        IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1028, dport=9),
    ]
    wrpcap(path, packets, linktype=LINKTYPE_RAW)
    assert PcapReader(path).linktype == LINKTYPE_RAW
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
        list(PcapReader(path).records())


def test_not_a_capture_file(tmp_path: Path) -> None:
    path = tmp_path / "text.pcap"
    path.write_bytes(b"hello, world")
    with pytest.raises(PcapError, match=r"not a pcap or pcapng file .*: convert .* with `editcap"):
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
        count = sum(1 for _ in PcapReader(path).records())
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


# -- packets, as scapy's rdpcap / wrpcap / PcapReader / PcapWriter give and take them ----------
def tcpdump_link(path: Path) -> str:
    """The link type tcpdump names on its "reading from file" line."""
    out = subprocess.run(["tcpdump", "-nn", "-r", str(path)], capture_output=True, text=True, check=True)
    return out.stderr.split("link-type ")[1].split(",")[0]


IPV4 = IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1029, dport=9) / b"four"
IPV6 = IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1030, dport=9) / b"six"


@pytest.mark.parametrize(
    ("packets", "linktype", "named"),
    [
        (PACKETS, LINKTYPE_ETHERNET, "EN10MB (Ethernet)"),
        ([IPV4, IPV4], LINKTYPE_IPV4, "IPV4 (Raw IPv4)"),
        ([IPV6, IPV6], LINKTYPE_IPV6, "IPV6 (Raw IPv6)"),
        ([IPV4, IPV6], LINKTYPE_RAW, "RAW (Raw IP)"),  # IPv6 after IPv4: raw IP of either version
        ([IPV6, IPV4], LINKTYPE_RAW, "RAW (Raw IP)"),
        ([CookedLinux(pkttype=4) / IPV4], LINKTYPE_LINUX_SLL, "LINUX_SLL (Linux cooked v1)"),
        ([CookedLinux2(ifindex=1, pkttype=0) / IPV6], LINKTYPE_LINUX_SLL2, "LINUX_SLL2 (Linux cooked v2)"),
    ],
    ids=["ether", "ipv4", "ipv6", "ipv4-ipv6", "ipv6-ipv4", "sll", "sll2"],
)
def test_wrpcap_takes_the_link_type_from_the_first_packet(
    tmp_path: Path, packets: list[Layer], linktype: int, named: str
) -> None:
    # Before, every file was Ethernet: tcpdump showed IP packets as garbage.
    path = tmp_path / "out.pcap"
    wrpcap(path, packets)
    assert PcapReader(path).linktype == linktype
    assert tcpdump_link(path) == named
    back = rdpcap(path)
    assert [bytes(packet) for packet in back] == [bytes(packet) for packet in packets]
    assert [type(packet) for packet in back] == [type(packet) for packet in packets]
    lines = tcpdump_read(path)  # (cooked: tcpdump puts an interface and a direction first)
    assert len(lines) == len(back)
    for line, packet in zip(lines, back, strict=True):
        assert line.endswith(packet.summary()), line


def test_tcpdump_reads_ip_packets_wrpcap_wrote_as_ip(tmp_path: Path) -> None:
    path = tmp_path / "ip.pcap"
    wrpcap(path, [IPV4, IPV6])
    assert tcpdump_read(path) == [
        "IP 198.18.0.1.1029 > 198.18.0.2.9: UDP, length 4",
        "IP6 2001:db8::1.1030 > 2001:db8::2.9: UDP, length 3",
    ]
    layers = tshark_json(path, "ip.src", "ipv6.src", "udp.length")
    assert [layers[0]["ip.src"], layers[1]["ipv6.src"]] == [["198.18.0.1"], ["2001:db8::1"]]


def test_rdpcap_gives_a_packet_list_of_decoded_packets_with_their_metadata(tmp_path: Path) -> None:
    path = tmp_path / "list.pcap"
    with PcapWriter(path) as writer:
        for packet, stamp in zip(PACKETS, STAMPS, strict=True):
            writer.write(packet, stamp, wirelen=len(packet) + 100)  # as if cut to a snap length
    packets = rdpcap(path)
    assert isinstance(packets, PacketList) and packets.listname == "list.pcap"
    assert repr(packets) == "<list.pcap: TCP:1 UDP:1 ICMP:0 Other:2>"
    assert [type(packet) for packet in packets] == [Ether] * 4
    assert [packet.time for packet in packets] == pytest.approx(STAMPS, abs=1e-6)
    assert [packet.wirelen for packet in packets] == [len(packet) + 100 for packet in PACKETS]
    assert [packet.sniffed_on for packet in packets] == [None] * 4  # pcap records no interface
    assert len(packets[UDP]) == 1 and packets[UDP][0][UDP].payload is not None
    assert bytes(packets[0]) == bytes(PACKETS[0])
    packets[1][IP].src = "198.18.9.9"  # each packet decoded once: a change sticks
    assert packets[1][IP].src == "198.18.9.9"
    assert [len(rdpcap(path, count=n)) for n in (0, 2, 10)] == [0, 2, 4]
    seen = tshark_json(path, "frame.len", "frame.cap_len")
    assert [(int(layers["frame.len"][0]), int(layers["frame.cap_len"][0])) for layers in seen] == [
        (len(packet) + 100, len(packet)) for packet in PACKETS
    ]


def test_wrpcap_writes_each_packets_own_time_and_wire_length(tmp_path: Path) -> None:
    path, again = tmp_path / "times.pcap", tmp_path / "again.pcap"
    built = [packet.copy() for packet in PACKETS]
    for packet, stamp in zip(built, STAMPS, strict=True):
        packet.time = stamp
    built[2].wirelen = 1000
    before = time.time()
    wrpcap(path, [*built, PACKETS[0]])  # the last has no time: now
    seen = tshark_json(path, "frame.time_epoch", "frame.len")
    stamps = [float(layers["frame.time_epoch"][0]) for layers in seen]
    assert stamps[:4] == pytest.approx(STAMPS, abs=1e-6) and before <= stamps[4] <= time.time() + 1e-3
    assert [int(layers["frame.len"][0]) for layers in seen][2] == 1000
    wrpcap(again, rdpcap(path))  # wrpcap(f, rdpcap(g)): the same records
    assert [r.timestamp_ns for r in PcapReader(again).records()] == [
        r.timestamp_ns for r in PcapReader(path).records()
    ]
    assert again.read_bytes() == path.read_bytes()


def test_a_packet_a_pcap_file_cannot_hold_is_an_error_not_garbage(tmp_path: Path) -> None:
    with pytest.raises(LinkTypeError, match=r"packet 2 has link type 228, the file 1: .*\(pcapng=True\)"):
        wrpcap(tmp_path / "mixed.pcap", [PACKETS[0], IPV4])
    with pytest.raises(LinkTypeError, match=r"starting with ARP has no link type .* Ether\(\)/ARP"):
        wrpcap(tmp_path / "arp.pcap", [ARP()])
    with pytest.raises(LinkTypeError, match="link type 228, the file 1"):
        wrpcap(tmp_path / "forced.pcap", [IPV4], linktype=LINKTYPE_ETHERNET)
    wrpcap(tmp_path / "bytes.pcap", [bytes(PACKETS[0]), Raw(b"\x00" * 20)])  # bytes: as they are
    assert PcapReader(tmp_path / "bytes.pcap").linktype == LINKTYPE_ETHERNET
    wrpcap(tmp_path / "given.pcap", [ARP(psrc="198.18.0.1")], linktype=LINKTYPE_ETHERNET)  # the caller knows


def test_pcapng_keeps_interfaces_directions_and_link_types(tmp_path: Path) -> None:
    path = tmp_path / "named.pcapng"
    made = []
    for name, direction, packet in [
        ("veth0", 0, PACKETS[0]),
        ("veth0", 4, PACKETS[1]),
        ("lo", 1, PACKETS[2]),
        ("tun0", 0, IPV4),  # another link type: an interface block of its own
        (None, None, PACKETS[3]),
    ]:
        packet = packet.copy()
        packet.sniffed_on, packet.direction = name, direction
        made.append(packet)
    wrpcap(path, made, pcapng=True)
    seen = tshark_json(path, "frame.interface_name", "frame.packet_flags_direction", "frame.protocols")
    assert [layers.get("frame.interface_name", ["-"])[0] for layers in seen] == [
        "veth0",
        "veth0",
        "lo",
        "tun0",
        "unknown",
    ]
    # epb_flags: 1 inbound, 2 outbound; tshark names no direction for a packet without them
    assert [int(layers.get("frame.packet_flags_direction", ["0"])[0], 16) for layers in seen] == [
        1,
        2,
        1,
        1,
        0,
    ]
    assert "ip" in seen[3]["frame.protocols"][0] and "eth" not in seen[3]["frame.protocols"][0]
    back = rdpcap(path)
    assert [(p.sniffed_on, p.direction) for p in back] == [(p.sniffed_on, p.direction) for p in made]
    assert [bytes(p) for p in back] == [bytes(p) for p in made] and type(back[3]) is IP


def test_pcapng_directions_map_to_and_from_the_kernels_packet_types() -> None:
    for pkttype in range(5):
        assert direction_of(flags_of(pkttype)) == pkttype
    assert (direction_of(None), direction_of(0), direction_of(1), direction_of(2)) == (None, None, 0, 4)
    assert flags_of(None) is None and flags_of(7) is None


def test_interface_names_dumpcap_records_are_sniffed_on(tmp_path: Path) -> None:
    path = tmp_path / "dumpcap.pcapng"
    with Lab.pair() as lab:
        interface = lab["b"].interfaces["a"].name
        dump = lab.popen("b", ["dumpcap", "-q", "-i", interface, "-i", "lo", "-f", "udp", "-w", str(path)])
        time.sleep(1.0)
        with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"over veth", (lab["b"].ipv4, 9))
        with lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"over lo", ("127.0.0.1", 9))
        time.sleep(0.5)
        dump.terminate()
        dump.wait(5)
    got = {bytes(packet[UDP].payload or b""): packet.sniffed_on for packet in rdpcap(path) if UDP in packet}
    assert got == {b"over veth": interface, b"over lo": "lo"}


def test_pcap_reader_is_scapys_iterator(tmp_path: Path) -> None:
    path = tmp_path / "iter.pcap"
    wrpcap(path, PACKETS)
    with PcapReader(path) as reader:
        assert reader.linktype == LINKTYPE_ETHERNET and iter(reader) is reader
        first = reader.read_packet()
        second = next(reader)
        rest = list(reader)
        with pytest.raises(EOFError):
            reader.read_packet()
    assert [bytes(p) for p in [first, second, *rest]] == [bytes(p) for p in PACKETS]
    ng = tmp_path / "iter.pcapng"
    wrpcap(ng, [IPV4], pcapng=True)
    assert PcapReader(ng).linktype == LINKTYPE_IPV4  # known before the first packet is read


def test_appending_and_syncing(tmp_path: Path) -> None:
    path = tmp_path / "grow.pcap"
    wrpcap(path, PACKETS[:2])
    wrpcap(path, PACKETS[2:], append=True)
    assert len(tcpdump_read(path)) == 4 and [bytes(p) for p in rdpcap(path)] == [bytes(p) for p in PACKETS]
    with pytest.raises(LinkTypeError, match="holds link type 1, not 228"):
        PcapWriter(path, LINKTYPE_IPV4, append=True)
    ng = tmp_path / "grow.pcapng"
    wrpcap(ng, [IPV4], pcapng=True)
    wrpcap(ng, PACKETS[:1], append=True)  # pcapng: a second section
    assert [type(p) for p in rdpcap(ng)] == [IP, Ether]
    assert len(tshark_json(ng, "frame.len")) == 2
    synced = tmp_path / "sync.pcap"
    writer = PcapWriter(synced, sync=True)
    writer.write(PACKETS[0])
    assert tcpdump_read(synced) == [PACKETS[0].summary()]  # on disk before close
    writer.close()


def test_a_writer_takes_lists_pairs_and_packet_sets(tmp_path: Path) -> None:
    path = tmp_path / "sets.pcap"
    query = IP(src="198.18.0.1", dst="198.18.0.2") / TCP(sport=1031, dport=80, flags="S")
    query.sent_time = 1_700_000_100.0
    answer = IP(src="198.18.0.2", dst="198.18.0.1") / TCP(sport=80, dport=1031, flags="SA")
    answer.time = 1_700_000_100.25
    with PcapWriter(path) as writer:
        writer.write(IP(dst="198.18.0.2") / UDP(dport=[7, 9]))  # a set: one record per packet
        writer.write(SndRcvList([(query, answer)]))
        writer.write([bytes(IPV4)])
    lines = tcpdump_read(path)
    assert [line.split(": ")[0].split(" > ")[1] for line in lines] == [
        "198.18.0.2.7",
        "198.18.0.2.9",
        "198.18.0.2.80",
        "198.18.0.1.1031",
        "198.18.0.2.9",
    ]
    stamps = [record.timestamp_ns for record in PcapReader(path).records()][2:4]
    assert stamps == [1_700_000_100_000_000_000, 1_700_000_100_250_000_000]  # the query at its sent_time


def test_gzipped_files_are_read(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "zipped.pcap.gz"
    plain = tmp_path / "plain.pcap"
    wrpcap(plain, PACKETS)
    path.write_bytes(gzip.compress(plain.read_bytes()))
    assert [bytes(p) for p in rdpcap(path)] == [bytes(p) for p in PACKETS]


def test_receive_metadata_is_set_as_the_public_properties_read_it() -> None:
    packet = stamped(Ether(), 12.5, "veth0", 4, 99)
    assert (packet.time, packet.sniffed_on, packet.direction, packet.wirelen, packet.sent_time) == (
        12.5,
        "veth0",
        4,
        99,
        None,
    )
    copied = packet.copy()
    assert (copied.time, copied.sniffed_on, copied.direction, copied.wirelen) == (12.5, "veth0", 4, 99)


def test_the_header_says_scapys_snaplen_until_a_longer_packet_raises_it(tmp_path: Path) -> None:
    import scapy.all as scapy

    packets = [Ether() / IP(dst="198.18.0.2") / UDP() / b"x"]
    ours, theirs = tmp_path / "ours.pcap", tmp_path / "theirs.pcap"
    wrpcap(ours, packets)
    scapy.wrpcap(str(theirs), [scapy.Ether(bytes(packet)) for packet in packets])
    assert ours.read_bytes()[:24] == theirs.read_bytes()[:24]  # snaplen 65535, as scapy writes it
    big = tmp_path / "big.pcap"
    wrpcap(big, [*packets, Ether() / Raw(load=b"x" * 70000)])  # nothing is cut: the header grows
    assert struct.unpack("<I", big.read_bytes()[16:20]) == (262144,)
    assert [len(packet) for packet in rdpcap(big)] == [43, 70014]
    shown = subprocess.run(["tcpdump", "-r", str(big), "-n"], capture_output=True, text=True, check=True)
    assert "snapshot length 262144" in shown.stderr and len(shown.stdout.splitlines()) == 2


def test_rotated_names_are_tcpdumps() -> None:
    # tcpdump.c's MakeFilename: no number on the first file unless -W asks for digits; -G: strftime
    assert [rotated_name("trace", number, 0) for number in range(3)] == ["trace", "trace1", "trace2"]
    assert [rotated_name("trace", number, 2) for number in (0, 7, 11)] == ["trace00", "trace07", "trace11"]
    when = time.mktime((2024, 2, 3, 4, 5, 6, 0, 0, -1))
    assert rotated_name("t-%Y%m%d-%H%M%S.pcap", 0, 0, when) == "t-20240203-040506.pcap"
    assert rotated_name("t-%H", 3, 1, when) == "t-043"
