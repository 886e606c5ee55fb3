"""rawnet sniff's tcpdump options, each against the installed tcpdump on the same file or traffic.

Time stamps, dumps, -F, -w -, -C/-W on files both read; -s, -p, -Q, -D, -i N, -G/-W live in a
lab, tcpdump capturing beside rawnet.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from rawnet.net.pcap import LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, PcapWriter, Record
from rawnet.wire import ARP, ICMP, IP, TCP, UDP, CookedLinux2, Dot1Q, Ether, ICMPv6EchoRequest, IPv6
from tests.cli.conftest import RAWNET, assert_one_line_error, lines_of, rawnet, tshark_fields
from tests.cli.test_sniff import Sniffer, interface_of_b, udp_from_a

ENDS = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
TEXT = b"line one\r\nline\ttwo \x01\x7f\xff\r\x00end\r"  # CR-LF, a lone CR, controls, a last CR
ZONE = {**os.environ, "TZ": "America/New_York"}  # local time: tcpdump's and rawnet's the same


def both(argv: list[str], path: Path, env: dict[str, str] | None = None) -> tuple[str, str]:
    """(tcpdump -n ARGV -r PATH, rawnet sniff ARGV -r PATH): stdout, then stderr, of each."""
    ours = subprocess.run(
        [*RAWNET, "sniff", *argv, "-r", str(path)], capture_output=True, text=True, env=env, timeout=60
    )
    theirs = subprocess.run(
        ["tcpdump", "-n", *argv, "-r", str(path)], capture_output=True, text=True, env=env, timeout=60
    )
    assert ours.returncode == 0 and theirs.returncode == 0, (ours.stderr, theirs.stderr)
    return theirs.stdout + theirs.stderr, ours.stdout + ours.stderr


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Ethernet (VLAN, ARP, IPv6, text and binary payloads, odd lengths), raw IP and Linux
    cooked v2 files, with times a day and more apart and one going back."""
    folder = tmp_path_factory.mktemp("dumps")
    inner = IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1000, dport=9)
    ethernet = [
        Ether(**ENDS) / inner / bytes(range(256)),
        Ether(**ENDS)
        / IP(src="198.18.0.1", dst="198.18.0.2")
        / TCP(sport=1000, dport=4000, flags="PA")
        / TEXT,
        Ether(**ENDS) / Dot1Q(vlan=5) / inner / b"tagged!",
        Ether(src=ENDS["src"], dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="198.18.0.1", pdst="198.18.0.2"),
        Ether(**ENDS) / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1, dport=9) / (b"x" * 17),
    ]
    when = [1700000000.123456, 1700000000.5, 1700090000.25, 1700089999.75, 1700200000.0]
    made = {}
    for name, linktype, packets in (
        ("ethernet", None, ethernet),
        ("raw", LINKTYPE_RAW, [inner / b"raw!", IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP()]),
        ("cooked", LINKTYPE_LINUX_SLL2, [CookedLinux2(ifindex=7, pkttype=4) / inner / TEXT]),
    ):
        path = made[name] = folder / f"{name}.pcap"
        with PcapWriter(str(path), linktype=linktype) as writer:
            for packet, stamp in zip(packets, when, strict=False):
                writer.write(packet, stamp)
    nano = made["nano"] = folder / "nano.pcap"
    stamps = (1700000000_123456789, 1700000000_999999999, 1700000001_500000000)
    with PcapWriter(str(nano), nanoseconds=True) as writer:
        for packet, stamp in zip(ethernet[:3], stamps, strict=True):
            data = bytes(packet)
            writer.write_record(Record(data, stamp, len(data), LINKTYPE_ETHERNET))
    return made


DUMPS = ["-x", "-xx", "-X", "-XX", "-A", "-AA", "-e -XX", "-x -A", "-X -xx", "-c 2 -X"]
TIMES = ["", "-t", "-tt", "-ttt", "-tttt", "-ttttt", "-tt --time-stamp-precision=nano", "-nn -l"]
CASES = [
    *[("ethernet", options) for options in DUMPS + TIMES],
    *[(name, options) for name in ("raw", "cooked") for options in ("-x", "-xx", "-X", "-AA", "-e -XX")],
]


