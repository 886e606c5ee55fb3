"""Each socket mode, proven by the kernel inside a lab: what rawnet sends, a kernel socket accepts.

A UDP datagram crafted by rawnet is delivered to an ordinary UDP socket of the peer only if the
kernel found its IP header and UDP checksum right; a TCP SYN is answered with a SYN-ACK only by
a listening socket that accepted it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from rawnet import IP, TCP, UDP, Dot1Q, Ether, IPv6
from rawnet.net.lab import Lab
from rawnet.net.linux import ETH_P_IP
from rawnet.net.sockets import InterfaceError, RawSocket, source_for
from tests.privilege import without


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        yield made


def udp_sink(lab: Lab, family: int = socket.AF_INET) -> socket.socket:
    sink = lab.socket("b", family, socket.SOCK_DGRAM)
    sink.bind((lab["b"].ipv4 if family == socket.AF_INET else lab["b"].ipv6, 0))
    sink.settimeout(2)
    return sink


def frame_to_b(lab: Lab, port: int, payload: bytes, **udp: int) -> Ether:
    a, b = lab["a"], lab["b"]
    return (  # type: ignore[return-value]
        Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
        / IP(src=a.ipv4, dst=b.ipv4)
        / UDP(sport=40000, dport=port, **udp)
        / payload
    )


def test_source_for_asks_the_kernels_routes(lab: Lab) -> None:
    assert source_for(lab["b"].ipv4, netns=lab["a"].netns) == lab["a"].ipv4
    assert source_for(lab["b"].ipv6, socket.AF_INET6, lab["a"].netns) == lab["a"].ipv6


def test_l3_kernel_writes_the_ip_header(lab: Lab) -> None:
    with udp_sink(lab) as sink, RawSocket.l3(socket.IPPROTO_UDP, netns=lab["a"].netns) as raw:
        raw.send(UDP(sport=40001, dport=sink.getsockname()[1]) / b"mode 1", lab["b"].ipv4)
        assert sink.recvfrom(100) == (b"mode 1", (lab["a"].ipv4, 40001))


def test_l3_over_ipv6(lab: Lab) -> None:
    with (
        udp_sink(lab, socket.AF_INET6) as sink,
        RawSocket.l3(socket.IPPROTO_UDP, family=socket.AF_INET6, netns=lab["a"].netns) as raw,
    ):
        raw.send(IPv6(dst=lab["b"].ipv6) / UDP(sport=40002, dport=sink.getsockname()[1]) / b"mode 1, v6")
        data, sender = sink.recvfrom(100)
        assert data == b"mode 1, v6" and sender[:2] == (lab["a"].ipv6, 40002)


def test_l3_hdrincl_user_writes_the_ip_header(lab: Lab) -> None:
    with udp_sink(lab) as sink, RawSocket.l3_hdrincl(netns=lab["a"].netns) as raw:
        packet = IP(src=lab["a"].ipv4, dst=lab["b"].ipv4, ttl=7) / UDP(
            sport=40003, dport=sink.getsockname()[1]
        )
        raw.send(packet / b"mode 2")
        assert sink.recvfrom(100) == (b"mode 2", (lab["a"].ipv4, 40003))


def test_l2_user_writes_the_ethernet_header(lab: Lab) -> None:
    with udp_sink(lab) as sink, RawSocket.l2(lab["a"].interfaces["b"].name, netns=lab["a"].netns) as raw:
        raw.send(frame_to_b(lab, sink.getsockname()[1], b"mode 3"))
        assert sink.recvfrom(100) == (b"mode 3", (lab["a"].ipv4, 40000))


def test_l2_cooked_kernel_writes_the_link_header(lab: Lab) -> None:
    interface = lab["a"].interfaces["b"].name
    with udp_sink(lab) as sink, RawSocket.l2_cooked(interface, ETH_P_IP, netns=lab["a"].netns) as raw:
        datagram = frame_to_b(lab, sink.getsockname()[1], b"mode 4").payload
        assert datagram is not None
        raw.send(datagram, dst_mac=lab["b"].interfaces["a"].mac)
        assert sink.recvfrom(100) == (b"mode 4", (lab["a"].ipv4, 40000))


def test_a_wrong_udp_checksum_set_by_the_user_is_not_delivered(lab: Lab) -> None:
    with udp_sink(lab) as sink, RawSocket.l2(lab["a"].interfaces["b"].name, netns=lab["a"].netns) as raw:
        port = sink.getsockname()[1]
        right = bytes(frame_to_b(lab, port, b"checked"))
        wrong_sum = int.from_bytes(right[40:42], "big") ^ 0x0101
        raw.send(frame_to_b(lab, port, b"unchecked", chksum=wrong_sum))
        raw.send(frame_to_b(lab, port, b"checked"))
        assert sink.recvfrom(100)[0] == b"checked"  # the first one was dropped by the kernel


def test_a_syn_gets_the_kernels_syn_ack(lab: Lab) -> None:
    server = lab.socket("b", socket.AF_INET, socket.SOCK_STREAM)
    with server, RawSocket.l3(socket.IPPROTO_TCP, netns=lab["a"].netns) as raw:
        server.bind((lab["b"].ipv4, 0))
        server.listen()
        port = server.getsockname()[1]
        raw.settimeout(2)
        raw.send(TCP(sport=40004, dport=port, flags="S", seq=1000), lab["b"].ipv4)
        for _ in range(20):
            got = raw.recv()
            segment = got.packet[TCP] if TCP in got.packet else None  # noqa: SIM401 (not a dict)
            if segment is not None and (segment.sport, segment.dport) == (port, 40004):
                break
        else:
            pytest.fail("no SYN-ACK")
        assert segment.flags == "SA" and segment.ack == 1001
        assert got.packet[IP].src == lab["b"].ipv4
        assert got.packet.verify() == []  # the lab turns checksum offload off: a finished checksum


def test_l2_receive_says_where_and_which_way(lab: Lab) -> None:
    interface = lab["b"].interfaces["a"].name
    with (
        RawSocket.l2(interface, netns=lab["b"].netns) as listen,
        RawSocket.l2(lab["a"].interfaces["b"].name, netns=lab["a"].netns) as send,
    ):
        listen.settimeout(2)
        frame = frame_to_b(lab, 9, b"metadata")
        send.send(frame)
        for _ in range(20):
            got = listen.recv()
            if UDP in got.packet and got.packet[UDP].sport == 40000:
                break
        else:
            pytest.fail("frame not seen")
        assert (got.interface, got.direction, got.length) == (interface, "host", len(bytes(frame)))
        assert got.packet[IP].dst == lab["b"].ipv4
        tagged = frame.copy()
        tagged.payload = Dot1Q(vlan=42) / frame[IP]  # the kernel takes the tag out; recv puts it back
        send.send(tagged)
        for _ in range(20):
            got = listen.recv()
            if got.packet[Ether].src == frame.src and UDP in got.packet:
                break
        assert got.data == bytes(tagged) and got.packet[Dot1Q].vlan == 42


def test_unknown_interface_is_a_clear_error(lab: Lab) -> None:
    with pytest.raises(InterfaceError, match="no interface named 'nope0' in namespace"):
        RawSocket.l2("nope0", netns=lab["a"].netns)


OPEN_A_RAW_SOCKET = """
import sys
from rawnet import errors
from rawnet.net.sockets import RawSocket
try:
    RawSocket.l3()
