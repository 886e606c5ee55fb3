"""rawnet.tcp against the kernel's TCP in a lab: bytes, options on the wire, no stray RST, the
peer's RST, closed ports, zero windows, hooks, settable fields; tcpdump and tshark as oracles."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rawnet import tcp
from rawnet.errors import ConnectionRefused, ConnectionReset, InputError, TCPTimeout
from rawnet.net.lab import Lab
from rawnet.tcp.host import LINGER
from rawnet.tcp.machine import TIME_WAIT
from rawnet.wire import TCP, Layer
from tests.cli.conftest import tcpdump, tshark_fields
from tests.servers import started
from tests.tcp.conftest import Site, body, get, sha

#: tshark's view of each TCP segment: flags, raw seq, window field, options, payload size.
SEGMENT_FIELDS = ("ip.src", "ipv6.src", "tcp.flags.str", "tcp.seq_raw", "tcp.window_size_value", "tcp.len")


def _download(site: Site, dst: str, **options: Any) -> tuple[tcp.Connection, bytes]:
    a = site.lab["a"]
    with tcp.connect(dst, site.port, netns=a.netns, **options) as conn:
        conn.send(get("/file", dst))
        response = conn.recv_all(timeout=30)
    return conn, response


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_download_equals_the_file_and_the_kernel_never_resets(
    site: Site, family: str, tmp_path: Path
) -> None:
    lab, b = site.lab, site.lab["b"]
    dst = getattr(b, family)
    interface = next(iter(b.interfaces.values())).name
    before = _tables(lab, "a")
    with tcpdump(lab, "b", interface, "tcp", tmp_path / "b.pcap", burst=True):
        conn, response = _download(site, dst)
        time.sleep(0.3)  # (the last ACK and FIN on the wire)
    assert sha(body(response)) == site.digest
    rows = tshark_fields(tmp_path / "b.pcap", "tcp.flags.reset", "tcp.analysis.flags", checked=True)
    assert rows and not [row for row in rows if row[0] in ("1", "True")], "a RST was on the wire"
    # every segment's checksums good by tshark's reckoning, no bad-checksum expert info
    checks = tshark_fields(tmp_path / "b.pcap", "ip.src", "ipv6.src", "tcp.checksum.status", checked=True)
    assert {row[2] for row in checks if conn.local[0] in row[:2]} == {"1"}  # (b's: cut to 256 bytes)
    assert "0" not in {row[2] for row in checks}
    if family == "ipv6":  # one flow label for the connection, as Linux's auto_flowlabels gives
        labels = tshark_fields(tmp_path / "b.pcap", "ipv6.src", "ipv6.flow")
        assert len({row[1] for row in labels if row[0] == conn.local[0]}) == 1
    assert conn.counters.bytes_received == len(response)
    # nothing added to a's kernel: neither neighbour entries nor firewall rules
    assert _tables(lab, "a") == before


def _tables(lab: Lab, host: str) -> tuple[str, str, str]:
    neighbours = (
        lab.run(host, ["ip", "neigh", "show"]).stdout + lab.run(host, ["ip", "-6", "neigh", "show"]).stdout
    )
    rules = lab.run(host, ["iptables-save"]).stdout + lab.run(host, ["ip6tables-save"]).stdout
    ruleset = lab.run(host, ["nft", "list", "ruleset"]).stdout
    return (
        "\n".join(sorted(line for line in neighbours.splitlines() if "FAILED" not in line)),
        "\n".join(line for line in rules.splitlines() if not line.startswith("#")),
        ruleset,
    )


def test_options_negotiated_as_tcpdump_and_tshark_see_them(site: Site, tmp_path: Path) -> None:
    lab, b = site.lab, site.lab["b"]
    interface = next(iter(b.interfaces.values())).name
    with tcpdump(lab, "b", interface, "tcp[tcpflags] & tcp-syn != 0", tmp_path / "syn.pcap"):
        conn, _ = _download(site, b.ipv4, wscale=5)
    rows = tshark_fields(
        tmp_path / "syn.pcap",
        "tcp.flags.ack",
        "tcp.options.mss_val",
        "tcp.options.wscale.shift",
        "tcp.options.sack_perm",
        "tcp.options.timestamp.tsval",
        "tcp.option_kind",
    )
    syn, syn_ack = rows[0], rows[1]
    assert syn[0] in ("0", "False") and syn_ack[0] in ("1", "True")
    assert syn[1] == "1460" and syn[2] == "5"  # MSS from a's MTU; the scale we asked for
    assert syn[3] and syn[4]  # SACK-permitted and a timestamp
    # Linux's layout: MSS, SACK-permitted, timestamps, NOP, window scale
    out = subprocess.run(
        ["tcpdump", "-nr", str(tmp_path / "syn.pcap")], capture_output=True, text=True
    ).stdout
    assert "options [mss 1460,sackOK,TS val" in out.splitlines()[0] and "nop,wscale 5]" in out.splitlines()[0]
    negotiated = conn.negotiated
    assert negotiated.mss == int(syn_ack[1])
    assert negotiated.snd_wscale == int(syn_ack[2]) and negotiated.rcv_wscale == 5
    assert negotiated.sack and negotiated.timestamps


def test_options_left_out_are_not_negotiated(site: Site, tmp_path: Path) -> None:
    b = site.lab["b"]
    interface = next(iter(b.interfaces.values())).name
    with tcpdump(site.lab, "b", interface, "tcp", tmp_path / "plain.pcap"):
        conn, response = _download(site, b.ipv4, wscale=None, sack=False, timestamps=False, mss=1000)
    assert sha(body(response)) == site.digest
    assert conn.negotiated.snd_wscale == conn.negotiated.rcv_wscale == 0
    assert not conn.negotiated.sack and not conn.negotiated.timestamps
    rows = tshark_fields(tmp_path / "plain.pcap", "tcp.options.mss_val", "tcp.option_kind", "tcp.len")
    assert rows[0][0] == "1000" and rows[0][1] == "2"  # the SYN: MSS alone
    assert rows[1][1] == "2"  # the SYN-ACK answers with MSS alone
    assert max(int(row[2]) for row in rows) == 1000  # the server keeps to our MSS


def test_isn_ttl_window_and_verbatim_options_are_what_goes_out(site: Site, tmp_path: Path) -> None:
    b = site.lab["b"]
    interface = next(iter(b.interfaces.values())).name
    options = [("WScale", 2), ("NOP", None), ("MSS", 1200), ("Timestamp", (123456, 0)), ("SAckOK", b"")]
    with tcpdump(site.lab, "b", interface, "tcp", tmp_path / "set.pcap"):
        conn, response = _download(site, b.ipv4, isn=0xFFFFFF00, ttl=33, window=4000, options=options)
    assert sha(body(response)) == site.digest  # (the sequence numbers wrapped past 2**32)
    rows = tshark_fields(
        tmp_path / "set.pcap",
        "ip.src",
        "ip.ttl",
        "tcp.seq_raw",
        "tcp.window_size_value",
        "tcp.options.timestamp.tsval",
        checked=True,
    )
    ours = [row for row in rows if row[0] == conn.local[0]]
    assert ours[0][2] == str(0xFFFFFF00) and ours[0][4] == "123456"
    assert {row[1] for row in ours} == {"33"} and {row[3] for row in ours} == {"4000"}
    out = subprocess.run(
        ["tcpdump", "-nr", str(tmp_path / "set.pcap")], capture_output=True, text=True
    ).stdout
    assert "options [wscale 2,nop,mss 1200,TS val 123456 ecr 0,sackOK" in out.splitlines()[0]
    assert conn.negotiated.mss == 1460 and conn.negotiated.rcv_wscale == 2


def test_closed_port_is_refused_at_once(site: Site) -> None:
    a, b = site.lab["a"], site.lab["b"]
    start = time.monotonic()
    with pytest.raises(ConnectionRefused, match="connection refused") as caught:
        tcp.connect(b.ipv4, 9, netns=a.netns)
    assert time.monotonic() - start < 1.0
    assert isinstance(caught.value, ConnectionRefusedError)
    with pytest.raises(ConnectionRefused):
        tcp.connect(b.ipv6, 9, netns=a.netns)


def test_a_host_that_does_not_answer_times_out(site: Site) -> None:
    a = site.lab["a"]
    with pytest.raises(TCPTimeout, match="no ARP answer"):  # nobody has the address
        tcp.connect("198.18.1.77", 80, netns=a.netns, timeout=1)


RESETTER = """
import socket, struct, sys
server = socket.create_server(("::", int(sys.argv[1])), family=socket.AF_INET6, dualstack_ipv6=True)
print("listening", file=sys.stderr, flush=True)
conn, _ = server.accept()
conn.recv(100)
conn.sendall(b"partial answer")
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()  # with SO_LINGER 0: RST
"""


def test_the_peers_rst_is_a_clear_error(site: Site) -> None:
    lab = site.lab
    with started(lab, "b", [sys.executable, "-c", RESETTER, "8081"], lambda line: "listening" in line, 10):
        conn = tcp.connect(lab["b"].ipv4, 8081, netns=lab["a"].netns)
        conn.send(b"hello")
        assert conn.recv(100, timeout=5) == b"partial answer"
        with pytest.raises(ConnectionReset, match="connection reset by peer"):
            conn.recv(100, timeout=5)
        with pytest.raises(ConnectionReset):
            conn.send(b"more")
        conn.close()  # (nothing left to do: no error)


SLOW_READER = """
import hashlib, socket, sys, time
server = socket.create_server(("0.0.0.0", int(sys.argv[1])))
server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
print("listening", file=sys.stderr, flush=True)
conn, _ = server.accept()
conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
time.sleep(float(sys.argv[2]))  # the window closes meanwhile
digest, size = hashlib.sha256(), 0
while chunk := conn.recv(65536):
    digest.update(chunk)
    size += len(chunk)