@pytest.mark.parametrize("name, options", CASES)
def test_dumps_and_time_stamps_are_tcpdumps(files: dict[str, Path], name: str, options: str) -> None:
    theirs, ours = both(options.split(), files[name], ZONE)
    assert ours == theirs
    assert theirs.count("\n") >= 2


@pytest.mark.parametrize("options", ["", "-ttt", "-ttttt", "-tttt", "-XX"])
def test_nanosecond_time_stamps_are_tcpdumps(files: dict[str, Path], options: str) -> None:
    for precision in ("nano", "micro"):  # (micro: cut, not rounded)
        theirs, ours = both([*options.split(), f"--time-stamp-precision={precision}"], files["nano"], ZONE)
        assert ours == theirs
        assert (".123456789 " in theirs) is (precision == "nano" and options in ("", "-tttt", "-XX"))


def test_a_filter_file_is_read_as_tcpdump_reads_it(files: dict[str, Path], tmp_path: Path) -> None:
    expression = tmp_path / "filter"
    expression.write_text("# what to keep\narp or ip6  # and tagged frames\n  or vlan\n")
    theirs, ours = both(["-F", str(expression), "udp", "port", "9"], files["ethernet"])  # (ignored)
    assert ours == theirs and theirs.count("\n") == 4  # 3 lines, "reading from file"
    missing = str(tmp_path / "missing")
    assert_one_line_error(rawnet(None, "", "sniff", "-F", missing, "-r", str(files["ethernet"])), 2, missing)