except errors.PrivilegeError as error:
    print(error)
    sys.exit(3)
"""


def test_without_cap_net_raw_the_error_says_how_to_fix_it() -> None:
    argv = without("net_raw", [sys.executable, "-c", OPEN_A_RAW_SOCKET])
    result = subprocess.run(argv, capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    assert "a raw socket (AF_INET SOCK_RAW) needs CAP_NET_RAW: run as root, or grant it with" in result.stdout


def test_the_kernel_reassembles_rawnets_fragments(lab: Lab) -> None:
    from rawnet.wire.fragment import fragment

    with udp_sink(lab) as sink, RawSocket.l2(lab["a"].interfaces["b"].name, netns=lab["a"].netns) as raw:
        data = bytes(range(256)) * 12
        frame = frame_to_b(lab, sink.getsockname()[1], data)
        frame[IP].id = 4242
        pieces = fragment(frame, 1000)
        assert len(pieces) == 4
        for piece in reversed(pieces):  # any order: the kernel waits for all of them
            raw.send(piece)
        assert sink.recvfrom(4000) == (data, (lab["a"].ipv4, 40000))


def test_arecv_for_asyncio(lab: Lab) -> None:
    import asyncio

    async def exchange() -> bytes:
        with (
            RawSocket.l2(lab["b"].interfaces["a"].name, netns=lab["b"].netns) as listen,
            RawSocket.l2(lab["a"].interfaces["b"].name, netns=lab["a"].netns) as send,
        ):
            waiting = asyncio.ensure_future(_first_udp(listen))
            await asyncio.sleep(0.05)
            tagged = frame_to_b(lab, 9, b"async")
            tagged.payload = Dot1Q(vlan=7) / tagged[IP]  # (the tag the kernel takes out comes back)
            await send.asend(tagged)
            return await asyncio.wait_for(waiting, 2)

    async def _first_udp(sock: RawSocket) -> bytes:
        while True:
            got = await sock.arecv()
            if UDP in got.packet and got.packet[UDP].sport == 40000:
                assert got.packet[Dot1Q].vlan == 7  # read as recv() reads: recvmsg, its ancillary data
                return bytes(got.packet[UDP].payload or b"")

    assert asyncio.run(exchange()) == b"async"


def test_a_frame_longer_than_the_mtu_is_a_clear_error(lab: Lab) -> None:
    from rawnet.errors import RawnetError

    too_long = r"a packet of 2042 bytes is longer than the MTU of .*: cut it"
    with (
        RawSocket.l2(lab["a"].interfaces["b"].name, netns=lab["a"].netns) as raw,
        pytest.raises(RawnetError, match=too_long),
    ):
        raw.send(frame_to_b(lab, 9, bytes(2000)))


def test_an_l2_socket_refuses_a_packet_without_a_link_header(lab: Lab) -> None:
    from rawnet import ICMP
    from rawnet.errors import InputError

    # (it used to send a 28-byte frame whose "Ethernet header" was the IP header)
    with (
        RawSocket.l2(lab["a"].interfaces["b"].name, netns=lab["a"].netns) as raw,
        pytest.raises(
            InputError, match=r"sends whole Ethernet frames.*begins with IP: put Ether\(\) in front"
        ),
    ):
        raw.send(IP(dst=lab["b"].ipv4) / ICMP())


def test_asend_on_an_l3_socket_inside_an_event_loop(lab: Lab) -> None:
    import asyncio

    async def exchange() -> tuple[bytes, tuple[str, int]]:
        with udp_sink(lab) as sink, RawSocket.l3(socket.IPPROTO_UDP, netns=lab["a"].netns) as raw:
            # The UDP checksum needs the route's source: a netlink question the running loop
            # used to make fail ("This event loop is already running").
            await raw.asend(UDP(sport=40030, dport=sink.getsockname()[1]) / b"l3 async", lab["b"].ipv4)
            assert source_for(lab["b"].ipv4, netns=lab["a"].netns) == lab["a"].ipv4  # (sync, in the loop)
            data, sender = await asyncio.get_running_loop().run_in_executor(None, sink.recvfrom, 100)
            return data, sender

    assert asyncio.run(exchange()) == (b"l3 async", (lab["a"].ipv4, 40030))


def test_blocking_timeout_and_non_blocking_modes(lab: Lab) -> None:
    import select

    a, b = lab["a"], lab["b"]
    # Listening for UDP port 9 only, in namespace b: nothing else arrives unless the test sends it.
    with (
        RawSocket.l3(socket.IPPROTO_UDP, netns=b.netns) as listen,
        RawSocket.l3(socket.IPPROTO_UDP, netns=a.netns) as send,
    ):
        listen.setblocking(False)
        assert listen.gettimeout() == 0.0
        with pytest.raises(BlockingIOError):
            while True:  # drain what might be there, then nothing is waiting
                listen.recv()
        listen.settimeout(0.2)
        with pytest.raises(TimeoutError):
            while True:
                listen.recv()
        send.send(UDP(sport=40010, dport=9) / b"wake", b.ipv4)
        assert select.select([listen], [], [], 2)[0] == [listen]  # fileno() makes it selectable
        listen.settimeout(None)  # blocking: the datagram is there
        assert listen.gettimeout() is None
        got = listen.recv()
        while UDP not in got.packet or got.packet[UDP].sport != 40010:
            got = listen.recv()
        assert bytes(got.packet[UDP].payload or b"") == b"wake" and got.packet[IP].src == a.ipv4


def test_no_route_to_host_is_a_clear_error(lab: Lab) -> None:
    from rawnet import ICMP
    from rawnet.errors import RawnetError
    from rawnet.net.sendrecv import send

    unroutable = "198.51.100.1"  # the lab has routes for its own prefixes only
    with pytest.raises(RawnetError, match=r"^no route to 198\.51\.100\.1: see `ip route`$"):
        source_for(unroutable, netns=lab["a"].netns)
    with pytest.raises(RawnetError, match=r"^no route to 198\.51\.100\.1"):
        send(IP(dst=unroutable) / ICMP(), netns=lab["a"].netns)


TUN_WRITER = """
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", b"rawtun0", 0x0001 | 0x1000))  # TUNSETIFF: tun, no PI
print("ready", flush=True)
sys.stdin.readline()
os.write(fd, bytes.fromhex(sys.argv[1]))  # the kernel receives it on rawtun0
sys.stdin.readline()
"""


def test_an_interface_without_ethernet_header_is_decoded_from_its_ip_header(lab: Lab) -> None:
    datagram = IP(src="198.19.0.2", dst="198.19.0.1") / UDP(sport=40020, dport=7780) / b"via tun"
    writer = lab.popen(
        "b",
        [sys.executable, "-c", TUN_WRITER, bytes(datagram).hex()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert writer.stdin is not None and writer.stdout is not None
    try:
        assert writer.stdout.readline().strip() == "ready"
        lab.run("b", ["ip", "link", "set", "rawtun0", "up"], check=True)
        with RawSocket.l2("rawtun0", netns=lab["b"].netns) as raw:  # ARPHRD_NONE: no link header
            raw.settimeout(2)
            writer.stdin.write("go\n")
            writer.stdin.flush()
            got = raw.recv()
        assert got.interface == "rawtun0" and got.direction == "host"
        assert isinstance(got.packet, IP) and got.packet[UDP].dport == 7780
        assert bytes(got.packet[UDP].payload or b"") == b"via tun"
    finally:
        writer.stdin.write("done\n")
        writer.stdin.close()
        writer.wait(5)


def test_eacces_is_never_called_a_missing_privilege() -> None:
    import errno

    from rawnet.net.sockets import send_error

    refused = OSError(errno.EACCES, "Permission denied")
    unset = str(send_error(refused, 28, dst="198.18.1.255", broadcast=False))
    assert "needs SO_BROADCAST" in unset and "root" not in unset
    set_ = str(send_error(refused, 28, dst="198.18.1.255", broadcast=True))
    assert "SO_BROADCAST is set" in set_ and "firewall" in set_ and "root" not in set_