conn.sendall(f"{size} {digest.hexdigest()}".encode())
conn.close()
"""


def test_a_zero_window_is_probed_and_resumed_against_a_kernel_server(site: Site, tmp_path: Path) -> None:
    lab = site.lab
    data = bytes(range(256)) * 2048  # 512 KiB
    interface = next(iter(lab["b"].interfaces.values())).name
    argv = [sys.executable, "-c", SLOW_READER, "8082", "3"]
    with (
        started(lab, "b", argv, lambda line: "listening" in line, 10),
        tcpdump(lab, "b", interface, "tcp port 8082", tmp_path / "zw.pcap"),
    ):
        conn = tcp.connect(lab["b"].ipv4, 8082, netns=lab["a"].netns, min_rto=0.2)
        conn.send(data)
        conn.shutdown()
        answer = conn.recv(200, timeout=30).decode()
        conn.close()
    assert answer == f"{len(data)} {sha(data)}"
    assert conn.counters.window_probes >= 1
    rows = tshark_fields(tmp_path / "zw.pcap", "tcp.analysis.zero_window", "tcp.analysis.zero_window_probe")
    assert any(row[0] for row in rows), "tshark saw no zero window from the server"
    assert any(row[1] for row in rows), "tshark saw no zero-window probe from rawnet"


KERNEL_CLIENT = """
import hashlib, socket, sys
conn = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
data = bytes(range(256)) * 4096
conn.sendall(data)
conn.shutdown(socket.SHUT_WR)
echo = b""
while chunk := conn.recv(65536):
    echo += chunk
