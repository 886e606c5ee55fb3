"""rawnet ping, traceroute, arping and scan, run inside labs; what they claim checked by what b saw.

The observers: a tcpdump capture in the peer (or router) namespace read back by tshark (the
probes really left, with the right fields and count), real listening sockets and servers in b
(the ports a scan calls open are exactly those), and the kernel's own ICMP answers. Linux
answers at most 6 ICMP errors at once and then one a second; tests that count on every error
turn that limit off inside the lab (net.ipv4.icmp_ratelimit=0).
"""

from __future__ import annotations

import re
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.cli.conftest import (
    RAWNET,
    assert_one_line_error,
    json_lines,
    lines_of,
    rawnet,
    tcpdump,
    tshark_fields,
)

NOBODY = "198.18.1.99"  # in the pair's subnet, but no host has it: nothing answers


@pytest.fixture(scope="module")
def line() -> Iterator[Lab]:
    """a - r1 - b, with r1 and b answering every probe (no ICMP rate limit)."""
    with Lab.line(routers=1) as made:
        for host in ("r1", "b"):
            answer_every_probe(made, host)
        yield made


def answer_every_probe(lab: Lab, host: str) -> None:
    lab.sysctl(host, "net.ipv4.icmp_ratelimit", "0")
    lab.sysctl(host, "net.ipv6.icmp.ratelimit", "0")


def link(lab: Lab, host: str, peer: str) -> str:
    return lab[host].interfaces[peer].name


@contextmanager
def listening(lab: Lab, *ports: int, family: int = socket.AF_INET) -> Iterator[None]:
    """Real TCP servers in b on ``ports`` (the kernel answers a SYN with a SYN-ACK)."""
    servers = []
    try:
        for port in ports:
            server = lab.socket("b", family, socket.SOCK_STREAM)
            servers.append(server)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
            server.listen()
        yield
    finally:
        for server in servers:
            server.close()


@contextmanager
def udp_server(lab: Lab, port: int, *, echo: bool = True, delay: float = 0.0) -> Iterator[list[str]]:
    """A UDP socket bound in b: it echoes each datagram after ``delay`` (or stays silent); yields its log."""
    log: list[str] = []
    sock = lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", port))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            if not select.select([sock], [], [], 0.05)[0]:
                continue
            data, peer = sock.recvfrom(2048)
            log.append(peer[0])
            if echo:
                time.sleep(delay)
                sock.sendto(data or b"hello", peer)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield log
    finally:
        stop.set()
        thread.join()
        sock.close()


def statistics(result: subprocess.CompletedProcess[str]) -> dict[str, object]:
    records = json_lines(result.stdout)
    assert records and records[-1]["type"] == "statistics", result.stdout
    return records[-1]


# -- ping -----------------------------------------------------------------------------------------


