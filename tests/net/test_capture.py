"""Capture with kernel filters, checked against what was really sent inside a lab."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rawnet import IP, TCP, UDP, CookedLinux2, Dot1Q, Ether, Layer, PacketList
from rawnet.errors import InputError, InterfaceError
from rawnet.net.bpf import FilterError, compile_filter
from rawnet.net.capture import AsyncSniffer, ReceivedSniffer, set_receive_buffer, sniff
from rawnet.net.lab import Lab
from rawnet.net.pcap import LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, PcapReader, rdpcap, wrpcap
from rawnet.net.sockets import RawSocket
from tests.privilege import without
from tests.servers import Tun, tun


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        yield made


def send_mix(lab: Lab) -> None:
    """UDP to ports 9 and 10, and a TCP connection attempt, from a to b."""
    b = lab["b"].ipv4
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for port in (9, 10, 9, 10, 9):
            udp.sendto(b"port %d" % port, (b, port))
    with lab.socket("a", socket.AF_INET, socket.SOCK_STREAM) as tcp:
        tcp.settimeout(1)
        with contextlib.suppress(OSError):  # refused: a SYN and a RST went by
            tcp.connect((b, 5555))


def test_a_bad_filter_is_an_error_with_libpcaps_reason() -> None:
    with pytest.raises(FilterError, match="filter 'udp prt 9': can't parse filter expression: syntax error"):
        compile_filter("udp prt 9")
    assert compile_filter("udp port 9")[0] == (0x28, 0, 0, 12)  # ldh [12]: the EtherType


def payload(packet: Layer) -> bytes:
    return bytes(packet[UDP].payload or b"")


def test_the_kernel_filter_lets_exactly_the_matching_packets_through(lab: Lab) -> None:
    interface = lab["b"].interfaces["a"].name
    sniffer = AsyncSniffer(iface=interface, filter="udp dst port 9", timeout=3, netns=lab["b"].netns)
    sniffer.start()
    send_mix(lab)
    time.sleep(0.3)
    got = sniffer.stop()
    assert [payload(packet) for packet in got] == [b"port 9"] * 3
    assert all(packet[UDP].dport == 9 and packet.sniffed_on == interface for packet in got)


def test_start_returns_only_when_capturing(lab: Lab) -> None:
    # Sent the instant start() returns: a sniffer that was not capturing yet would miss it.
    for _ in range(5):
        sniffer = AsyncSniffer(count=1, filter="udp port 7777", timeout=2, netns=lab["b"].netns)
        sniffer.start()
        with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"first", (lab["b"].ipv4, 7777))
        got = sniffer.join()
        assert len(got) == 1 and payload(got[0]) == b"first"


def test_count_stop_filter_prn_and_store(lab: Lab) -> None:
    seen: list[int] = []
    sniffer = AsyncSniffer(
        filter="tcp port 5555",
        stop_filter=lambda packet: bool(packet[TCP].flags & 0x04),  # until the RST
        prn=lambda packet: seen.append(packet[TCP].sport),
        store=False,
        timeout=3,
        netns=lab["b"].netns,
    )
    sniffer.start()
    send_mix(lab)
    assert sniffer.join() == [] and sniffer.seen == len(seen) >= 2
    assert sniffer.drops == 0 and not sniffer.running


def later(lab: Lab, delay: float = 0.3) -> threading.Thread:
    """send_mix from a thread, after ``delay`` (for a sniff() in the foreground)."""

    def send() -> None:
        time.sleep(delay)
        send_mix(lab)

    sender = threading.Thread(target=send)
    sender.start()
    return sender


def test_sniff_returns_a_packet_list_after_count(lab: Lab) -> None:
    sender = later(lab)
    results = sniff(count=2, filter="udp", timeout=3, netns=lab["b"].netns)
    sender.join()
    assert isinstance(results, PacketList) and repr(results) == "<Sniffed: TCP:0 UDP:2 ICMP:0 Other:0>"
    assert len(results[UDP]) == 2 and all(isinstance(packet, CookedLinux2) for packet in results)
    results[0][IP].src = "198.18.99.99"  # decoded once: a change sticks
    assert results[0][IP].src == "198.18.99.99"


@pytest.mark.parametrize("store", [False, True])
def test_memory_stays_flat_unless_packets_are_stored(lab: Lab, store: bool) -> None:
    import tracemalloc

    a, b = lab["a"], lab["b"]
    frame = bytes(
        Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
        / IP(src=a.ipv4, dst=b.ipv4)
        / UDP(sport=40500, dport=9)
        / bytes(200)
    )
    sniffer = AsyncSniffer(
        iface=b.interfaces["a"].name,
        filter="udp port 40500",
        prn=lambda packet: None,
        store=store,
        netns=b.netns,
    )
    tracemalloc.start()
    try:
        sniffer.start()
        with RawSocket.l2(a.interfaces["b"].name, netns=a.netns) as sock:
            for sent in range(8000):
                sock.send(frame)
                while sniffer.seen < sent - 50:  # (within the socket buffer: nothing dropped)
                    time.sleep(0.0005)
        deadline = time.monotonic() + 5
        while sniffer.seen < 8000 and time.monotonic() < deadline:
            time.sleep(0.01)
        sniffer.stop()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sniffer.seen == 8000
    # 8000 stored packets of 242 bytes, decoded, take several MB; a streaming capture holds one.
    if store:
        assert len(sniffer.results) == 8000 and peak > 4_000_000
    else:
        assert sniffer.results == [] and peak < 1_000_000, peak


def test_stop_takes_the_packets_already_queued(lab: Lab) -> None:
    release = threading.Event()
    sniffer = AsyncSniffer(
        filter="udp port 7778", prn=lambda packet: release.wait(5) and None, netns=lab["b"].netns
    )
    sniffer.start()
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for number in range(20):
            udp.sendto(b"%d" % number, (lab["b"].ipv4, 7778))
    time.sleep(0.3)  # the kernel queues them while the sniffer is held in prn by the first one
    stopping = threading.Thread(target=sniffer.stop)
    stopping.start()
    time.sleep(0.05)
    release.set()
    stopping.join(5)
    assert [payload(packet) for packet in sniffer.results] == [b"%d" % n for n in range(20)]


def stop(dump: subprocess.Popen[str]) -> None:
    time.sleep(0.2)
    dump.terminate()
    dump.communicate(timeout=10)


def test_timestamps_are_the_kernels_as_tcpdump_sees_them(lab: Lab, tmp_path: Path) -> None:
    interface = lab["b"].interfaces["a"].name
    path = tmp_path / "stamps.pcap"
    options = ["--time-stamp-precision=nano", "-i", interface, "udp port 7779"]
    dump = lab.popen(
        "b",
        ["tcpdump", "--immediate-mode", "-U", "-Z", "root", *options[:3], "-w", str(path), options[3]],
        stderr=subprocess.PIPE,
    )
    assert dump.stderr is not None
    dump.stderr.readline()  # "listening on ...": capturing
    sniffer = AsyncSniffer(iface=interface, filter="udp port 7779", count=5, timeout=5, netns=lab["b"].netns)
    records = ReceivedSniffer(interface, "udp port 7779", count=5, timeout=5, netns=lab["b"].netns)
    sniffer.start()
    records.start()
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for number in range(5):
            udp.sendto(b"%d" % number, (lab["b"].ipv4, 7779))
            time.sleep(0.01)
    got, received = sniffer.join(), records.join()
    stop(dump)
    theirs = [record.timestamp_ns for record in PcapReader(path).records()]
    assert len(theirs) == 5
    assert [r.timestamp_ns for r in received] == theirs  # the same skb time, to the ns
    assert [packet.time for packet in got] == [ns / 10**9 for ns in theirs]  # pkt.time: the nearest float
    assert [packet.wirelen for packet in got] == [len(packet) for packet in got]
    assert {(packet.sniffed_on, packet.direction) for packet in got} == {(interface, 0)}  # PACKET_HOST


# -- several interfaces at once ---------------------------------------------------------------
def test_sniff_on_a_list_of_interfaces_names_where_each_packet_was_seen(lab: Lab, tmp_path: Path) -> None:
    # The kernel's own traffic is the oracle: a's datagram arrives on b's veth (to this host);
    # b's to itself goes out and comes back in on lo, seen twice there (outgoing, then host).
    veth = lab["b"].interfaces["a"].name
    sniffer = AsyncSniffer(iface=[veth, "lo"], filter="udp port 7780", timeout=5, netns=lab["b"].netns)
    sniffer.start()
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"over veth", (lab["b"].ipv4, 7780))
    with lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"over lo", ("127.0.0.1", 7780))
    deadline = time.monotonic() + 3
    while len(sniffer.results) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    got = sniffer.stop()
    assert sorted((payload(p), p.sniffed_on, p.direction) for p in got) == [
        (b"over lo", "lo", 0),
        (b"over lo", "lo", 4),
        (b"over veth", veth, 0),
    ]
    assert all(type(packet) is Ether for packet in got)
    path = tmp_path / "both.pcapng"
    wrpcap(path, got, pcapng=True)  # the interfaces and directions go to the file
    back = rdpcap(path)
    assert [(p.sniffed_on, p.direction, bytes(p)) for p in back] == [
        (p.sniffed_on, p.direction, bytes(p)) for p in got
    ]


def test_interfaces_of_different_link_types_each_decode_as_their_own(lab: Lab, tun0: Tun) -> None:
    veth = lab["b"].interfaces["a"].name
    sniffer = AsyncSniffer(
        iface={veth: "wire", "tun0": "tunnel"}, filter="udp port 7781", timeout=5, netns=lab["b"].netns
    )
    sniffer.start()
    tun0.inject(from_tun_peer(7781, b"through tun"))
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"through veth", (lab["b"].ipv4, 7781))
    deadline = time.monotonic() + 3
    while len(sniffer.results) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    got = sniffer.stop()
    assert sorted((payload(p), p.sniffed_on, type(p).__name__) for p in got) == [
        (b"through tun", "tunnel", "IP"),  # a link without header: from the IP header (raw IP)
        (b"through veth", "wire", "Ether"),
    ]
    with pytest.raises(InputError, match="different link types"):
        sniffer.linktype  # noqa: B018


# -- callbacks ----------------------------------------------------------------------------------
def test_an_exception_in_a_callback_ends_the_capture_and_reaches_the_caller(lab: Lab) -> None:
    class Boom(Exception):
        pass

    def explode(packet: Layer) -> None:
        raise Boom(payload(packet))

    sender = later(lab)
    with pytest.raises(Boom, match="port 9"):  # sniff(): raised from sniff, at the first packet
        sniff(filter="udp port 9", prn=explode, timeout=5, netns=lab["b"].netns)
    sender.join()
    for where in ("prn", "lfilter", "stop_filter"):
        sniffer = AsyncSniffer(filter="udp port 9", timeout=5, netns=lab["b"].netns, **{where: explode})
        sniffer.start()
        send_mix(lab)
        sniffer._thread.join(5)  # type: ignore[union-attr]  # (ended by itself, at the first packet)
        assert not sniffer.running and isinstance(sniffer.exception, Boom)
        with pytest.raises(Boom):
            sniffer.join()
        with pytest.raises(Boom):
            sniffer.stop()
        assert len(sniffer.results) == (0 if where == "lfilter" else 1)  # (stored before prn, as scapy)


def test_lfilter_prn_output_and_started_callback(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    def send_one() -> None:  # called once capturing: nothing sent here is missed
        with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for port in (9, 10, 9):
                udp.sendto(b"to %d" % port, (lab["b"].ipv4, port))

    got = sniff(
        count=2,
        filter="udp",
        lfilter=lambda packet: packet[UDP].dport == 9,
        prn=lambda packet: f"seen {payload(packet).decode()}",  # returned, so printed (scapy's habit)
        started_callback=send_one,
        timeout=5,
        netns=lab["b"].netns,
    )
    assert [payload(packet) for packet in got] == [b"to 9", b"to 9"]  # count counts what lfilter kept
    assert capsys.readouterr().out == "seen to 9\nseen to 9\n"


# -- offline ------------------------------------------------------------------------------------
def test_offline_reads_files_and_packets_as_scapy(tmp_path: Path) -> None:
    udp = [
        Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=5, dport=port) / b"x" for port in (9, 10)
    ]
    first, second = tmp_path / "first.pcap", tmp_path / "second.pcap"
    wrpcap(first, udp)
    wrpcap(second, [IP(src="198.18.0.3", dst="198.18.0.4") / UDP(sport=6, dport=9)])
    got = sniff(offline=str(first))
    assert [p[UDP].dport for p in got] == [9, 10] and {p.sniffed_on for p in got} == {str(first)}
    got = sniff(offline=[str(first), str(second)], filter="udp dst port 9")  # libpcap, per link type
    assert [(type(p).__name__, p.sniffed_on) for p in got] == [("Ether", str(first)), ("IP", str(second))]
    got = sniff(offline={str(second): "tunnel"})
    assert got[0].sniffed_on == "tunnel"
    built = IP(dst="198.18.0.2") / UDP(dport=[7, 9])  # packets: decoded again, as a capture shows them
    got = sniff(offline=built, prn=lambda packet: None, count=1)
    assert len(got) == 1 and got[0][IP].chksum is not None and got[0].time is not None
    sniffer = AsyncSniffer(offline=first, started_callback=lambda: None)  # in a thread, as well
    sniffer.start()
    assert [p[UDP].dport for p in sniffer.join()] == [9, 10] and not sniffer.running
    got = sniff(offline=rdpcap(first), filter="udp port 10", timeout=5)
    assert [p[UDP].dport for p in got] == [10] and got[0].time == rdpcap(first)[1].time


# -- errors, and scapy's arguments ---------------------------------------------------------------
def test_errors_name_the_fix(lab: Lab) -> None:
    with pytest.raises(InterfaceError, match=r"no interface named 'nosuch0' in namespace .*: see `ip link`"):
        sniff(iface="nosuch0", timeout=0.1, netns=lab["b"].netns)
    with pytest.raises(InterfaceError):  # one of a list: the others are closed again
        sniff(iface=["lo", "nosuch0"], timeout=0.1, netns=lab["b"].netns)
    with pytest.raises(InputError, match="L2socket= is not supported"):
        sniff(L2socket=object())
    with pytest.raises(InputError, match="session= is not supported"):
        AsyncSniffer(session=object())
    with pytest.raises(TypeError, match="ifcae"):
        sniff(ifcae="lo")  # type: ignore[call-arg]  # (explicit parameters: mypy sees the typo too)
    with pytest.raises(FilterError):
        sniff(iface="lo", filter="udp prt 9", timeout=0.1, netns=lab["b"].netns)


def test_without_cap_net_raw_sniff_says_so() -> None:
    code = "from rawnet import sniff; sniff(iface='lo', count=1, timeout=0.1)"
    done = subprocess.run(without("net_raw", [sys.executable, "-c", code]), capture_output=True, text=True)
    assert done.returncode != 0
    assert "PrivilegeError: a raw socket (AF_PACKET SOCK_RAW) needs CAP_NET_RAW" in done.stderr


def test_an_opened_socket_is_read_and_left_open(lab: Lab) -> None:
    veth = lab["b"].interfaces["a"].name
    with RawSocket.l2(veth, netns=lab["b"].netns) as sock:
        sender = later(lab)
        got = sniff(opened_socket=sock, lfilter=lambda p: UDP in p and p[UDP].dport == 9, count=1, timeout=5)
        sender.join()
        assert sock.socket.fileno() >= 0  # the caller's to close
    assert type(got[0]) is Ether and got[0].sniffed_on == veth and payload(got[0]) == b"port 9"


# -- links without an Ethernet header, and every interface at once ------------------------------
TUN_ADDRESS, TUN_PEER = "198.18.200.1", "198.18.200.2"


def from_tun_peer(port: int, payload: bytes) -> bytes:
    return bytes(IP(src=TUN_PEER, dst=TUN_ADDRESS) / UDP(sport=4000, dport=port) / payload)


@pytest.fixture
def tun0(lab: Lab) -> Iterator[Tun]:
    with tun(lab, "b", "tun0", TUN_ADDRESS) as made:
        yield made


@pytest.mark.parametrize("interface", ["tun0", None])
def test_a_link_without_ethernet_header_is_filtered_from_its_ip_header(
    lab: Lab, tun0: Tun, interface: str | None
) -> None:
    # tun0 has no link header (ARPHRD_NONE, as wireguard): an Ethernet program would read the IP
    # header at the wrong offsets and keep nothing; libpcap compiles for raw IP, or for Linux
    # cooked v2 on every interface (moved to the cooked socket's offsets).
    sniffer = AsyncSniffer(iface=interface, filter="udp dst port 9", timeout=3, netns=lab["b"].netns)
    assert sniffer.open().linktype == (LINKTYPE_RAW if interface else LINKTYPE_LINUX_SLL2)
    sniffer.start()
    sent = [from_tun_peer(port, payload) for port, payload in ((9, b"one"), (10, b"other"), (9, b"two"))]
    for packet in sent:
        tun0.inject(packet)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and len(sniffer.results) < 2:
        time.sleep(0.02)
    got = sniffer.stop()
    assert [payload(packet) for packet in got] == [b"one", b"two"]
    assert {(packet.sniffed_on, packet.direction) for packet in got} == {("tun0", 0)}
    # each packet as a capture file records it: the IP packet, or SLL2 and the IP packet
    for packet, injected in zip(got, (sent[0], sent[2]), strict=True):
        data = bytes(packet)
        if interface is None:
            assert type(packet) is CookedLinux2
            header = struct.unpack("!HHIHBB", data[:12])  # protocol, -, ifindex, hatype, pkttype, halen
            assert header == (0x0800, 0, lab_index(lab, "b", "tun0"), 0xFFFE, 0, 0)
            data = data[20:]
        else:
            assert type(packet) is IP
        assert data == injected


def lab_index(lab: Lab, host: str, interface: str) -> int:
    return int(lab.run(host, ["cat", f"/sys/class/net/{interface}/ifindex"], check=True).stdout)


def test_a_vlan_tag_the_kernel_took_out_is_put_back_as_tcpdump_does(lab: Lab, tmp_path: Path) -> None:
    # Linux strips the 802.1Q tag of a received frame before packet sockets see it; libpcap puts
    # it back from PACKET_AUXDATA, and so does rawnet: both must record the same bytes.
    a, b = lab["a"], lab["b"]
    interface = b.interfaces["a"].name
    path = tmp_path / "vlan.pcap"
    options = ["--immediate-mode", "-U", "-Z", "root", "-i", interface, "-w", str(path), "vlan"]
    dump = lab.popen("b", ["tcpdump", *options], stderr=subprocess.PIPE)
    assert dump.stderr is not None
    dump.stderr.readline()  # "listening on ...": capturing
    sniffer = AsyncSniffer(iface=interface, filter="vlan 100 and udp port 9", timeout=5, netns=b.netns)
    sniffer.start()
    frame = (
        Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
        / Dot1Q(prio=5, vlan=100)
        / IP(src=a.ipv4, dst=b.ipv4)
        / UDP(sport=4000, dport=9)
        / b"tagged"
    )
    untagged = Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac) / frame[IP]
    with RawSocket.l2(a.interfaces["b"].name, netns=a.netns) as sock:
        sock.send(frame)
        sock.send(untagged)
    time.sleep(0.3)
    got = sniffer.stop()  # "vlan ...": libpcap's test of the frame with its tag back, in rawnet
    stop(dump)
    theirs = [record.data for record in PcapReader(path).records()]
    assert len(got) == 1 and theirs == [bytes(got[0])] == [bytes(frame)]
    assert got[0][Dot1Q].vlan == 100 and got[0][Dot1Q].prio == 5


def test_a_type_checker_sees_the_arguments_of_sniff_and_the_file_functions(tmp_path: Path) -> None:
    # Explicit parameters (no **kwargs): mypy --strict in user code catches a misspelt one.
    script = tmp_path / "user.py"
    script.write_text(
        "from rawnet import *\n"
        "packets = sniff(ifcae='lo', count=1)\n"
        "wrpcap('x.pcap', packets, linktyp=1)\n"
        "sniffer = AsyncSniffer(iface='lo', prn=lambda p: p.summary())\n"
        "print(sniffer.stop()[0].sniffed_on, PcapWriter('y.pcap', apend=True))\n"
    )
    source = Path(__file__).parents[2] / "src"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(script)],
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(source)},
    )
    found = re.findall(r'Unexpected keyword argument "(\w+)" for "(\w+)"', done.stdout)
    assert found == [("ifcae", "sniff"), ("linktyp", "wrpcap"), ("apend", "PcapWriter")], done.stdout


def test_a_receive_buffer_is_the_size_asked() -> None:
    # rawnet sniff -B: past net.core.rmem_max as root; the kernel books twice the size (socket(7))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        set_receive_buffer(sock, 3 << 20)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 6 << 20


# -- the ring's writer path ------------------------------------------------------------------------
@pytest.mark.parametrize("pcapng", [False, True])
@pytest.mark.parametrize("nanoseconds", [False, True])
def test_a_block_written_at_once_is_the_records_written_one_by_one(
    tmp_path: Path, pcapng: bool, nanoseconds: bool
) -> None:
    # PcapWriter.write_many (one buffer, one write per ring block) against write_record: the
    # same bytes, views taken as they are, cut to the snapshot length, microseconds cut.
    from rawnet.net.pcap import LINKTYPE_ETHERNET, PcapWriter, Record

    block = bytearray(b"".join(bytes([n]) * (60 + n) for n in range(5)))
    view = memoryview(block)
    records, at = [], 0
    for n in range(5):
        stamp = 1_700_000_000_123_456_789 + n * 1_000_999
        records.append((view[at : at + 60 + n], stamp, 60 + n + (1000 if n == 3 else 0)))
        at += 60 + n
    one, many = tmp_path / "one", tmp_path / "many"
    options = {"linktype": LINKTYPE_ETHERNET, "pcapng": pcapng, "nanoseconds": nanoseconds, "snaplen": 62}
    with PcapWriter(one, **options) as writer:  # type: ignore[arg-type]
        for data, stamp, wirelen in records:
            cut = stamp if nanoseconds else stamp // 1000 * 1000  # (as rawnet sniff gives write_record)
            writer.write_record(Record(bytes(data), cut, wirelen, LINKTYPE_ETHERNET))
    with PcapWriter(many, **options) as writer:  # type: ignore[arg-type]
        assert writer.write_many(records, microseconds=not nanoseconds) == 5
        assert writer.written == 5
    assert many.read_bytes() == one.read_bytes()
    back = list(PcapReader(many).records())
    assert [len(record.data) for record in back] == [60, 61, 62, 62, 62]
    assert back[3].wirelen == 1063


def test_sniffers_read_their_own_sockets_through_a_ring_and_a_callers_with_recv(lab: Lab) -> None:
    veth = lab["b"].interfaces["a"].name
    sniffer = AsyncSniffer(iface=veth, filter="udp", netns=lab["b"].netns)
    opened = sniffer.open()
    assert opened.ring is not None and opened.ring.size == 32 << 20
    sniffer.stop()
    with RawSocket.l2(veth, netns=lab["b"].netns) as sock:
        given = AsyncSniffer(opened_socket=sock)
        assert given.open().ring is None  # (the caller's socket: recv, as it is)
        given.stop()


def test_counting_takes_whole_blocks_and_stops_at_count(lab: Lab) -> None:
    # Nothing asked of the packets (no prn, lfilter, stop_filter, store): the blocks' packet
    # counts are added up, no packet copied or decoded; count still stops at its number.
    a, b = lab["a"], lab["b"]
    frame = bytes(
        Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
        / IP(src=a.ipv4, dst=b.ipv4)
        / UDP(sport=40600, dport=9)
    )
    for count in (0, 700):
        sniffer = AsyncSniffer(
            iface=b.interfaces["a"].name, filter="udp port 40600", store=False, count=count, netns=b.netns
        )
        sniffer.start()
        with RawSocket.l2(a.interfaces["b"].name, netns=a.netns) as sock:
            for _ in range(1000):
                sock.send(frame)
        time.sleep(0.2)
        sniffer.stop()
        assert sniffer.seen == (count or 1000) and sniffer.drops == 0


def test_sniffers_of_a_fanout_group_each_get_a_share(lab: Lab) -> None:
    from rawnet.net.ring import Fanout

    b = lab["b"]
    group = [
        AsyncSniffer(
            iface=b.interfaces["a"].name, filter="udp dst port 9", netns=b.netns, fanout=Fanout(4300, "lb")
        )
        for _ in range(2)
    ]
    for sniffer in group:
        sniffer.start()
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for number in range(200):
            udp.sendto(b"%d" % number, (b.ipv4, 9))
    time.sleep(0.2)
    shares = [[payload(packet) for packet in sniffer.stop()] for sniffer in group]
    assert sorted(shares[0] + shares[1]) == sorted(b"%d" % number for number in range(200))
    # round robin (lb) over every packet the group sees, those its filters then drop included
    assert min(len(shares[0]), len(shares[1])) > 50