print(len(echo), echo == hashlib.sha256(data).hexdigest().encode(), flush=True)
"""


def test_a_kernel_client_meets_a_zero_window_and_resumes(site: Site, tmp_path: Path) -> None:
    """rawnet listens; the kernel's client sends 1 MiB into a 64 KiB buffer nobody reads for a
    while: rawnet announces a zero window, the kernel probes it, the read opens it again."""
    lab = site.lab
    a, b = lab["a"], lab["b"]
    interface = next(iter(a.interfaces.values())).name
    with tcp.listen(8090, interface=interface, netns=a.netns, rcvbuf=65536) as server:
        address = server.address[0]
        with tcpdump(lab, "b", next(iter(b.interfaces.values())).name, "tcp port 8090", tmp_path / "kc.pcap"):
            client = lab.popen(
                "b", [sys.executable, "-c", KERNEL_CLIENT, address, "8090"], stdout=subprocess.PIPE
            )
            conn = server.accept(timeout=10)
            time.sleep(1.5)  # the buffer fills, the window closes, the kernel probes
            received = conn.recv_all(timeout=30)
            conn.send(sha(received).encode())
            conn.close()
            out, _ = client.communicate(timeout=30)
    assert received == bytes(range(256)) * 4096
    assert out.split() == ["64", "True"]
    rows = tshark_fields(
        tmp_path / "kc.pcap",
        "ip.src",
        "tcp.seq_raw",
        "tcp.ack_raw",
        "tcp.window_size_value",
        "tcp.len",
        checked=True,
    )
    # Linux probes a zero window with the byte before the next (seq = our ACK - 1) and no data;
    # each probe must meet our zero window, and data must flow again after them
    probes, window, ack = 0, None, None
    for source, seq, their_ack, field, size in rows:
        if source == address:
            window, ack = int(field), int(their_ack)
        elif window == 0 and size == "0" and ack is not None and int(seq) == (ack - 1) & 0xFFFFFFFF:
            probes += 1
    assert probes >= 2, "the kernel did not probe rawnet's zero window"
    assert not [
        row for row in tshark_fields(tmp_path / "kc.pcap", "tcp.flags.reset") if row[0] in ("1", "True")
    ]


def test_outgoing_hooks_drop_delay_and_mangle(site: Site, tmp_path: Path) -> None:
    """The first data segment dropped (so it is sent again), every ACK delayed, the TTL set by
    the hook: the download still equals the file, and the capture shows what the hook did."""
    b = site.lab["b"]
    seen: list[Layer] = []
    dropped: list[int] = []

    def outgoing(packet: Layer) -> Layer | tuple[Layer, float] | None:
        segment = packet[TCP]
        if segment.payload is not None and len(bytes(segment.payload)) and not dropped:
            dropped.append(segment.seq)
            return None
        packet.ttl = 7
        return (packet, 0.002) if not segment.payload else packet

    interface = next(iter(b.interfaces.values())).name
    with tcpdump(site.lab, "b", interface, "tcp", tmp_path / "hooks.pcap", burst=True):
        conn, response = _download(site, b.ipv4, outgoing=outgoing, incoming=seen.append, min_rto=0.2)
        time.sleep(0.2)
    assert sha(body(response)) == site.digest
    assert conn.counters.retransmits >= 1
    rows = tshark_fields(tmp_path / "hooks.pcap", "ip.src", "ip.ttl", "tcp.seq_raw", "tcp.len")
    ours = [row for row in rows if row[0] == conn.local[0]]
    assert {row[1] for row in ours} == {"7"}
    theirs = [row for row in rows if row[0] == b.ipv4]
    assert len(seen) == len(theirs)  # the incoming hook saw every segment b sent
    data = [row for row in ours if row[3] != "0"]
    assert data[0][2] == str(dropped[0])  # the dropped segment reached b only when sent again


def test_upload_through_a_lossy_reordering_hook(site: Site) -> None:
    """rawnet's sending side: 2 MiB to a kernel server with 2% of segments dropped and some
    held back behind later ones; fast retransmit and the RTO recover everything."""
    lab = site.lab
    import random

    chance = random.Random(7)
    counts = {"dropped": 0, "delayed": 0}

    def outgoing(packet: Layer) -> Layer | tuple[Layer, float] | None:
        if packet[TCP].payload is None:
            return packet
        draw = chance.random()
        if draw < 0.02:
            counts["dropped"] += 1
            return None
        if draw < 0.05:
            counts["delayed"] += 1
            return (packet, 0.003)
        return packet

    data = bytes(chance.getrandbits(8) for _ in range(1 << 21))
    argv = [sys.executable, "-c", SLOW_READER, "8083", "0"]
    with started(lab, "b", argv, lambda line: "listening" in line, 10):
        conn = tcp.connect(lab["b"].ipv4, 8083, netns=lab["a"].netns, outgoing=outgoing, min_rto=0.2)
        conn.send(data)
        conn.shutdown()
        answer = conn.recv(200, timeout=60).decode()
        conn.close()
    assert answer == f"{len(data)} {sha(data)}"
    assert counts["dropped"] > 10 and counts["delayed"] > 10
    assert conn.counters.fast_retransmits >= 1


def test_asyncio_form(site: Site) -> None:
    b, a = site.lab["b"], site.lab["a"]

    async def main() -> bytes:
        conn = await tcp.open_connection(b.ipv6, site.port, netns=a.netns)
        await conn.send(get("/file", f"[{b.ipv6}]"))
        parts = []
        while chunk := await conn.recv():
            parts.append(chunk)
        await conn.close()
        return b"".join(parts)

    assert sha(body(asyncio.run(main()))) == site.digest


def test_two_connections_at_once_share_the_host(site: Site) -> None:
    b, a = site.lab["b"], site.lab["a"]
    results: list[bytes] = []

    def one() -> None:
        results.append(_download(site, b.ipv4)[1])

    threads = [threading.Thread(target=one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [sha(body(each)) for each in results] == [site.digest] * 3
    del a


def test_refusals_name_the_problem(site: Site) -> None:
    a, b = site.lab["a"], site.lab["b"]
    with pytest.raises(InputError, match="belongs to this machine's kernel"):
        tcp.connect(b.ipv4, site.port, netns=a.netns, src=a.ipv4)
    with pytest.raises(InputError, match="own address"):
        tcp.connect(a.ipv4, site.port, netns=a.netns)
    with pytest.raises(InputError, match="wscale 15"):
        tcp.connect(b.ipv4, site.port, netns=a.netns, wscale=15)


TALKER = """
import sys, time
from rawnet import tcp
conn = tcp.connect(sys.argv[1], int(sys.argv[2]), rcvbuf=65536)  # (b keeps data to send)
conn.send(b"GET /file HTTP/1.0\\r\\n\\r\\n")
conn.recv(1000, timeout=5)
print(conn.local[0], conn.mac, flush=True)
time.sleep(60)
"""


def test_sigkill_leaves_nothing_and_no_rst_follows(site: Site, tmp_path: Path) -> None:
    """A process killed mid-download: the interface's MAC filter and multicast groups are as
    before (socket memberships die with the socket), a's tables are untouched, and b's
    segments to the vanished address (its window full, b has data left to send: probes or
    retransmissions) meet silence from a's kernel, not RST."""
    lab = site.lab
    interface = next(iter(lab["a"].interfaces.values())).name
    time.sleep(TIME_WAIT + LINGER + 0.5)  # (the hosts of earlier tests of this process gone)
    before = _tables(lab, "a"), _link_state(lab, interface)
    with tcpdump(lab, "b", next(iter(lab["b"].interfaces.values())).name, "tcp", tmp_path / "kill.pcap"):
        process = lab.popen(
            "a", [sys.executable, "-c", TALKER, lab["b"].ipv4, str(site.port)], stdout=subprocess.PIPE
        )
        assert process.stdout is not None
        address, mac = process.stdout.readline().split()
        process.kill()
        process.wait(10)
        killed = time.time()
        time.sleep(1.5)
    assert _tables(lab, "a") == before[0]
    assert _link_state(lab, interface) == before[1]
    rows = tshark_fields(tmp_path / "kill.pcap", "frame.time_epoch", "ip.dst", "tcp.flags.reset")
    assert not [row for row in rows if row[2] in ("1", "True")]
    after = [row for row in rows if row[1] == address and float(row[0]) > killed]
    assert after, "b sent nothing to the vanished address: the test saw no silence"
    del mac