def test_writing_to_stdout_gives_tcpdumps_bytes(files: dict[str, Path]) -> None:
    for expression in ([], ["udp"]):
        argv = ["-r", str(files["ethernet"]), "-w", "-", *expression]
        ours = subprocess.run([*RAWNET, "sniff", *argv], capture_output=True, timeout=60).stdout
        theirs = subprocess.run(["tcpdump", *argv], capture_output=True, timeout=60).stdout
        assert ours == theirs and len(theirs) > 100


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2.2 MB of frames: three files of -C 1."""
    path = tmp_path_factory.mktemp("rotation") / "big.pcap"
    frame = bytes(
        Ether(**ENDS) / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1, dport=9) / bytes(1000)
    )
    with PcapWriter(str(path)) as writer:
        for number in range(2100):
            writer.write(frame, 1700000000 + number / 1000)
    return path


@pytest.mark.parametrize("options", [["-C", "1"], ["-C", "1", "-W", "2"], ["-C", "1", "-W", "1"]])
def test_size_rotation_names_and_fills_files_as_tcpdump(
    big_file: Path, tmp_path: Path, options: list[str]
) -> None:
    written = {}
    for who, argv in (("tcpdump", ["tcpdump", "-Z", "root"]), ("rawnet", [*RAWNET, "sniff"])):
        folder = tmp_path / who
        folder.mkdir()
        done = subprocess.run(
            [*argv, "-r", str(big_file), *options, "-w", str(folder / "trace")],
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        written[who] = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert written["rawnet"] == written["tcpdump"]  # the same names, byte for byte the same files
    assert len(written["tcpdump"]) == {"-W 2": 2, "-W 1": 1}.get(" ".join(options[2:]), 3)


def test_bad_tcpdump_options_are_one_line_and_exit_2(files: dict[str, Path], tmp_path: Path) -> None:
    path = str(files["ethernet"])
    for argv, word in (
        (["-tttttt", "-r", path], "-ttttt"),
        (["-C", "1", "-r", path], "-w"),
        (["-W", "2", "-w", str(tmp_path / "x"), "-r", path], "-W"),
        (["-C", "1", "-w", "-", "-r", path], "-w -"),
        (["-s", "262145", "-r", path], "262145"),
        (["-i", "99"], "99"),
        (["-Q", "sideways", "-r", path], "sideways"),
    ):
        assert_one_line_error(rawnet(None, "", "sniff", *argv), 2, word)
    assert not (tmp_path / "x").exists()


# -- live, tcpdump beside rawnet --------------------------------------------------------------------
@contextmanager
def tcpdump_live(lab: Lab, *argv: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """tcpdump ARGV in b, started (its "listening on" line given), stopped after the block."""
    process = lab.popen(
        "b",
        ["tcpdump", "--immediate-mode", "-U", "-Z", "root", "-n", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    assert select.select([process.stderr], [], [], 10)[0], "tcpdump did not start"
    listening = process.stderr.readline()
    try:
        yield process, listening
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=10)


def test_snapshot_length_cuts_what_is_written_and_printed_as_tcpdump(lab: Lab, tmp_path: Path) -> None:
    interface = interface_of_b(lab)
    ours, reference = tmp_path / "ours.pcap", tmp_path / "theirs.pcap"
    with tcpdump_live(lab, "-s", "100", "-i", interface, "-w", str(reference), "udp port 9") as (
        _,
        listening,
    ):
        sniffer = Sniffer(
            lab, "-s", "100", "-i", interface, "-c", "2", "-w", str(ours), "--print", "udp", "port", "9"
        )
        assert f"tcpdump: {sniffer.listening}" == listening  # "..., snapshot length 100 bytes"
        with udp_from_a(lab) as sock:
            for size in (10, 500):
                sock.sendto(b"z" * size, (lab["b"].ipv4, 9))
        code, lines, errors = sniffer.finish()
        assert code == 0, errors
    fields = ("frame.len", "frame.cap_len", "frame.time_epoch")
    assert tshark_fields(ours, *fields) == tshark_fields(reference, *fields)
    assert [row[1] for row in tshark_fields(ours, *fields)] == ["52", "100"]
    # the default time stamp: the local time of day, as tcpdump prints it (the same kernel times)
    expected = lab.run("b", ["tcpdump", "-n", "-r", str(reference)]).stdout.splitlines()
    assert lines[0] == expected[0] and re.match(r"\d\d:\d\d:\d\d\.\d{6} IP ", lines[0])
    # the datagram cut by the snapshot length prints as tcpdump prints it: "UDP, length 500"
    assert lines == expected and lines[1].endswith(": UDP, length 500")
    assert lines == lines_of(rawnet(lab, "b", "sniff", "-r", str(ours)))


@pytest.mark.parametrize("options", ["", "-e", "-v", "-e -v", "-s 60", "-s 60 -e"])
def test_packets_cut_by_the_snapshot_length_print_as_tcpdump(tmp_path: Path, options: str) -> None:
    # records cut by a capture's snapshot length (caplen < wirelen) inside the IP header, the
    # transport header and the payload; and a frame kept whole whose IPv4 length says more
    v4, v6 = {"src": "198.18.0.1", "dst": "198.18.0.2"}, {"src": "2001:db8::1", "dst": "2001:db8::2"}
    frames = [
        Ether(**ENDS) / IP(**v4) / UDP(sport=40000, dport=40001) / (b"u" * 500),
        Ether(**ENDS) / IP(**v4) / TCP(sport=40000, dport=40001, flags="PA", seq=1, ack=1) / (b"t" * 1000),
        Ether(**ENDS) / IP(**v4) / ICMP(id=1, seq=1) / (b"i" * 1000),
        Ether(**ENDS) / Dot1Q(vlan=5) / IPv6(**v6) / TCP(sport=1, dport=40001, flags="S") / (b"t" * 90),
        Ether(**ENDS) / IPv6(**v6) / ICMPv6EchoRequest(id=3, seq=4) / (b"i" * 90),
    ]
    if "-v" not in options:  # (-v's text for an ARP message cut short is not tcpdump's yet)
        arp = ARP(psrc="198.18.0.1", pdst="198.18.0.2")
        frames.append(Ether(src=ENDS["src"], dst="ff:ff:ff:ff:ff:ff") / arp)
    records = []
    for number, frame in enumerate(bytes(frame) for frame in frames):
        for kept in (14, 24, 40, 60, 100, len(frame)):
            records.append(Record(frame[:kept], (1700000000 + number) * 10**9, len(frame), LINKTYPE_ETHERNET))
    whole = bytes(frames[0])[:80]  # (its total length says 528)
    records.append(Record(whole, 1700000100 * 10**9, len(whole), LINKTYPE_ETHERNET))
    path = tmp_path / "cut.pcap"
    with PcapWriter(str(path), linktype=LINKTYPE_ETHERNET) as writer:
        for record in records:
            writer.write_record(record)
    theirs, ours = both(["-t", *options.split()], path)
    assert ours == theirs
    if not options:
        lines = ours.splitlines()
        assert "IP 198.18.0.1.40000 > 198.18.0.2.40001: UDP, length 500" in lines
        tcp = "IP 198.18.0.1.40000 > 198.18.0.2.40001: Flags [P.], seq 1:1001, ack 1, win 8192, length 1000"
        assert tcp in lines
        assert "IP 198.18.0.1 > 198.18.0.2: ICMP echo request, id 1, seq 1, length 1008" in lines
        assert "IP 198.18.0.1.40000 > 198.18.0.2.40001:  [|tcp]" in lines and "IP  [|ip]" in lines
        assert any(line.startswith("IP truncated-ip - 462 bytes missing! ") for line in lines)


def promiscuity(lab: Lab, interface: str) -> int:
    shown = lab.run("b", ["ip", "-d", "link", "show", "dev", interface]).stdout
    found = re.search(r"promiscuity (\d+)", shown)
    assert found, shown
    return int(found.group(1))


def test_an_interface_is_promiscuous_while_captured_unless_dash_p(lab: Lab) -> None:
    interface = interface_of_b(lab)
    assert promiscuity(lab, interface) == 0
    for flag in ([], ["-p"]):
        with tcpdump_live(lab, *flag, "-i", interface, "-w", "/dev/null"):
            expected = promiscuity(lab, interface)
        sniffer = Sniffer(lab, *flag, "-i", interface, "udp")
        seen = promiscuity(lab, interface)
        sniffer.process.terminate()
        assert sniffer.finish()[0] == 0
        assert seen == expected == (0 if flag else 1)
    assert promiscuity(lab, interface) == 0  # given back when the capture ends


@pytest.mark.parametrize("direction", ["in", "out"])
def test_direction_keeps_what_tcpdump_keeps(lab: Lab, tmp_path: Path, direction: str) -> None:
    interface, ours, reference = interface_of_b(lab), tmp_path / "ours.pcap", tmp_path / "theirs.pcap"
    expression = "udp port 9 or icmp"
    with tcpdump_live(lab, "-Q", direction, "-i", interface, "-w", str(reference), expression):
        sniffer = Sniffer(
            lab, "-Q", direction, "-i", interface, "-c", "2", "-w", str(ours), *expression.split()
        )
        with udp_from_a(lab) as sock:  # in: the datagrams; out: b's port unreachable errors
            for payload in (b"one", b"two"):
                sock.sendto(payload, (lab["b"].ipv4, 9))
        code, _, errors = sniffer.finish()
        assert code == 0, errors
        deadline = time.monotonic() + 5  # (tcpdump -U: both records in its file)
        while time.monotonic() < deadline and len(tshark_fields(reference, "frame.len")) < 2:
            time.sleep(0.05)
    read = ["tcpdump", "-n", "-tt", "-r"]
    expected = lab.run("b", [*read, str(reference)]).stdout.splitlines()
    assert lab.run("b", [*read, str(ours)]).stdout.splitlines() == expected
    assert len(expected) == 2 and all(("ICMP" in line) == (direction == "out") for line in expected)


def test_interfaces_are_listed_and_numbered_as_tcpdump(lab: Lab) -> None:
    # a pair inside b, one end up without carrier, one down: "Disconnected", and last
    lab.run("b", ["ip", "link", "add", "snf1", "type", "veth", "peer", "name", "snf0"])
    try:
        lab.run("b", ["ip", "link", "set", "snf1", "up"])
        ours = lines_of(rawnet(lab, "b", "sniff", "-D"))
        theirs = lab.run("b", ["tcpdump", "-D"]).stdout.splitlines()
        names = {line.split(".", 1)[1].split()[0] for line in ours}
        assert {"any", "lo", interface_of_b(lab), "snf0", "snf1"} <= names
        # libpcap's own capture sources (bluetooth, nflog, dbus ...) are not rawnet's: left out
        kept = [line.split(".", 1)[1] for line in theirs if line.split(".", 1)[1].split()[0] in names]
        assert [line.split(".", 1)[1] for line in ours] == kept
        # the numbers of the interfaces that are up are tcpdump's
        up = [line for line in theirs if "[Up" in line]
        assert up and all(line in ours for line in up)
        assert "snf1 [Up, Disconnected]" in " ".join(ours)
    finally:
        lab.run("b", ["ip", "link", "del", "snf1"])
    number = next(line.split(".")[0] for line in ours if f".{interface_of_b(lab)} " in line)
    sniffer = Sniffer(lab, "-i", number, "-c", "1", "udp")
    assert sniffer.listening.startswith(f"listening on {interface_of_b(lab)}, link-type EN10MB")
    with udp_from_a(lab) as sock:
        sock.sendto(b"one", (lab["b"].ipv4, 9))
    assert sniffer.finish()[0] == 0


def test_time_rotation_with_a_file_count_stops_as_tcpdump(lab: Lab, tmp_path: Path) -> None:
    interface = interface_of_b(lab)
    (tmp_path / "ours").mkdir()
    (tmp_path / "theirs").mkdir()
    pattern = "%Y%m%d-%H%M%S.pcap"
    argv = ["-G", "1", "-W", "2", "-i", interface, "-w"]
    ours = lab.popen(
        "b", [*RAWNET, "sniff", *argv, str(tmp_path / "ours" / pattern), "udp"], stderr=subprocess.PIPE
    )
    with tcpdump_live(lab, *argv, str(tmp_path / "theirs" / pattern), "udp") as (theirs, _):
        with udp_from_a(lab) as sock:
            deadline = time.monotonic() + 15
            while (ours.poll() is None or theirs.poll() is None) and time.monotonic() < deadline:
                sock.sendto(b"tick", (lab["b"].ipv4, 9))
                time.sleep(0.2)
        assert theirs.poll() == 0 and ours.wait(5) == 0
        assert theirs.stderr is not None and ours.stderr is not None
        their_end, our_end = theirs.stderr.read().splitlines(), ours.stderr.read().splitlines()
    assert our_end[-4] == their_end[-4] == "Maximum file limit reached: 2"  # then the counts
    for ours_line, their_line in zip(our_end[-3:], their_end[-3:], strict=True):  # (their own counts)
        assert ours_line.split(" ", 1)[1] == their_line.split(" ", 1)[1]
    for who in ("ours", "theirs"):
        names = sorted(path.name for path in (tmp_path / who).iterdir())
        assert len(names) == 2, names  # two files, named by the time each began (a second apart)
        times = [time.mktime(time.strptime(name, pattern)) for name in names]
        assert times[1] - times[0] >= 1
        for name in names:
            assert lab.run("b", ["tcpdump", "-r", str(tmp_path / who / name)]).returncode == 0


def test_a_ring_of_kib_is_set(lab: Lab) -> None:
    # -B 4096: the capture ring (tcpdump's -B sizes libpcap's), mapped into the process whole
    sniffer = Sniffer(lab, "-B", "4096", "-i", interface_of_b(lab), "udp")
    try:
        sizes = []
        with open(f"/proc/{sniffer.process.pid}/maps") as maps:
            for line in maps:
                if "socket:[" in line:
                    start, end = (int(bound, 16) for bound in line.split()[0].split("-"))
                    sizes.append(end - start)
        assert sizes == [4096 * 1024], sizes
    finally:
        sniffer.process.terminate()
        sniffer.finish()
