"""rawnet send, end to end in a lab pair: what "a" sends, as "b" sees it.

The observers are b's side: a tcpdump capture read back by tshark (with checksum checks on),
b's kernel counters (/proc/net/snmp, snmp6), and real sockets in b that receive what was sent.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rawnet import DNS
from rawnet.net.lab import Lab
from tests.cli.conftest import (
    RAWNET,
    assert_one_line_error,
    interrupt,
    json_lines,
    lines_of,
    rawnet,
    sigint_ignored,
    tcpdump,
    tshark_fields,
)
from tests.cli.probe_helpers import udp_server
from tests.privilege import without

SEED_PAYLOAD = b"GET /att/DIYLife/41264/528 HTTP/1.1\r\nHost: 198.18.1.2\r\nAccept-Encoding: identity\r\n\r\n"


def tshark(path: Path, *fields: str, display_filter: str = "") -> list[list[str]]:
    """tshark's fields for each packet, checksums verified (their .status: 1 good, 0 bad)."""
    return tshark_fields(path, *fields, display_filter=display_filter, checked=True)


def counters(lab: Lab, host: str) -> dict[str, int]:
    """b's kernel counters: /proc/net/snmp as "Proto.Name", /proc/net/snmp6 as "Name"."""
    found: dict[str, int] = {}
    lines = lab.run(host, ["cat", "/proc/net/snmp"], check=True).stdout.splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=True):
        proto, _, keys = names.partition(": ")
        for key, value in zip(keys.split(), values.partition(": ")[2].split(), strict=True):
            found[f"{proto}.{key}"] = int(value)
    for line in lab.run(host, ["cat", "/proc/net/snmp6"], check=True).stdout.splitlines():
        key, value = line.split()
        found[key] = int(value)
    return found


@pytest.fixture
def capture(lab: Lab, tmp_path: Path) -> Iterator[Path]:
    """tcpdump in b on its veth, of everything from a's addresses (IPv4, IPv6, and the spoofed one)."""
    a = lab["a"]
    expression = f"src host {a.ipv4} or src host {a.ipv6} or src host 198.18.1.99"
    with tcpdump(lab, "b", lab["b"].interfaces["a"].name, expression, tmp_path / "b.pcap") as path:
        yield path


def send(lab: Lab, *args: str, timeout: float = 15) -> subprocess.CompletedProcess[str]:
    return rawnet(lab, "a", "send", *args, timeout=timeout)


def seed_command_line() -> list[str]:
    """The seed's example of --help, as documented (its continuation line joined)."""
    out = rawnet(None, "", "send", "--help").stdout.splitlines()
    start = next(index for index, line in enumerate(out) if "-s 55968" in line)
    text = out[start].rstrip().removesuffix("\\") + " " + out[start + 1]
    words = shlex.split(text)
    assert words[:2] == ["rawnet", "send"]
    return words[2:]


# -- what leaves, as b sees it -------------------------------------------------------------------


def test_the_seeds_command_line_sends_what_the_seeds_script_sends(lab: Lab, capture: Path) -> None:
    assert (lab["a"].ipv4, lab["b"].ipv4) == ("198.18.1.1", "198.18.1.2")  # the addresses it names
    args = seed_command_line()
    result = send(lab, *args)
    assert result.returncode == 0, result.stderr  # b's kernel answers RST
    assert "5 packets transmitted, 5 packets received" in result.stdout
    fields = (
        "ip.src",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.seq_raw",
        "tcp.ack_raw",
        "tcp.flags",
        "tcp.window_size_value",
    )
    rows = tshark(
        capture, *fields, "tcp.payload", "tcp.checksum.status", "ip.checksum.status", display_filter="tcp"
    )
    assert len(rows) == 5
    assert [int(row[3]) for row in rows] == [1, 2, 3, 4, 5]
    for row in rows:
        assert row[:3] == ["198.18.1.1", "55968", "80"]
        assert (row[4], row[5], row[6]) == ("1", "0x0018", "64")
        assert bytes.fromhex(row[7].replace(":", "")) == SEED_PAYLOAD
        assert row[8:] == ["1", "1"], "checksums good"