def _link_state(lab: Lab, interface: str) -> tuple[str, str]:
    """The interface's promiscuity count and its multicast memberships."""
    link = lab.run("a", ["ip", "-d", "link", "show", "dev", interface]).stdout
    promiscuity = link.split("promiscuity ")[1].split()[0]
    return promiscuity, lab.run("a", ["ip", "maddr", "show", "dev", interface]).stdout


def test_no_rst_and_no_forwarding_with_ip_forwarding_on(site: Site, tmp_path: Path) -> None:
    """The virtual host's MAC is not the interface's: a forwarding kernel drops its frames too
    (packet type "otherhost") instead of routing them back out or answering."""
    lab, b = site.lab, site.lab["b"]
    lab.sysctl("a", "net.ipv4.ip_forward", "1")
    try:
        interface = next(iter(b.interfaces.values())).name
        with tcpdump(lab, "b", interface, "tcp or icmp", tmp_path / "fwd.pcap", burst=True):
            _, response = _download(site, b.ipv4)
            time.sleep(0.2)
    finally:
        lab.sysctl("a", "net.ipv4.ip_forward", "0")
    assert sha(body(response)) == site.digest
    rows = tshark_fields(tmp_path / "fwd.pcap", "ip.src", "ip.dst", "icmp.type", "tcp.flags.reset")
    assert not [row for row in rows if row[2] or row[3] in ("1", "True")]
    assert not [row for row in rows if row[0] == row[1]]


