"""rawnet pcap info|filter|merge|convert on files tcpdump wrote in a lab; capinfos, tshark, tcpdump,
editcap and mergecap judge."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from rawnet.net.pcap import LINKTYPE_RAW, wrpcap
from rawnet.wire import ICMP, IP, UDP, ICMPv6EchoRequest, IPv6
from tests.cli.conftest import assert_one_line_error, json_lines, lines_of, rawnet, tcpdump, tshark_fields


def tool(*argv: str) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def capinfos(path: Path) -> dict[str, str]:
    """capinfos' table (-T): file type, encapsulation, packets, data size, start and end time."""
    header, row = tool("capinfos", "-T", "-t", "-E", "-c", "-d", "-S", "-a", "-e", str(path)).splitlines()
    return dict(zip(header.split("\t"), row.split("\t"), strict=True))


def frames(path: Path, display_filter: str = "") -> list[list[str]]:
    """Each frame as tshark sees it: time, lengths and bytes."""
    return tshark_fields(
        path,
        "frame.time_epoch",
        "frame.len",
        "frame.cap_len",
        "ip.id",
        "ipv6.plen",
        display_filter=display_filter,
    )


def wait_for(path: Path, expression: str, count: int) -> None:
    """Until tcpdump (-U) has written ``count`` packets matching ``expression`` to ``path``."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = subprocess.run(["tcpdump", "-r", str(path), expression], capture_output=True, text=True)
        if len(found.stdout.splitlines()) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"tcpdump wrote fewer than {count} packets matching {expression!r}")


@pytest.fixture(scope="module")
def captures(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files tcpdump wrote in the lab: "mix" (everything but MLD), "nine" and "ten" (one UDP port each,
    captured at once while the ports alternate), and an editcap pcapng copy of "mix"."""
    folder = tmp_path_factory.mktemp("pcaptool")
    interface = lab["b"].interfaces["a"].name
    b = lab["b"]
    paths = {name: folder / f"{name}.pcap" for name in ("mix", "nine", "ten")}
    with contextlib.ExitStack() as captures:
        captures.enter_context(tcpdump(lab, "b", interface, "not ip6 proto 0", paths["mix"]))
        captures.enter_context(tcpdump(lab, "b", interface, "udp port 9", paths["nine"]))
        captures.enter_context(tcpdump(lab, "b", interface, "udp port 10", paths["ten"]))
        with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for index in range(6):
                udp.sendto(b"x" * index, (b.ipv4, 9 + index % 2))
        with lab.socket("a", socket.AF_INET6, socket.SOCK_DGRAM) as udp6:
            udp6.sendto(b"six", (b.ipv6, 9))
        with lab.socket("a", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as icmp:
            icmp.sendto(bytes(ICMP(type=8, id=1, seq=1) / b"ping"), (b.ipv4, 0))
        with lab.socket("a", socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as icmp6:
            icmp6.sendto(bytes(ICMPv6EchoRequest(id=1, seq=1) / b"ping"), (b.ipv6, 0))
        with lab.socket("a", socket.AF_INET, socket.SOCK_STREAM) as tcp, contextlib.suppress(OSError):
            tcp.connect((b.ipv4, 81))  # refused: SYN, RST-ACK
        wait_for(paths["mix"], "tcp", 2)
        wait_for(paths["nine"], "udp", 4)
        wait_for(paths["ten"], "udp", 3)
    paths["mix-ng"] = folder / "mix-ng.pcapng"
    tool("editcap", "-F", "pcapng", str(paths["mix"]), str(paths["mix-ng"]))
    paths["mix-ns"] = folder / "mix-ns.pcap"
    tool("editcap", "-F", "nsecpcap", str(paths["mix"]), str(paths["mix-ns"]))
    return paths


# -- info ----------------------------------------------------------------------------------------
def test_info_agrees_with_capinfos_and_tshark(captures: dict[str, Path]) -> None:
    paths = [captures["mix"], captures["mix-ng"], captures["mix-ns"]]
    result = rawnet(None, "", "pcap", "info", "--json", *map(str, paths))
    assert result.returncode == 0, result.stderr
    facts = json_lines(result.stdout)
    assert [fact["format"] for fact in facts] == ["pcap", "pcapng", "pcap"]
    assert [fact["nanoseconds"] for fact in facts] == [False, False, True]
    for path, fact in zip(paths, facts, strict=True):
        theirs = capinfos(path)
        assert fact["file"] == str(path)
        assert theirs["File encapsulation"] == "ether" and fact["link_types"] == [
            {"number": 1, "name": "EN10MB (Ethernet)"}
        ]
        assert str(fact["packets"]) == theirs["Number of packets"]
        assert str(fact["bytes"]) == theirs["Data size (bytes)"]
        assert fact["first_ns"] == round(float(theirs["Start time"]) * 1e6) * 1000
        assert fact["last_ns"] == round(float(theirs["End time"]) * 1e6) * 1000
        assert fact["ordered"] is True
    protocols = facts[0]["protocols"]
    for ours, display_filter in (
        ("ether", "eth"),
        ("ipv4", "ip"),
        ("ipv6", "ipv6"),
        ("udp", "udp"),
        ("tcp", "tcp"),
        ("icmp", "icmp"),
        ("icmpv6", "icmpv6"),
        ("arp", "arp"),
    ):
        counted = len(tshark_fields(captures["mix"], "frame.number", display_filter=display_filter))
        assert protocols.get(ours, 0) == counted, (ours, protocols)
    assert protocols["udp"] >= 7 and protocols["tcp"] == 2  # the datagrams, their ICMP errors, SYN, RST


def test_info_text(captures: dict[str, Path]) -> None:
    result = rawnet(None, "", "pcap", "info", str(captures["mix"]), str(captures["mix-ng"]))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    packets = capinfos(captures["mix"])["Number of packets"]
    assert text.count(f"Packets:         {packets}\n") == 2
    assert "File format:     pcap (microsecond timestamps)\n" in text and "File format:     pcapng\n" in text
    assert text.count("Link type:       EN10MB (Ethernet) [1]") == 2
    assert "Protocols:       ether " in text


# -- filter --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "expression",
    ["udp", "icmp or icmp6", "tcp[tcpflags] & tcp-rst != 0", "ip6", "udp port 10 and host 198.18.1.1"],
)
def test_filter_keeps_what_tcpdump_keeps(captures: dict[str, Path], tmp_path: Path, expression: str) -> None:
    ours, theirs = tmp_path / "ours.pcap", tmp_path / "theirs.pcap"
    source = captures["mix"]
    result = rawnet(None, "", "pcap", "filter", str(source), str(ours), *expression.split())
    assert result.returncode == 0, result.stderr
    with theirs.open("wb") as file:
        subprocess.run(["tcpdump", "-r", str(source), "-w", "-", expression], stdout=file, check=True)
    kept = capinfos(theirs)["Number of packets"]
    assert int(kept) > 0 and capinfos(ours)["Number of packets"] == kept
    assert frames(ours) == frames(theirs)
    assert f"{kept} of {capinfos(source)['Number of packets']} packets kept" in result.stderr
    assert ours.read_bytes() == theirs.read_bytes()  # the same header and records, byte for byte


def test_filter_a_raw_ip_file(tmp_path: Path) -> None:
    # LINKTYPE_RAW (101) in the file is DLT_RAW (12) to libpcap's compiler, as tcpdump maps it
    source, ours, theirs = tmp_path / "raw.pcap", tmp_path / "ours.pcap", tmp_path / "theirs.pcap"
    wrpcap(
        source,
        [
            IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1027, dport=9) / b"four",
            IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1028, dport=9) / b"six",
        ],
        linktype=LINKTYPE_RAW,
    )
    result = rawnet(None, "", "pcap", "filter", str(source), str(ours), "ip6", "and", "udp")
    assert result.returncode == 0, result.stderr
    with theirs.open("wb") as file:
        subprocess.run(["tcpdump", "-r", str(source), "-w", "-", "ip6 and udp"], stdout=file, check=True)
    assert capinfos(ours)["Number of packets"] == "1" and ours.read_bytes() == theirs.read_bytes()


