"""rawnet ping, run inside a lab; what it claims checked by what b saw.

The observers: a tcpdump capture in b read back by tshark (the probes really left, with the
right fields and count), real listening sockets and servers in b, and the kernel's own answers.
"""

from __future__ import annotations

import re
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

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
from tests.cli.probe_helpers import (
    NOBODY,
    assert_needs_cap_net_raw,
    link,
    listening,
    statistics,
    udp_server,
)


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
    assert lines[0] == f"PING {b.ipv6}({b.ipv6}) 56 data bytes"  # iputils' IPv6 line
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
        open_port = rawnet(lab, "a", "ping", b.ipv4, "--tcp", "--port", "8080", "-c", "2", "-i", "0.1")
        closed_port = rawnet(lab, "a", "ping", b.ipv4, "--tcp", "--port", "8081", "-c", "1", "--json")
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
    with (
        tcpdump(lab, "b", link(lab, "b", "a"), "udp", tmp_path / "udp.pcap") as capture,
        udp_server(lab, 9000, echo=False) as log,
    ):
        closed = rawnet(lab, "a", "ping", b.ipv4, "--udp", "-c", "2", "-i", "0.1", "--json")
        bound = rawnet(lab, "a", "ping", b.ipv4, "--udp", "--port", "9000", "-c", "1", "-W", "0.3")
    assert closed.returncode == 0, closed.stderr
    assert [record.get("answer") for record in json_lines(closed.stdout)[:2]] == ["port-unreachable"] * 2
    assert bound.returncode == 1 and "1 packets transmitted, 0 received, 100% packet loss" in bound.stdout
    assert log == [lab["a"].ipv4]  # the silent server got the probe: silence, not loss
    ports = [row[0] for row in tshark_fields(capture, "udp.dstport")]
    assert ports == ["33434", "33434", "9000"]


def test_ping_marks_a_second_reply_dup_and_counts_it_apart(lab: Lab) -> None:
    with udp_server(lab, 9002, copies=2):  # a real server answering every datagram twice
        result = rawnet(lab, "a", "ping", lab["b"].ipv4, "--udp", "--port", "9002", "-c", "2", "-i", "0.3")
    assert result.returncode == 0, result.stderr
    # ping ends once every probe is answered: the last one's second answer may come too late
    replies = [line for line in lines_of(result) if "udp_seq=1 " in line]
    assert len(replies) == 2 and replies[1].endswith(" (DUP!)") and not replies[0].endswith("(DUP!)")
    assert re.search(r"2 packets transmitted, 2 received, \+[12] duplicates, 0% packet loss", result.stdout)


def test_ping_timeout_a_reply_after_w_is_lost(lab: Lab) -> None:
    b = lab["b"]
    with udp_server(lab, 9001, delay=0.4) as log:
        late = rawnet(lab, "a", "ping", b.ipv4, "--udp", "--port", "9001", "-c", "1", "-W", "0.15")
        waited = rawnet(lab, "a", "ping", b.ipv4, "--udp", "--port", "9001", "-c", "1", "-W", "2", "--json")
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