def test_without_cap_net_raw_the_error_says_so(site: Site) -> None:
    from tests.privilege import without

    code = f"from rawnet import tcp\ntcp.connect({site.lab['b'].ipv4!r}, {site.port})"
    result = site.lab.run("a", without("net_raw", [sys.executable, "-c", code]))
    assert result.returncode != 0
    assert "PrivilegeError" in result.stderr and "CAP_NET_RAW" in result.stderr


def test_a_hook_that_raises_resets_the_connection_and_says_why(site: Site) -> None:
    a, b = site.lab["a"], site.lab["b"]

    def outgoing(packet: Layer) -> Layer:
        if packet[TCP].payload is not None:
            raise ValueError("no data today")
        return packet

    conn = tcp.connect(b.ipv4, site.port, netns=a.netns, outgoing=outgoing)
    conn.send(get("/file", b.ipv4))
    with pytest.raises(tcp.TCPError, match="the outgoing hook raised ValueError") as caught:
        conn.recv(timeout=5)
    assert isinstance(caught.value.__cause__, ValueError)
    conn.close()


def test_a_hook_calling_the_connections_methods_is_told_it_cannot(site: Site) -> None:
    """A hook runs inside the I/O, holding the host's lock: a call of the connection from it (a
    user answering from the incoming hook) resets the connection and says why, never hangs."""
    a, b = site.lab["a"], site.lab["b"]
    connections: list[tcp.Connection] = []

    def incoming(packet: Layer) -> None:
        if connections and packet[TCP].payload is not None:
            connections[0].send(b"answered from the hook")

    conn = tcp.connect(b.ipv4, site.port, netns=a.netns, incoming=incoming)
    connections.append(conn)
    conn.send(get("/file", b.ipv4))
    with pytest.raises(tcp.TCPError, match="the incoming hook raised RawnetError") as caught:
        conn.recv_all(timeout=10)
    assert "cannot call the connection's methods" in str(caught.value.__cause__)
    conn.close()


