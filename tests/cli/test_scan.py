"""rawnet scan, run inside labs; what it claims checked by what b saw.

The observers: a tcpdump capture in b read back by tshark (each port probed, at the rate asked),
real listening sockets and servers in b (the ports a scan calls open are exactly those), and
the kernel's own ICMP answers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.cli.conftest import (
    assert_one_line_error,
    json_lines,
    lines_of,
    rawnet,
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
        "8003/tcp open  mcreport",  # (nmap's service names: nmap-services, read where nmap is)
        "8007/tcp open  ajp12",
    ]
    assert "Not shown: 8 closed tcp ports (reset)" in lines
    scanned = [int(row[0]) for row in tshark_fields(capture, "tcp.dstport")]
    # each port once per scan, and each scan's ping (nmap's: a SYN to 443, with an echo and an ACK to 80)
    assert sorted(scanned) == sorted([22, 443, 443, *range(8000, 8010), *range(8000, 8010)])


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
        9998: ("filtered", "admin-prohibited"),  # (nmap's name of ICMP 3/13)
        9999: ("filtered", "no-response"),
    }
    assert len(tshark_fields(capture, "tcp.seq_raw")) == 2  # the silent port's SYN, sent again once
    udp_states = {record["port"]: record["state"] for record in json_lines(udp.stdout)[:-1]}
    assert udp_states == {9996: "closed", 9997: "filtered"}


def test_udp_scan_open_closed_and_open_filtered(lab: Lab, tmp_path: Path) -> None:
    b = lab["b"]
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


def test_udp_scan_sends_a_service_its_own_request(lab: Lab, tmp_path: Path) -> None:
    a, b = lab["a"], lab["b"]
    with tcpdump(lab, "b", link(lab, "b", "a"), "udp", tmp_path / "requests.pcap") as capture:
        result = rawnet(
            lab, "a", "scan", b.ipv4, "-sU", "-p", "9,53,123,161,5353", "-w", "0.3", "--retries", "0"
        )
    assert result.returncode == 0, result.stderr
    fields = (
        "udp.dstport",
        "udp.length",
        "dns.flags.response",
        "dns.qry.type",
        "ntp.flags.mode",
        "snmp.community",
    )
    probes = {
        row[0]: row[1:] for row in tshark_fields(capture, *fields, display_filter=f"ip.src == {a.ipv4}")
    }
    assert probes == {  # tshark reads each request as its protocol's: a query, a client, a get
        "9": ["8", "", "", "", ""],  # (no service known: an empty datagram)
        "53": ["25", "0", "2", "", ""],  # DNS query, NS records
        "123": ["56", "", "", "3", ""],  # NTP mode 3, client
        "161": ["51", "", "", "", "public"],  # SNMP get-request
        "5353": ["25", "0", "2", "", ""],  # the same DNS query, to multicast DNS's port
    }
    assert all(re.search(rf"^{port}/udp +closed ", result.stdout, re.M) for port in (9, 53, 123, 161, 5353))


def test_protocol_scan_pairs_each_protocol_unreachable_with_its_own_probe(lab: Lab, tmp_path: Path) -> None:
    # nmap -sO: b's kernel answers an echo (1), resets an ACK (6), sends a port unreachable to the
    # UDP probe (17), and a protocol unreachable for each protocol it does not speak, quoting the
    # probe: each is matched through the protocol it quotes (the old matcher took the first probe).
    b = lab["b"]
    with tcpdump(lab, "b", link(lab, "b", "a"), "ip", tmp_path / "protocols.pcap") as capture:
        result = rawnet(
            lab, "a", "scan", b.ipv4, "-Pn", "-sO", "-p", "1,6,17,47,253,254", "-w", "0.3", "--json"
        )
        table = rawnet(lab, "a", "scan", b.ipv4, "-Pn", "--protocol", "-p", "1,253", "-w", "0.3")
    assert result.returncode == 0, result.stderr
    states = {
        record["port"]: (record["state"], record["reason"], record["service"])
        for record in json_lines(result.stdout)[:-1]
    }
    assert states == {
        1: ("open", "echo-reply", "icmp"),
        6: ("open", "tcp-response", "tcp"),
        17: ("open", "port-unreach", "udp"),
        47: ("closed", "proto-unreach", "gre"),
        253: ("closed", "proto-unreach", "unknown"),
        254: ("closed", "proto-unreach", "unknown"),
    }
    assert statistics(result)["protocol"] == "ip"
    ours = f"eth.src == {lab['a'].interfaces['b'].mac}"  # (b's errors quote a's probes: ip.src would match)
    sent = sorted(int(row[0]) for row in tshark_fields(capture, "ip.proto", display_filter=ours))
    assert sent == [1, 1, 6, 17, 47, 253, 253, 254]  # one probe each (the table's: 1 and 253 again)
    assert lines_of(table)[3:6] == [
        "PROTOCOL STATE  SERVICE",
        "1        open   icmp",
        "253      closed unknown",
    ]


def test_scan_rate_spaces_the_probes(lab: Lab, tmp_path: Path) -> None:
    with tcpdump(
        lab, "b", link(lab, "b", "a"), "tcp[tcpflags] == tcp-syn", tmp_path / "rate.pcap"
    ) as capture:
        result = rawnet(lab, "a", "scan", lab["b"].ipv4, "-Pn", "-p", "6000-6009", "--rate", "25")
    assert result.returncode == 0, result.stderr
    assert "Not shown" not in result.stdout and "6009/tcp closed" in result.stdout
    times = [float(row[0]) for row in tshark_fields(capture, "frame.time_relative")]
    assert len(times) == 10 and times[-1] - times[0] >= 0.33  # 9 gaps of 40 ms, less capture jitter


def test_scan_of_a_host_that_answers_nothing_exits_1(lab: Lab) -> None:
    result = rawnet(lab, "a", "scan", NOBODY, "-p", "80,443", "-w", "0.3", "--retries", "0")
    assert result.returncode == 1
    assert "Note: Host seems down. If it is really up, but blocking our ping probes, try -Pn" in result.stdout
    forced = rawnet(lab, "a", "scan", NOBODY, "-Pn", "-p", "80,443", "-w", "0.3", "--retries", "0")
    assert forced.returncode == 1  # (-Pn scans it, but nothing answered: still exit 1)
    assert "80/tcp  filtered http" in forced.stdout


def test_scan_interface_and_source(lab: Lab, tmp_path: Path) -> None:
    through = link(lab, "a", "b")
    with tcpdump(lab, "b", link(lab, "b", "a"), "tcp", tmp_path / "spoofed.pcap") as capture:
        result = rawnet(
            lab, "a", "scan", lab["b"].ipv4, "-Pn", "-p", "80", "-e", through, "-S", NOBODY, "-w", "0.3",
            "--max-retries", "1",
        )  # fmt: skip
    assert result.returncode == 1  # the answer went to NOBODY: the host looks down from here
    syns = tshark_fields(capture, "ip.src", "tcp.dstport", display_filter="tcp.flags == 0x002")
    assert syns == [[NOBODY, "80"], [NOBODY, "80"]]  # the probe and its retry (--retries 1)


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["scan", "198.18.1.2", "-p", "70000"], ["rawnet scan", "70000"]),
        (["scan", "198.18.1.2", "-p", "++80"], ["no + or ++"]),
        (["scan", "198.18.1.2", "-sO", "-p", "256"], ["-sO takes protocol numbers 0-255"]),
        (
            ["scan", "198.18.1.2", "-sS", "-sT", "-p", "80"],
            ["-sS/--syn and -sT/--connect", "two TCP scan types"],
        ),
        (["scan", "198.18.1.2", "-sU", "-sO"], ["-sO/--protocol scans IP protocols, -sU/--udp ports"]),
        (["scan", "198.18.1.2", "-F", "-p", "80"], ["give the ports one way: -p, -F or --top-ports"]),
        (["scan", "198.18.1.2", "-p", "80", "-oX", "/nonexistent/x.xml"], ["-oX", "/nonexistent"]),
        (["scan", "198.18.1.2", "-p", "80", "--rate", "0"], ["--rate"]),
        (["scan", "198.18.1.2", "-p", "80", "--retries", "-1"], ["--retries"]),
        (["scan", "198.18.1.2", "-p", "80", "-e", "nosuch0"], ["no interface named 'nosuch0'"]),
        (["scan", "198.18.1.2", "-p", "80", "-S", "nobody"], ["-S", "not an IPv4 or IPv6 address"]),
        (["scan", "198.18.1.2.", "-p", "80"], ["198.18.1.2."]),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(lab: Lab, args: list[str], words: list[str]) -> None:
    assert_one_line_error(rawnet(lab, "a", *args), 2, *words)


def test_without_cap_net_raw_it_is_one_line_and_exit_3(lab: Lab) -> None:
    assert_needs_cap_net_raw(lab, "scan")