def test_filter_a_pcapng_file(captures: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "udp.pcapng"
    result = rawnet(None, "", "pcap", "filter", str(captures["mix-ng"]), str(out), "udp", "port", "9")
    assert result.returncode == 0, result.stderr
    assert capinfos(out)["File type"] == "pcapng"
    assert frames(out) == frames(captures["mix"], "udp.port == 9 and not icmp and not icmpv6")


# -- convert -------------------------------------------------------------------------------------
def test_convert_pcap_to_pcapng_and_back(captures: dict[str, Path], tmp_path: Path) -> None:
    source = captures["mix"]
    ng, back = tmp_path / "mix.pcapng", tmp_path / "back.pcap"
    assert rawnet(None, "", "pcap", "convert", str(source), str(ng)).returncode == 0
    assert capinfos(ng)["File type"] == "pcapng"
    assert frames(ng) == frames(source)
    assert tshark_fields(ng, "frame.time_epoch") == tshark_fields(source, "frame.time_epoch")
    assert rawnet(None, "", "pcap", "convert", str(ng), str(back)).returncode == 0
    assert back.read_bytes() == source.read_bytes()  # the round trip loses nothing
    # editcap's pcapng (another writer) converts to the same pcap too
    again = tmp_path / "again.pcap"
    assert rawnet(None, "", "pcap", "convert", str(captures["mix-ng"]), str(again)).returncode == 0
    assert again.read_bytes() == source.read_bytes()


def test_convert_by_format_option_and_nanoseconds(captures: dict[str, Path], tmp_path: Path) -> None:
    source = captures["mix"]
    odd = tmp_path / "trace.out"
    assert rawnet(None, "", "pcap", "convert", str(source), str(odd)).returncode == 0
    assert capinfos(odd)["File type"] == "pcapng"  # no known extension: the other format
    nano = tmp_path / "nano.cap"
    result = rawnet(None, "", "pcap", "convert", "--format", "pcap", "--nanoseconds", str(odd), str(nano))
    assert result.returncode == 0, result.stderr
    assert capinfos(nano)["File type"] == "nsecpcap"
    assert frames(nano) == frames(source)


# -- merge ---------------------------------------------------------------------------------------
def test_merge_orders_by_time_as_mergecap(captures: dict[str, Path], tmp_path: Path) -> None:
    ours, theirs = tmp_path / "merged.pcapng", tmp_path / "mergecap.pcapng"
    result = rawnet(None, "", "pcap", "merge", str(ours), str(captures["ten"]), str(captures["nine"]))
    assert result.returncode == 0, result.stderr
    tool("mergecap", "-w", str(theirs), str(captures["ten"]), str(captures["nine"]))
    fields = ("frame.time_epoch", "udp.dstport", "udp.length")
    merged = tshark_fields(ours, *fields)
    assert merged == tshark_fields(theirs, *fields)
    assert [row[1] for row in merged] == ["9", "10"] * 3 + ["9"]  # the order they were sent in
    times = [float(row[0]) for row in merged]
    assert times == sorted(times)
    assert capinfos(ours)["File type"] == "pcapng"


# -- bad arguments -------------------------------------------------------------------------------
def test_a_missing_file_is_one_line_and_exit_2(captures: dict[str, Path], tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pcap")
    out = str(tmp_path / "out.pcap")
    assert_one_line_error(rawnet(None, "", "pcap", "info", missing), 2, missing, "No such file")
    assert_one_line_error(rawnet(None, "", "pcap", "convert", missing, out), 2, missing)
    assert_one_line_error(rawnet(None, "", "pcap", "merge", out, str(captures["nine"]), missing), 2, missing)
    assert_one_line_error(rawnet(None, "", "pcap", "filter", missing, out, "udp"), 2, missing)


def test_a_truncated_or_foreign_file_is_one_line_and_exit_2(
    captures: dict[str, Path], tmp_path: Path
) -> None:
    out = str(tmp_path / "out.pcap")
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(captures["mix"].read_bytes()[:-5])
    for argv in (["info", str(cut)], ["convert", str(cut), out], ["filter", str(cut), out, "ip"]):
        assert_one_line_error(rawnet(None, "", "pcap", *argv), 2, str(cut), "cut short")
    text = tmp_path / "notes.pcap"
    text.write_text("not a capture file\n")
    assert_one_line_error(rawnet(None, "", "pcap", "info", str(text)), 2, "not a pcap or pcapng file")


def test_bad_arguments_are_one_line_and_exit_2(captures: dict[str, Path], tmp_path: Path) -> None:
    source, out = str(captures["mix"]), str(tmp_path / "out.pcap")
    assert_one_line_error(
        rawnet(None, "", "pcap", "filter", source, out, "udp", "prt", "9"), 2, "filter", "syntax"
    )
    assert_one_line_error(rawnet(None, "", "pcap", "convert", source, source), 2, "also an input")
    assert_one_line_error(rawnet(None, "", "pcap", "info"), 2, "FILE")
    assert_one_line_error(rawnet(None, "", "pcap", "convert", source, out, "--format", "xml"), 2, "xml")


def test_files_of_different_link_types_do_not_merge(captures: dict[str, Path], tmp_path: Path) -> None:
    raw_ip = tmp_path / "raw.pcap"
    wrpcap(raw_ip, [IP(dst="198.18.1.2") / UDP(dport=9)], linktype=LINKTYPE_RAW)
    assert lines_of(rawnet(None, "", "pcap", "info", str(raw_ip)))[2].endswith("RAW (Raw IP) [101]")
    result = rawnet(None, "", "pcap", "merge", str(tmp_path / "out.pcap"), str(captures["mix"]), str(raw_ip))
    assert_one_line_error(result, 2, "different link types", "RAW")