def test_ping_sends_count_echoes_with_one_id_and_rising_seq(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    with tcpdump(lab, "b", link(lab, "b", "a"), "icmp", tmp_path / "ping.pcap") as capture:
        result = rawnet(lab, "a", "ping", b.ipv4, "-c", "3", "-i", "0.1", "-t", "33", "-s", "100", "--json")
    assert result.returncode == 0, result.stderr
    replies = [record for record in json_lines(result.stdout) if record["type"] == "reply"]
    assert [record["seq"] for record in replies] == [1, 2, 3]
    assert all(record["from"] == b.ipv4 and record["bytes"] == 108 for record in replies)
    assert all(0 < float(str(record["rtt_ms"])) < 1000 for record in replies)
    stats = statistics(result)
    assert (stats["sent"], stats["received"], stats["loss"]) == (3, 3, 0.0)
    requests = tshark_fields(
        capture, "icmp.ident", "icmp.seq", "ip.ttl", "data.len", display_filter="icmp.type == 8"
    )
    assert [row[1:] for row in requests] == [["1", "33", "100"], ["2", "33", "100"], ["3", "33", "100"]]
    assert len({row[0] for row in requests}) == 1  # one identifier for the run
    assert len(tshark_fields(capture, "icmp.seq", display_filter="icmp.type == 0")) == 3  # b's replies


def test_ping_ipv6_prints_ping_lines_and_statistics(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    with tcpdump(lab, "b", link(lab, "b", "a"), "icmp6", tmp_path / "ping6.pcap") as capture:
        result = rawnet(lab, "a", "ping", b.ipv6, "-c", "2", "-i", "0.1")
    assert result.returncode == 0, result.stderr
    lines = lines_of(result)
    assert lines[0] == f"PING {b.ipv6} ({b.ipv6}): 56(104) bytes of data."
    for seq, text in enumerate(lines[1:3], start=1):
        assert re.fullmatch(rf"64 bytes from {b.ipv6}: icmp_seq={seq} ttl=64 time=\d+\.\d+ ms", text), text
    assert lines[3] == f"--- {b.ipv6} ping statistics ---"
    assert lines[4].startswith("2 packets transmitted, 2 received, 0% packet loss, time ")
    assert re.fullmatch(r"rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms", lines[5])
    assert [
        row[0]
        for row in tshark_fields(capture, "icmpv6.echo.sequence_number", display_filter="icmpv6.type == 128")
    ] == ["1", "2"]


def test_ping_tcp_counts_syn_ack_and_reset_as_alive(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    with (
        tcpdump(lab, "b", link(lab, "b", "a"), "tcp", tmp_path / "tcp.pcap") as capture,
        listening(lab, 8080),
    ):
        open_port = rawnet(lab, "a", "ping", b.ipv4, "--tcp", "-p", "8080", "-c", "2", "-i", "0.1")
        closed_port = rawnet(lab, "a", "ping", b.ipv4, "--tcp", "-p", "8081", "-c", "1", "--json")
    assert open_port.returncode == 0, open_port.stderr
    assert [line.split(": ", 1)[1].split(" ttl=")[0] for line in lines_of(open_port)[1:3]] == [
        "tcp_seq=1 tcp_port=8080 flags=SA",
        "tcp_seq=2 tcp_port=8080 flags=SA",
    ]
    assert closed_port.returncode == 0 and json_lines(closed_port.stdout)[0]["flags"] == "RA"
    syns = tshark_fields(capture, "tcp.dstport", display_filter="tcp.flags == 0x002")
    assert [row[0] for row in syns] == ["8080", "8080", "8081"]  # bare SYNs, one per probe
    answers = tshark_fields(capture, "tcp.flags", display_filter="tcp.srcport == 8080 or tcp.srcport == 8081")
    assert [row[0] for row in answers] == ["0x0012", "0x0012", "0x0014"]  # what b's kernel said


def test_ping_udp_counts_port_unreachable_but_not_silence(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    answer_every_probe(lab, "b")
    with (
        tcpdump(lab, "b", link(lab, "b", "a"), "udp", tmp_path / "udp.pcap") as capture,
        udp_server(lab, 9000, echo=False) as log,
    ):
        closed = rawnet(lab, "a", "ping", b.ipv4, "--udp", "-c", "2", "-i", "0.1", "--json")
        bound = rawnet(lab, "a", "ping", b.ipv4, "--udp", "-p", "9000", "-c", "1", "-W", "0.3")
    assert closed.returncode == 0, closed.stderr
    assert [record.get("answer") for record in json_lines(closed.stdout)[:2]] == ["port-unreachable"] * 2
    assert bound.returncode == 1 and "1 packets transmitted, 0 received, 100% packet loss" in bound.stdout
    assert log == [lab["a"].ipv4]  # the silent server got the probe: silence, not loss
    ports = [row[0] for row in tshark_fields(capture, "udp.dstport")]
    assert ports == ["33434", "33434", "9000"]


def test_ping_timeout_a_reply_after_w_is_lost(lab: Lab) -> None:
    b = lab["b"]
    with udp_server(lab, 9001, delay=0.4) as log:
        late = rawnet(lab, "a", "ping", b.ipv4, "--udp", "-p", "9001", "-c", "1", "-W", "0.15")
        waited = rawnet(lab, "a", "ping", b.ipv4, "--udp", "-p", "9001", "-c", "1", "-W", "2", "--json")
    assert len(log) == 2
    assert late.returncode == 1 and "0 received" in late.stdout
    assert waited.returncode == 0 and json_lines(waited.stdout)[0]["answer"] == "udp"
    assert float(str(json_lines(waited.stdout)[0]["rtt_ms"])) >= 390  # the server's delay


def test_ping_to_an_address_nobody_has_exits_1_with_full_loss(lab: Lab) -> None:
    result = rawnet(lab, "a", "ping", NOBODY, "-c", "2", "-i", "0.1", "-W", "0.3")
    assert result.returncode == 1
    assert "2 packets transmitted, 0 received, 100% packet loss" in result.stdout
    assert "rtt" not in result.stdout


def test_ping_ctrl_c_prints_the_statistics(lab: Lab) -> None:
    process = lab.popen(
        "a",
        [*RAWNET, "ping", lab["b"].ipv4, "-c", "0", "-i", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        assert process.stdout.readline().startswith("PING ")
        assert " bytes from " in process.stdout.readline()  # running, and answered
        process.send_signal(signal.SIGINT)
        rest, errors = process.communicate(timeout=5)
    finally:
        process.kill()
    assert process.returncode == 0, errors
    assert f"--- {lab['b'].ipv4} ping statistics ---" in rest and "packets transmitted" in rest


# -- traceroute -----------------------------------------------------------------------------------


def test_traceroute_udp_finds_r1_then_b_and_stops(line: Lab, tmp_path: Path) -> None:
    r1, b = line["r1"], line["b"]
    with tcpdump(line, "r1", link(line, "r1", "a"), "udp", tmp_path / "trace.pcap") as capture:
        result = rawnet(line, "a", "traceroute", b.ipv4, "-n", "-w", "1")
    assert result.returncode == 0, result.stderr
    lines = lines_of(result)
    assert lines[0] == f"traceroute to {b.ipv4} ({b.ipv4}), 30 hops max, 60 byte packets"
    assert re.fullmatch(rf" 1  {r1.interfaces['a'].ipv4}(  \d+\.\d{{3}} ms){{3}}", lines[1]), lines[1]
    assert re.fullmatch(rf" 2  {b.ipv4}(  \d+\.\d{{3}} ms){{3}}", lines[2]), lines[2]
    assert len(lines) == 3  # it stopped at the destination
    probes = tshark_fields(capture, "ip.ttl", "udp.dstport")
    assert [row[0] for row in probes] == ["1", "1", "1", "2", "2", "2"]
    assert [int(row[1]) for row in probes] == list(range(33434, 33440))


def test_traceroute_icmp_and_tcp_with_json(line: Lab, tmp_path: Path) -> None:
    r1, b = line["r1"], line["b"]
    icmp = rawnet(line, "a", "traceroute", "-I", b.ipv4, "-q", "2", "-w", "1", "--json")
    assert icmp.returncode == 0, icmp.stderr
    hops = json_lines(icmp.stdout)
    assert [hop["ttl"] for hop in hops[:-1]] == [1, 2]
    assert [[probe["from"] for probe in hop["probes"]] for hop in hops[:-1]] == [
        [r1.interfaces["a"].ipv4] * 2,
        [b.ipv4] * 2,
    ]
    assert [hops[0]["probes"][0]["answer"], hops[1]["probes"][0]["answer"]] == ["time-exceeded", "echo-reply"]
    assert hops[-1] == {
        "type": "statistics",
        "destination": b.ipv4,
        "reached": True,
        "hops": 2,
        "sent": 4,
        "received": 4,
    }
    with (
        tcpdump(line, "b", link(line, "b", "r1"), "tcp", tmp_path / "tcp.pcap") as capture,
        listening(line, 2222),
    ):
        tcp = rawnet(line, "a", "traceroute", "-T", "-p", "2222", b.ipv4, "-q", "1", "-w", "1", "--json")
    assert tcp.returncode == 0, tcp.stderr
    assert [hop["probes"][0].get("answer") for hop in json_lines(tcp.stdout)[:-1]] == ["time-exceeded", "SA"]
    syns = tshark_fields(capture, "tcp.dstport", "ip.ttl", display_filter="tcp.flags == 0x002")
    assert syns == [["2222", "1"]]  # only the TTL-2 probe reached b (r1 took one off)


def test_traceroute_ipv6(line: Lab) -> None:
    r1, b = line["r1"], line["b"]
    result = rawnet(line, "a", "traceroute", b.ipv6, "-q", "1", "-w", "1")
    assert result.returncode == 0, result.stderr
    hops = [text.split()[:2] for text in lines_of(result)[1:]]
    assert hops == [["1", r1.interfaces["a"].ipv6], ["2", b.ipv6]]


def test_traceroute_that_runs_out_of_hops_exits_1(line: Lab) -> None:
    result = rawnet(line, "a", "traceroute", line["b"].ipv4, "-m", "1", "-q", "1", "-w", "1")
    assert result.returncode == 1
    assert [text.split()[:2] for text in lines_of(result)[1:]] == [["1", line["r1"].interfaces["a"].ipv4]]


# -- arping ---------------------------------------------------------------------------------------


def test_arping_reports_bs_mac(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    with tcpdump(lab, "b", link(lab, "b", "a"), "arp", tmp_path / "arp.pcap") as capture:
        result = rawnet(
            lab, "a", "arping", b.ipv4, "-I", link(lab, "a", "b"), "-c", "2", "-i", "0.1", "--json"
        )
    assert result.returncode == 0, result.stderr
    replies = [record for record in json_lines(result.stdout) if record["type"] == "reply"]
    assert [record["mac"] for record in replies] == [b.interfaces["a"].mac.lower()] * 2
    assert (statistics(result)["sent"], statistics(result)["received"]) == (2, 2)
    # (broadcasts: the kernels' own unicast ARP probes of a stale neighbour entry left out)
    requests = tshark_fields(
        capture,
        "arp.src.hw_mac",
        "arp.dst.proto_ipv4",
        display_filter="arp.opcode == 1 and eth.dst == ff:ff:ff:ff:ff:ff",
    )
    assert requests == [[lab["a"].interfaces["b"].mac, b.ipv4]] * 2
    answers = tshark_fields(
        capture, "arp.src.hw_mac", display_filter=f"arp.opcode == 2 and arp.src.proto_ipv4 == {b.ipv4}"
    )
    assert len(answers) >= 2 and {row[0] for row in answers} == {b.interfaces["a"].mac}


def test_arping_ipv6_sends_a_neighbour_solicitation(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    with tcpdump(lab, "b", link(lab, "b", "a"), "icmp6", tmp_path / "ns.pcap") as capture:
        result = rawnet(lab, "a", "arping", b.ipv6, "-I", link(lab, "a", "b"), "-c", "1")
    assert result.returncode == 0, result.stderr
    mac = b.interfaces["a"].mac.upper()
    assert re.fullmatch(rf"Unicast reply from {b.ipv6} \[{mac}\]  \d+\.\d{{3}}ms", lines_of(result)[1])
    assert lines_of(result)[-2:] == ["Sent 1 probes (1 multicast(s))", "Received 1 response(s)"]
    # (multicast from a: the kernels' own unicast NUD probes left out)
    ours = f"icmpv6.type == 135 and ipv6.src == {lab['a'].ipv6} and ipv6.dst == ff00::/8"
    solicitations = tshark_fields(capture, "ipv6.dst", "icmpv6.nd.ns.target_address", display_filter=ours)
    assert solicitations == [["ff02::1:ff00:2", b.ipv6]]  # the solicited-node group of ...::2


def test_arping_unanswered_exits_1(lab: Lab) -> None:
    result = rawnet(lab, "a", "arping", NOBODY, "-c", "1", "-w", "0.3")  # interface from the route
    assert result.returncode == 1
    assert lines_of(result)[-1] == "Received 0 response(s)"


# -- scan -----------------------------------------------------------------------------------------


def test_syn_scan_open_ports_are_exactly_the_listening_ones(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    syn_only = "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"
    with (
        tcpdump(lab, "b", link(lab, "b", "a"), syn_only, tmp_path / "scan.pcap") as capture,
        listening(lab, 8003, 8007),
    ):
        result = rawnet(lab, "a", "scan", b.ipv4, "-p", "8000-8009,22", "--json")
        table = rawnet(lab, "a", "scan", b.ipv4, "-p", "8000-8009", "--open")
    assert result.returncode == 0, result.stderr
    ports = {record["port"]: record for record in json_lines(result.stdout) if record["type"] == "port"}
    assert sorted(ports) == [22, *range(8000, 8010)]
    assert {port for port, record in ports.items() if record["state"] == "open"} == {8003, 8007}
    assert {record["state"] for port, record in ports.items() if port not in (8003, 8007)} == {"closed"}
    assert ports[22]["service"] == "ssh" and ports[8003]["reason"] == "syn-ack"
    stats = statistics(result)
    assert (stats["open"], stats["closed"], stats["host_up"]) == (2, 9, True)
    assert table.returncode == 0
    lines = lines_of(table)
    assert lines[lines.index("PORT     STATE SERVICE") :][1:3] == [
        "8003/tcp open  unknown",
        "8007/tcp open  unknown",
    ]
    assert "Not shown: 8 closed tcp ports (reset)" in lines
    scanned = [int(row[0]) for row in tshark_fields(capture, "tcp.dstport")]
    assert sorted(scanned) == sorted([22, *range(8000, 8010), *range(8000, 8010)])  # each port once per scan


def test_syn_and_udp_scans_see_firewalled_ports_as_filtered(tmp_path: Path) -> None:
    with Lab.pair() as lab:
        b = lab["b"]
        # A router answers a prohibit rule with ICMP 3/13 (at most 5 at once, then one a second;
        # icmp_ratelimit=0 would empty the bucket they share with port unreachables).
        lab.sysctl("b", "net.ipv4.ip_forward", "1")
        for rule in (
            "pref 10 ipproto tcp dport 9999 blackhole",  # dropped without a word
            "pref 11 ipproto tcp dport 9998 prohibit",  # ICMP packet filtered
            "pref 12 ipproto udp dport 9997 prohibit",
            "pref 100 lookup local",  # (the rules above must come before the local table)
        ):
            lab.run("b", ["ip", "rule", "add", *rule.split()], check=True)
        lab.run("b", ["ip", "rule", "del", "pref", "0"], check=True)
        with tcpdump(lab, "b", link(lab, "b", "a"), "tcp dst port 9999", tmp_path / "drop.pcap") as capture:
            syn = rawnet(
                lab, "a", "scan", b.ipv4, "-p", "9996,9998,9999", "-w", "0.3", "--retries", "1", "--json"
            )
        udp = rawnet(lab, "a", "scan", b.ipv4, "-sU", "-p", "9996,9997", "-w", "0.3", "--json")
    assert syn.returncode == 0, syn.stderr
    states = {record["port"]: (record["state"], record["reason"]) for record in json_lines(syn.stdout)[:-1]}
    assert states == {
        9996: ("closed", "reset"),
        9998: ("filtered", "packet-filtered"),
        9999: ("filtered", "no-response"),
    }
    assert len(tshark_fields(capture, "tcp.seq_raw")) == 2  # the silent port's SYN, sent again once
    udp_states = {record["port"]: record["state"] for record in json_lines(udp.stdout)[:-1]}
    assert udp_states == {9996: "closed", 9997: "filtered"}


def test_udp_scan_open_closed_and_open_filtered(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    answer_every_probe(lab, "b")
    with (
        tcpdump(lab, "b", link(lab, "b", "a"), "udp", tmp_path / "udp.pcap") as capture,
        udp_server(lab, 7007) as echo_log,
        udp_server(lab, 7009, echo=False) as silent_log,
    ):
        result = rawnet(
            lab, "a", "scan", b.ipv4, "-sU", "-p", "7000-7019", "-w", "0.3", "--retries", "0", "--json"
        )
    assert result.returncode == 0, result.stderr
    states = {record["port"]: record["state"] for record in json_lines(result.stdout)[:-1]}
    assert states == {**dict.fromkeys(range(7000, 7020), "closed"), 7007: "open", 7009: "open|filtered"}
    assert echo_log == silent_log == [lab["a"].ipv4]
    assert sorted(
        int(row[0])
        for row in tshark_fields(capture, "udp.dstport", display_filter=f"ip.src == {lab['a'].ipv4}")
    ) == list(range(7000, 7020))


def test_scan_rate_spaces_the_probes(lab: Lab, tmp_path: Path) -> None:
    with tcpdump(
        lab, "b", link(lab, "b", "a"), "tcp[tcpflags] == tcp-syn", tmp_path / "rate.pcap"
    ) as capture:
        result = rawnet(lab, "a", "scan", lab["b"].ipv4, "-p", "6000-6009", "--rate", "25")
    assert result.returncode == 0, result.stderr
    assert "Not shown" not in result.stdout and "6009/tcp closed" in result.stdout
    times = [float(row[0]) for row in tshark_fields(capture, "frame.time_relative")]
    assert len(times) == 10 and times[-1] - times[0] >= 0.33  # 9 gaps of 40 ms, less capture jitter


def test_scan_of_a_host_that_answers_nothing_exits_1(lab: Lab) -> None:
    result = rawnet(lab, "a", "scan", NOBODY, "-p", "80,443", "-w", "0.3", "--retries", "0")
    assert result.returncode == 1
    assert "Note: Host seems down: it answered no probe." in result.stdout
    assert "80/tcp  filtered http" in result.stdout


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["ping", "999.1.1.1"], ["rawnet ping", "999.1.1.1"]),
        (["ping", "198.18.1.2", "-c", "-1"], ["-c"]),
        (["ping", "198.18.1.2", "-t", "0"], ["-t"]),
        (["ping", "198.18.1.2", "-W", "0"], ["-W"]),
        (["ping", "198.18.1.2", "-p", "80"], ["--tcp or --udp"]),
        (["ping", "-6", "198.18.1.2"], ["not an IPv6 address"]),
        (["ping", "198.18.1.2", "--tcp", "-p", "70000"], ["-p"]),
        (["traceroute", "198.18.1.300"], ["rawnet traceroute", "198.18.1.300"]),
        (["traceroute", "198.18.1.2", "-f", "5", "-m", "2"], ["beyond the max TTL"]),
        (["traceroute", "198.18.1.2", "-q", "0"], ["-q"]),
        (["traceroute", "198.18.1.2", "-I", "-p", "80"], ["-p PORT"]),
        (["arping", "198.18.1.2", "-I", "nosuch"], ["rawnet arping", "no interface named 'nosuch'"]),
        (["arping", "198.18.1.2", "-I", "lo"], ["loopback"]),
        (["arping", "1.2.3.4.5"], ["1.2.3.4.5"]),
        (["arping", "198.18.1.2", "-c", "-1"], ["-c"]),
        (["scan", "198.18.1.2", "-p", "70000"], ["rawnet scan", "70000"]),
        (["scan", "198.18.1.2", "-p", "++80"], ["no + or ++"]),
        (["scan", "198.18.1.2", "-p", "80", "--rate", "0"], ["--rate"]),
        (["scan", "198.18.1.2", "-p", "80", "--retries", "-1"], ["--retries"]),
        (["scan", "198.18.1.2.", "-p", "80"], ["198.18.1.2."]),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(lab: Lab, args: list[str], words: list[str]) -> None:
    assert_one_line_error(rawnet(lab, "a", *args), 2, *words)


@pytest.mark.parametrize("command", ["ping", "traceroute", "arping", "scan"])
def test_without_cap_net_raw_it_is_one_line_and_exit_3(lab: Lab, command: str) -> None:
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *RAWNET, command, lab["b"].ipv4]
    assert_one_line_error(lab.run("a", argv, timeout=30), 3, f"rawnet {command}", "CAP_NET_RAW")