def _interrupted_ping(lab: Lab, times: int, **options: Any) -> tuple[int, str, str]:
    """A ping running until Ctrl-C, answered once, then ``times`` quick SIGINTs: code, stdout, stderr."""
    process = lab.popen(
        "a",
        [*RAWNET, "ping", lab["b"].ipv4, "-c", "0", "-i", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **options,
    )
    assert process.stdout is not None
    try:
        assert process.stdout.readline().startswith("PING ")
        assert " bytes from " in process.stdout.readline()  # running, and answered
        interrupt(process, times)
        rest, errors = process.communicate(timeout=5)
    finally:
        process.kill()
    return process.returncode, rest, errors


def test_ping_two_quick_ctrl_cs_still_print_the_statistics(lab: Lab) -> None:
    # The second SIGINT used to land while the statistics were printed: exit 130, no statistics
    # (2 runs in 10). As ping, the first stops the run and those that follow are ignored.
    for _ in range(8):
        code, rest, errors = _interrupted_ping(lab, 2)
        assert code == 0, errors
        assert f"--- {lab['b'].ipv4} ping statistics ---" in rest and "packets transmitted" in rest, rest


def test_ping_started_with_sigint_ignored_still_stops_on_ctrl_c(lab: Lab) -> None:
    # A script's background job inherits SIGINT ignored; ping restores it, and so does rawnet.
    code, rest, errors = _interrupted_ping(lab, 1, preexec_fn=sigint_ignored)
    assert code == 0, errors
    assert "packets transmitted" in rest


def test_ping_interface_sends_through_it_only(lab: Lab, tmp_path: Path) -> None:
    a, b, through = lab["a"], lab["b"], link(lab, "a", "b")
    with tcpdump(lab, "b", link(lab, "b", "a"), "icmp", tmp_path / "bound.pcap") as capture:
        result = rawnet(lab, "a", "ping", b.ipv4, "-I", through, "-c", "2", "-i", "0.1")
        looped = rawnet(lab, "a", "ping", b.ipv4, "-I", "lo", "-c", "1", "-W", "0.3")  # not b's way
    assert result.returncode == 0, result.stderr
    assert lines_of(result)[0] == f"PING {b.ipv4} ({b.ipv4}) from {a.ipv4} {through}: 56(84) bytes of data."
    assert looped.returncode == 1 and " 0 received, 100% packet loss" in looped.stdout
    assert tshark_fields(capture, "icmp.seq", display_filter="icmp.type == 8") == [["1"], ["2"]]


def test_ping_from_an_address_sends_from_it(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
    with tcpdump(lab, "b", link(lab, "b", "a"), "icmp", tmp_path / "from.pcap") as capture:
        result = rawnet(lab, "a", "ping", b.ipv4, "-I", NOBODY, "-c", "1", "-W", "0.3")
    assert result.returncode == 1  # b answers NOBODY, which is not a
    assert tshark_fields(capture, "ip.src", display_filter="icmp.type == 8") == [[NOBODY]]


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["ping", "999.1.1.1"], ["rawnet ping", "999.1.1.1"]),
        (["ping", "198.18.1.2", "-c", "-1"], ["-c"]),
        (["ping", "198.18.1.2", "-t", "0"], ["-t"]),
        (["ping", "198.18.1.2", "-W", "0"], ["-W"]),
        (["ping", "198.18.1.2", "--port", "80"], ["--tcp or --udp"]),
        (["ping", "198.18.1.2", "--tcp", "-p", "80"], ["-p is ping's payload pattern", "--port"]),
        (["ping", "198.18.1.2", "-p", "zz"], ["patterns must be specified as hex digits"]),
        (["ping", "198.18.1.2", "-Q", "300"], ["TOS bits must be in range 0-255"]),
        (["ping", "198.18.1.2", "-M", "maybe"], ["-M", "maybe"]),
        (["ping", "198.18.1.2", "-w", "0"], ["-w"]),
        (["ping", "198.18.1.2", "--tcp", "--udp"], ["--tcp and --udp", "two modes"]),  # not the last kept
        (["ping", "198.18.1.2", "--udp", "--icmp", "-c", "1"], ["--udp and --icmp"]),
        (["ping", "-6", "198.18.1.2"], ["not an IPv6 address"]),
        (["ping", "198.18.1.2", "--tcp", "--port", "70000"], ["--port"]),
        (["ping", "198.18.1.2", "-I", "nosuch0"], ["no interface named 'nosuch0'"]),
        (["ping", "198.18.1.2", "-I", "2001:db8::1"], ["2001:db8::1", "not of one family"]),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(lab: Lab, args: list[str], words: list[str]) -> None:
    assert_one_line_error(rawnet(lab, "a", *args), 2, *words)


def test_without_cap_net_raw_it_is_one_line_and_exit_3(lab: Lab) -> None:
    assert_needs_cap_net_raw(lab, "ping")


def _reply_lines(text: str) -> list[tuple[int, str, int]]:
    """(bytes, from, seq) of each reply line, rawnet's or iputils ping's."""
    found = re.findall(r"^(\d+) bytes from (\S+): icmp_seq=(\d+) ", text, re.MULTILINE)
    return [(int(size), source, int(seq)) for size, source, seq in found]


@pytest.mark.parametrize("size", [1473, 3000])
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_ping_above_the_mtu_sends_fragments_and_agrees_with_iputils(
    lab: Lab, tmp_path: Path, family: str, size: int
) -> None:
    target = getattr(lab["b"], family)
    capture_filter = "ip[6:2] & 0x3fff != 0" if family == "ipv4" else "ip6[6] == 44"
    with tcpdump(lab, "b", link(lab, "b", "a"), capture_filter, tmp_path / "frag.pcap") as capture:
        result = rawnet(lab, "a", "ping", target, "-c", "3", "-i", "0.1", "-s", str(size))
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert result.stderr == ""
    classic = lab.run("a", ["ping", "-c", "3", "-i", "0.1", "-s", str(size), target], timeout=30)
    assert classic.returncode == 0, classic.stdout + classic.stderr
    ours, theirs = _reply_lines(result.stdout), _reply_lines(classic.stdout)
    assert ours == theirs == [(size + 8, target, seq) for seq in (1, 2, 3)]  # the whole reply's size
    assert "3 packets transmitted, 3 received, 0% packet loss" in result.stdout
    # the requests left as fragments (and b's replies came back as fragments): none over the MTU
    lengths = [int(row[0]) for row in tshark_fields(capture, "frame.len")]
    assert lengths and max(lengths) <= 1500 + 14
    assert len(lengths) >= 3 * 2 * (2 if size < 2900 else 3)