def test_listening_twice_on_a_port_is_refused(site: Site) -> None:
    a = site.lab["a"]
    interface = next(iter(a.interfaces.values())).name
    with (
        tcp.listen(8095, interface=interface, netns=a.netns) as server,
        pytest.raises(InputError, match="taken"),
    ):
        tcp.listen(8095, interface=interface, netns=a.netns, address=server.address[0])


def test_eight_asyncio_downloads_at_once(site: Site) -> None:
    """One host, one I/O thread, eight connections interleaved on one event loop."""
    a, b = site.lab["a"], site.lab["b"]

    async def one() -> str:
        conn = await tcp.open_connection(b.ipv4, site.port, netns=a.netns)
        await conn.send(get("/file", b.ipv4))
        parts = []
        while chunk := await conn.recv():
            parts.append(chunk)
        await conn.close()
        return sha(body(b"".join(parts)))

    async def main() -> list[str]:
        return await asyncio.gather(*(one() for _ in range(8)))

    assert asyncio.run(main()) == [site.digest] * 8


KERNEL_DIALER = """
import socket, struct, sys, time
try:
    conn = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
except ConnectionRefusedError:
    print("refused", flush=True)
    sys.exit()
conn.sendall(b"hello")
time.sleep(0.3)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()  # RST
print("reset sent", flush=True)
"""