def test_a_spoofed_source_leaves_as_given(lab: Lab, capture: Path) -> None:
    result = send(
        lab, lab["b"].ipv4, "-a", "198.18.1.99", "--udp", "-p", "9", "--payload", "x", "-c", "2", "-i", "0"
    )
    assert result.returncode == 1, result.stderr  # the replies go to 198.18.1.99: none seen (hping3: 1)
    rows = tshark(capture, "ip.src", "udp.checksum.status", display_filter="udp")
    assert rows == [["198.18.1.99", "1"]] * 2


def test_udp_reaches_a_real_socket_with_its_payload(lab: Lab) -> None:
    server = lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((lab["b"].ipv4, 9999))
    server.settimeout(3)
    with server:
        result = send(
            lab, lab["b"].ipv4, "--udp", "-s", "4000", "-p", "9999", "--payload", r"hi\n", "-c", "3", "-i0"
        )
        assert result.returncode == 1, result.stderr  # the server answers nothing: no reply
        got = [server.recvfrom(100) for _ in range(3)]
    assert got == [(b"hi\n", (lab["a"].ipv4, 4000))] * 3


def test_dns_sends_a_query_a_real_socket_reads_as_dns(lab: Lab) -> None:
    server = lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((lab["b"].ipv4, 53))
    server.settimeout(3)
    with server:
        result = send(lab, lab["b"].ipv4, "--dns", "example.com", "--dns-type", "AAAA", "-c", "2", "-i0")
        assert result.returncode == 1, result.stderr  # the server answers nothing: no reply
        got = [server.recvfrom(512) for _ in range(2)]
    for data, _ in got:
        query = DNS.decode(data)
        assert (query.qr, query.rd, query.qdcount, query.ancount) == (0, 1, 1, 0)
        assert (query.qd[0].qname, query.qd[0].qtype, query.qd[0].qclass) == (b"example.com.", 28, 1)
    assert got[0][0] == got[1][0]  # one query, one id, for the whole run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--dns", "example.com", "--icmp"), "--dns sends a DNS query over UDP"),
        (("--dns", "example.com", "--payload", "x"), "--dns gives the data"),
        (("--dns", "example.com", "--dns-type", "BOGUS"), "--dns-type"),
        (("--dns", "a..b"), "--dns"),
        (("--dns-type", "A"), "give --dns NAME"),
    ],
)
def test_dns_option_mistakes_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = rawnet(None, "", "send", "198.18.1.2", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_ipv6_udp_reaches_a_real_socket(lab: Lab) -> None:
    server = lab.socket("b", socket.AF_INET6, socket.SOCK_DGRAM)
    server.bind((lab["b"].ipv6, 9998))
    server.settimeout(3)
    with server:
        result = send(lab, lab["b"].ipv6, "--udp", "-p", "9998", "--hex", "ca:fe", "-c", "2", "-i", "0")
        assert result.returncode == 1, result.stderr  # no reply
        assert [server.recvfrom(100)[0] for _ in range(2)] == [b"\xca\xfe"] * 2


@pytest.mark.parametrize(
    ("family", "args", "counter"),
    [
        ("ipv4", ("--icmp",), "Icmp.InEchos"),
        ("ipv6", ("--icmp",), "Icmp6InEchos"),
        ("ipv4", ("--raw-ip", "253", "--hex", "cafe"), "Ip.InUnknownProtos"),
        ("ipv6", ("--raw-ip", "253", "--hex", "cafe"), "Ip6InUnknownProtos"),
    ],
)
def test_icmp_and_raw_ip_reach_bs_kernel(lab: Lab, family: str, args: tuple[str, ...], counter: str) -> None:
    dst = lab["b"].ipv4 if family == "ipv4" else lab["b"].ipv6
    before = counters(lab, "b")[counter]
    result = send(lab, dst, *args, "-c", "3", "-i", "10ms")
    assert result.returncode == 0, result.stderr
    assert counters(lab, "b")[counter] - before == 3


def test_raw_ip_carries_its_protocol_number_and_only_the_payload(lab: Lab, capture: Path) -> None:
    result = send(lab, lab["b"].ipv4, "--raw-ip", "253", "--hex", "cafe", "-c", "1")
    assert result.returncode == 0, result.stderr
    rows = tshark(
        capture, "ip.proto", "ip.len", "data.data", "ip.checksum.status", display_filter="ip.proto == 253"
    )
    assert [[row[0], row[1], row[2].replace(":", ""), row[3]] for row in rows] == [["253", "22", "cafe", "1"]]


def test_plus_plus_ports_count_up_per_packet(lab: Lab, capture: Path) -> None:
    result = send(lab, lab["b"].ipv4, "-S", "-s", "40000", "-p", "++1000", "-c", "5", "-i", "0")
    assert result.returncode == 0, result.stderr
    rows = tshark(
        capture, "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.checksum.status", display_filter="tcp"
    )
    assert rows == [["40000", str(port), "0x0002", "1"] for port in range(1000, 1005)]


def test_the_default_source_port_counts_up_as_hping3s(lab: Lab, capture: Path) -> None:
    result = send(lab, lab["b"].ipv4, "-S", "-p", "80", "-c", "3", "-i", "0")
    assert result.returncode == 0, result.stderr
    ports = [int(row[0]) for row in tshark(capture, "tcp.srcport", display_filter="tcp")]
    assert len(ports) == 3 and all((b - a) % 65536 == 1 for a, b in itertools.pairwise(ports))


@pytest.mark.parametrize(("spec", "ports"), [("20-23", [20, 21, 22, 23]), ("22,80,443", [22, 80, 443])])
def test_a_port_list_sends_one_packet_per_port(lab: Lab, capture: Path, spec: str, ports: list[int]) -> None:
    result = send(lab, lab["b"].ipv4, "--udp", "-p", spec, "-i", "0")  # no -c: one each
    assert result.returncode == 0, result.stderr
    assert [int(row[0]) for row in tshark(capture, "udp.dstport", display_filter="udp")] == ports


def test_ttl_id_and_dont_fragment(lab: Lab, capture: Path) -> None:
    result = send(
        lab, lab["b"].ipv4, "--udp", "-p", "9", "-t", "7", "-N", "4242", "--df", "-c", "2", "-i", "0"
    )
    assert result.returncode == 0, result.stderr
    rows = tshark(capture, "ip.ttl", "ip.id", "ip.flags.df", "ip.checksum.status", display_filter="udp")
    assert rows == [["7", "0x1092", "1", "1"]] * 2


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv6"])
def test_fragments_are_reassembled_by_b_into_the_datagram(lab: Lab, capture: Path, family: int) -> None:
    dst = lab["b"].ipv4 if family == socket.AF_INET else lab["b"].ipv6
    server = lab.socket("b", family, socket.SOCK_DGRAM)
    server.bind((dst, 9997))
    server.settimeout(3)
    with server:
        result = send(
            lab, dst, "--udp", "-p", "9997", "--payload", "abc", "-d", "3000", "-m", "1000", "-c", "2", "-i0"
        )
        assert result.returncode == 1, result.stderr  # no reply
        assert [server.recv(65535) for _ in range(2)] == [b"abc" + b"X" * 2997] * 2  # hping3's filler
    offsets = "ip.frag_offset" if family == socket.AF_INET else "ipv6.fraghdr.offset"
    rows = tshark(capture, offsets, display_filter="ip.flags.mf == 1 or ip.frag_offset > 0 or ipv6.fraghdr")
    assert [int(row[0]) for row in rows] == [
        0,
        125,
        250,
        375,
    ] * 2  # 3008 bytes in 1000-byte pieces (8-byte units)


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_layer_2_frames_carry_the_labs_macs(lab: Lab, capture: Path, family: str) -> None:
    a, b = lab["a"], lab["b"]
    dst = b.ipv4 if family == "ipv4" else b.ipv6
    result = send(
        lab, dst, "-I", a.interfaces["b"].name, "--udp", "-p", "9", "--payload", "l2", "-c", "2", "-i", "0"
    )
    assert result.returncode == 0, result.stderr
    rows = tshark(capture, "eth.src", "eth.dst", "udp.checksum.status", display_filter="udp")
    assert rows == [[a.interfaces["b"].mac, b.interfaces["a"].mac, "1"]] * 2


def test_interval_paces_by_deadline(lab: Lab, capture: Path) -> None:
    result = send(lab, lab["b"].ipv4, "--udp", "-p", "9", "-c", "5", "-i", "u100000")
    assert result.returncode == 0, result.stderr
    times = [float(row[0]) for row in tshark(capture, "frame.time_relative", display_filter="udp")]
    assert len(times) == 5
    assert 0.35 <= times[-1] - times[0] <= 0.6, times
    assert all(0.05 <= later - earlier <= 0.2 for earlier, later in itertools.pairwise(times)), times


def test_flood_sends_count_packets(lab: Lab) -> None:
    before = counters(lab, "b")["Tcp.InSegs"]
    result = send(lab, lab["b"].ipv4, "-S", "-p", "80", "--flood", "-c", "3000")
    assert result.returncode == 0, result.stderr
    assert "3000 packets sent" in result.stdout
    assert counters(lab, "b")["Tcp.InSegs"] - before == 3000


@pytest.mark.parametrize("layer", ["3", "2"])
@pytest.mark.parametrize("workers", ["1", "2"])
def test_flood_on_the_engine_sends_count_packets_with_their_bytes(
    lab: Lab, tmp_path: Path, layer: str, workers: str
) -> None:
    # The engine replays one cycle of what varies (hping3's source port counting up, a random
    # seq table): b's tcpdump sees exactly -c segments, each with a good checksum, and the
    # source ports a counter gives, however the packets were shared between the workers.
    where = ["-I", lab["a"].interfaces["b"].name] if layer == "2" else []
    interface = lab["b"].interfaces["a"].name
    with tcpdump(lab, "b", interface, "tcp dst port 80", tmp_path / "b.pcap", burst=True) as capture:
        result = send(lab, lab["b"].ipv4, *where, "-S", "-p", "80", "-s", "++40000", "--flood", "-c", "3000",
                      "--workers", workers)  # fmt: skip
        time.sleep(0.5)  # (the last frames written)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^3000 packets sent in .*, 0 send errors$", result.stdout, re.MULTILINE), result.stdout
    rows = tshark(capture, "tcp.srcport", "tcp.checksum.status", display_filter="tcp.dstport == 80")
    assert len(rows) == 3000
    assert {status for _, status in rows} == {"1"}
    assert sorted(int(port) for port, _ in rows) == list(range(40000, 43000))


def test_a_paced_flood_keeps_its_rate(lab: Lab) -> None:
    # --flood --rate: deadlines from the start, so 2000 packets at 1000/s take 2 s (within 1%)
    result = send(lab, lab["b"].ipv4, "--udp", "-p", "9", "--flood", "--rate", "1000", "-c", "2000", "--json")
    assert result.returncode == 0, result.stderr
    statistics = json_lines(result.stdout)[-1]
    assert statistics["sent"] == 2000 and statistics["errors"] == 0
    assert 1.98 <= statistics["seconds"] <= 2.02, statistics


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--workers", "2"), ("--workers", "--flood")),
        (("--duration", "1"), ("--duration", "--flood")),
        (("--flood", "--qdisc-bypass"), ("--qdisc-bypass", "-I")),
        (("--flood", "--tx-method", "ring"), ("ring", "-I")),
        (("--flood", "--workers", "2", "-f"), ("--workers", "fragments")),
    ],
)
def test_engine_options_need_a_flood_it_can_take(
    lab: Lab, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    assert_one_line_error(send(lab, lab["b"].ipv4, "--udp", "-p", "9", "-c", "10", *args), 2, *words)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_flood_prints_its_statistics(lab: Lab, stop: signal.Signals) -> None:
    process = lab.popen(
        "a",
        [*RAWNET, "send", lab["b"].ipv4, "--udp", "-p", "9", "--flood"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    while "flood mode" not in process.stderr.readline():  # it is sending
        pass
    process.send_signal(stop)
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0, out
    sent = re.search(r"^(\d+) packets sent in \d+\.\d+ s", out, re.MULTILINE)
    assert "statistics ---" in out and sent is not None and int(sent[1]) >= 1, out


def _interrupted_flood(lab: Lab, times: int, **options: Any) -> tuple[int, str]:
    """A flood, then ``times`` quick SIGINTs once it is sending: exit code, stdout."""
    process = lab.popen(
        "a",
        [*RAWNET, "send", lab["b"].ipv4, "--udp", "-p", "9", "--flood"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **options,
    )
    assert process.stderr is not None
    try:
        while "flood mode" not in process.stderr.readline():  # it is sending
            pass
        interrupt(process, times)
        out, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    return process.returncode, out


def test_two_quick_ctrl_cs_still_print_the_statistics(lab: Lab) -> None:
    # The second SIGINT used to land while the statistics were printed (7 runs in 10): exit 130
    # and no statistics. As hping3, the first stops the run and those that follow are ignored.
    for _ in range(5):
        code, out = _interrupted_flood(lab, 2)
        assert code == 0, out
        assert "statistics ---" in out and re.search(r"^\d+ packets sent in ", out, re.MULTILINE), out


def test_two_ctrl_cs_at_a_terminal_end_a_flood_of_workers_with_its_statistics(lab: Lab) -> None:
    # A terminal's Ctrl-C reaches the whole process group: rawnet and its sending workers. The
    # second one used to kill rawnet (exit -2) after the statistics, as Python exits.
    process = lab.popen(
        "a",
        [*RAWNET, "send", lab["b"].ipv4, "--udp", "-p", "9", "--flood", "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stderr is not None
    try:
        while "flood mode" not in process.stderr.readline():  # it is sending
            pass
        time.sleep(0.3)
        for _ in range(2):
            os.killpg(process.pid, signal.SIGINT)
            time.sleep(0.05)
        out, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, out
    assert re.search(r"^\d+ packets sent in .*, 0 send errors$", out, re.MULTILINE), out


def test_started_with_sigint_ignored_it_still_stops_on_ctrl_c(lab: Lab) -> None:
    # A script's background job inherits SIGINT ignored; rawnet puts Python's handler back.
    code, out = _interrupted_flood(lab, 1, preexec_fn=sigint_ignored)
    assert code == 0, out
    assert "statistics ---" in out


# -- replies -------------------------------------------------------------------------------------


@pytest.mark.parametrize("family", [socket.AF_INET, socket.AF_INET6], ids=["ipv4", "ipv6"])
def test_replies_show_the_syn_ack_of_a_real_server(lab: Lab, family: int) -> None:
    dst = lab["b"].ipv4 if family == socket.AF_INET else lab["b"].ipv6
    server = lab.socket("b", family, socket.SOCK_STREAM)
    server.bind((dst, 8080))
    server.listen()
    with server:
        result = send(lab, dst, "-S", "-p", "8080", "-c", "1")
    assert result.returncode == 0, result.stderr
    replies = [line for line in lines_of(result) if line.startswith("len=")]
    assert len(replies) == 1, result.stdout
    assert f"ip={dst} " in replies[0] and "sport=8080 flags=SA seq=0 " in replies[0]
    assert replies[0].endswith(" ms") and " rtt=" in replies[0]
    assert "1 packets transmitted, 1 packets received, 0% packet loss" in result.stdout
    assert "round-trip min/avg/max" in result.stdout


def test_replies_show_the_rst_of_a_closed_port(lab: Lab) -> None:
    result = send(lab, lab["b"].ipv4, "-S", "-p", "8081", "-c", "2", "-i", "10ms")
    assert result.returncode == 0, result.stderr
    replies = [line for line in lines_of(result) if line.startswith("len=")]
    assert [reply.split(" flags=")[1].split()[:2] for reply in replies] == [["RA", "seq=0"], ["RA", "seq=1"]]


def test_quiet_prints_only_the_statistics(lab: Lab) -> None:
    # As hping3 -q: the replies are counted, not shown.
    result = send(lab, lab["b"].ipv4, "-S", "-p", "8081", "-c", "2", "-i", "10ms", "-q")
    assert result.returncode == 0, result.stderr
    assert not [line for line in lines_of(result) if line.startswith(("len=", "DUP!"))], result.stdout
    assert "2 packets transmitted, 2 packets received, 0% packet loss" in result.stdout


def test_plus_port_counts_up_per_reply(lab: Lab, capture: Path) -> None:
    result = send(lab, lab["b"].ipv4, "-S", "-p", "+8090", "-c", "3", "-i", "0.1")
    assert result.returncode == 0, result.stderr
    assert [int(row[0]) for row in tshark(capture, "tcp.dstport", display_filter="tcp")] == [8090, 8091, 8092]
    assert "3 packets received" in result.stdout


def test_no_reply_exits_1(lab: Lab) -> None:
    server = lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((lab["b"].ipv4, 9996))  # bound, never answers
    with server:
        result = send(lab, lab["b"].ipv4, "--udp", "-p", "9996", "-c", "1", "-W", "0.3")
        assert server.recv(100) == b""  # it did arrive
    assert result.returncode == 1
    assert "1 packets transmitted, 0 packets received, 100% packet loss" in result.stdout


def test_an_icmp_error_is_matched_error_to_its_probe(lab: Lab) -> None:
    result = send(lab, lab["b"].ipv4, "--udp", "-p", "9995", "-c", "1")
    assert result.returncode == 0, result.stderr
    assert "ICMP dest-unreach port-unreachable from ip=198.18.1.2" in result.stdout


def test_a_second_reply_to_one_probe_is_dup_reply_to_one_probe_dup(lab: Lab) -> None:
    # A real server answering every datagram twice. The run ends once every probe is answered, so
    # the last probe's second answer may come too late to be seen: the probes before it wait.
    with udp_server(lab, 9994, copies=2) as log:
        text = send(lab, lab["b"].ipv4, "--udp", "-p", "9994", "-c", "2", "-i", "0.3", "--payload", "x")
        as_json = send(lab, lab["b"].ipv4, "--udp", "-p", "9994", "-c", "3", "-i", "0.3", "--json")
    assert log == [lab["a"].ipv4] * 5
    assert text.returncode == 0, text.stderr
    lines = [line for line in text.stdout.splitlines() if "seq=0" in line]
    first, second = (re.sub(r" id=\d+| rtt=.*", "", line) for line in lines)  # (two datagrams)
    assert len(lines) == 2 and first.startswith("len=29 ip=198.18.1.2 ") and second == "DUP! " + first
    assert re.search(
        r"2 packets transmitted, 2 packets received, 0% packet loss, \+[12] duplicates", text.stdout
    )
    replies = [record for record in json_lines(as_json.stdout) if record["type"] == "reply"]
    marks = [(reply["probe"], reply.get("duplicate", False)) for reply in replies]
    assert marks[:5] == [(0, False), (0, True), (1, False), (1, True), (2, False)]
    statistics = json_lines(as_json.stdout)[-1]
    assert (statistics["sent"], statistics["received"]) == (3, 3) and statistics["duplicates"] >= 2


def test_replies_json(lab: Lab) -> None:
    server = lab.socket("b", socket.AF_INET, socket.SOCK_STREAM)
    server.bind((lab["b"].ipv4, 8082))
    server.listen()
    with server:
        result = send(lab, lab["b"].ipv4, "-S", "-p", "8082", "-c", "2", "-i", "10ms", "--json")
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    assert [record["type"] for record in records].count("sent") == 2
    replies = [record for record in records if record["type"] == "reply"]
    assert [(reply["probe"], reply["flags"], reply["sport"]) for reply in replies] == [
        (0, "SA", 8082),
        (1, "SA", 8082),
    ]
    assert all(reply["rtt_ms"] > 0 for reply in replies)
    assert records[-1]["type"] == "statistics"
    assert (records[-1]["sent"], records[-1]["received"], records[-1]["loss"]) == (2, 2, 0.0)


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("nosuch.invalid",), ("nosuch.invalid",)),
        (("198.18.1.2", "-p", "70000"), ("70000",)),
        (("198.18.1.2", "-I", "nosuch0", "-c", "1"), ("nosuch0",)),
        (("198.18.1.2", "--payload", "x", "--hex", "ab"), ("--payload",)),
        (("198.18.1.2", "-d", "x"), ("-d",)),
        (("198.18.1.2", "-d", "2", "--payload", "abc"), ("-d",)),
        (("198.18.1.2", "--flood", "-T"), ("--flood", "modes")),
        (("198.18.1.2", "-9", "x"), ("-9",)),
        (("198.18.1.2", "-g", "5"), ("8",)),
        (("198.18.1.x", "--rand-dest", "-6"), ("IPv4",)),
        (("198.18.1.2", "--udp", "-S"), ("TCP",)),
        (("198.18.1.2", "-6"), ("IPv4",)),
        (("198.18.1.2", "--fast", "-i", "1"), ("pace",)),
        (("198.18.1.2", "--udp", "-p", "9", "-d", "2000", "-y", "-c", "1"), ("MTU", "-y")),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    lab: Lab, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    assert_one_line_error(send(lab, *args), 2, "rawnet send", *words)


def test_without_cap_net_raw_exit_3(lab: Lab) -> None:
    result = lab.run("a", without("net_raw", [*RAWNET, "send", lab["b"].ipv4, "-c", "1"]), timeout=30)
    assert_one_line_error(result, 3, "CAP_NET_RAW")