def test_a_kernel_client_meets_refusal_and_its_rst_is_a_clear_error(site: Site) -> None:
    lab = site.lab
    a = lab["a"]
    interface = next(iter(a.interfaces.values())).name
    with tcp.listen(8097, interface=interface, netns=a.netns) as server:
        address = server.address[0]
        start = time.monotonic()
        refused = lab.run("b", [sys.executable, "-c", KERNEL_DIALER, address, "8098"])  # nobody there
        assert refused.stdout.split() == ["refused"] and time.monotonic() - start < 2
        client = lab.popen(
            "b", [sys.executable, "-c", KERNEL_DIALER, address, "8097"], stdout=subprocess.PIPE
        )
        conn = server.accept(timeout=10)
        assert conn.recv(100, timeout=5) == b"hello"
        with pytest.raises(ConnectionReset, match="connection reset by peer"):
            conn.recv(100, timeout=5)
        out, _ = client.communicate(timeout=10)
        assert out.split() == ["reset", "sent"]
        conn.close()


def test_a_segment_with_malformed_options_is_taken_without_them(site: Site) -> None:
    """A timestamp option whose length runs past the header, checksum right: Linux takes such a
    segment and ignores the options; so does rawnet, and the connection goes on."""
    import ipaddress

    from rawnet import IP, Ether
    from rawnet.net.sockets import RawSocket
    from rawnet.wire.checksum import internet_checksum

    a, b = site.lab["a"], site.lab["b"]
    b_side = next(iter(b.interfaces.values()))
    conn = tcp.connect(b.ipv4, site.port, netns=a.netns)
    options = [("NOP", None), ("NOP", None), ("Timestamp", (1, 2))]
    segment = TCP(sport=site.port, dport=conn.local[1], flags="A", options=options)
    frame = bytearray(
        bytes(Ether(src=b_side.mac, dst=conn.mac) / IP(src=b.ipv4, dst=conn.local[0]) / segment)
    )
    frame[14 + 20 + 20 + 3] = 0xFF  # the timestamp's length: 255
    frame[14 + 20 + 16 : 14 + 20 + 18] = b"\0\0"
    pseudo = b"".join(ipaddress.ip_address(x).packed for x in (b.ipv4, conn.local[0])) + bytes((0, 6, 0, 32))
    frame[14 + 20 + 16 : 14 + 20 + 18] = internet_checksum(pseudo + frame[34:]).to_bytes(2, "big")
    with RawSocket.l2(b_side.name, netns=b.netns) as sock:
        sock.send(bytes(frame))
    conn.send(get("/file", b.ipv4))
    assert sha(body(conn.recv_all(timeout=30))) == site.digest
    assert conn._host.malformed_options == 1
    conn.close()


def test_ctrl_c_in_recv_while_the_io_thread_holds_the_lock_leaves_the_connection_working(site: Site) -> None:
    """The interleaving CI met once in `rawnet http`'s Ctrl-C test: the signal comes while recv()
    takes the host's lock back from the I/O thread (here a thread holding it as a batch does)."""
    b, a = site.lab["b"], site.lab["a"]
    main = threading.get_ident()
    failures: list[BaseException] = []
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with tcp.connect(b.ipv4, site.port, netns=a.netns) as conn:
            lock = conn._host.lock

            def batch() -> None:
                try:
                    time.sleep(0.3)  # recv() waits for data that will not come (no request yet)
                    with lock:
                        lock.notify_all()
                        time.sleep(0.1)
                        signal.pthread_kill(main, signal.SIGINT)
                        time.sleep(0.2)
                except BaseException as error:
                    failures.append(error)

            thread = threading.Thread(target=batch)
            thread.start()
            with pytest.raises(KeyboardInterrupt):
                conn.recv(100, timeout=10)
            thread.join(5)
            assert failures == []
            conn.send(get("/file", b.ipv4))  # the host and its I/O thread go on as before
            response = conn.recv_all(timeout=30)
    finally:
        signal.signal(signal.SIGINT, before)
    assert sha(body(response)) == site.digest
