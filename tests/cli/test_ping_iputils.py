"""rawnet ping side by side with iputils ping, in one lab on one target: the habits of issue 11
(-f, -w, -D, -O, -n, -Q, -M, -p, the first lines), each compared with what iputils ping prints
or sends (a tcpdump capture in b read back by tshark)."""

from __future__ import annotations

import itertools
import re
import subprocess
import time
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.cli.conftest import json_lines, lines_of, rawnet, tcpdump, tshark_fields
from tests.cli.probe_helpers import NOBODY, link


def _classic(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    """iputils ping in a."""
    return lab.run("a", ["ping", *args], timeout=30)


def _flood_body(stdout: str) -> str:
    """What -f writes between the first line and the statistics: the dots and the backspaces."""
    return stdout.split("\n", 1)[1].split("\n--- ", 1)[0]


def _transmitted(stdout: str) -> tuple[int, int]:
    found = re.search(r"^(\d+) packets transmitted, (\d+) received", stdout, re.MULTILINE)
    assert found, stdout
    return int(found[1]), int(found[2])


# -- -f ---------------------------------------------------------------------------------------------


def test_flood_writes_iputils_dots_and_backspaces(lab: Lab) -> None:
    target = lab["b"].ipv4
    ours = rawnet(lab, "a", "ping", "-f", "-c", "300", target)
    theirs = _classic(lab, "-f", "-c", "300", target)
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    assert _flood_body(ours.stdout) == _flood_body(theirs.stdout) == ".\b \b" * 300
    assert _transmitted(ours.stdout) == _transmitted(theirs.stdout) == (300, 300)
    rtt = lines_of(ours)[-1]  # iputils' flood statistics: the inter-probe gap and the smoothed RTT
    assert re.fullmatch(r"rtt min/avg/max/mdev = [\d./]+ ms, ipg/ewma \d+\.\d{3}/\d+\.\d{3} ms", rtt), rtt
    assert ", ipg/ewma " in lines_of(theirs)[-1]


def test_flood_without_replies_sends_every_10_ms_as_iputils(lab: Lab, tmp_path: Path) -> None:
    target = lab["b"].ipv4
    lab.sysctl("b", "net.ipv4.icmp_echo_ignore_all", "1")  # b hears the requests, and is silent
    try:
        with tcpdump(lab, "b", link(lab, "b", "a"), "icmp", tmp_path / "flood.pcap") as capture:
            ours = rawnet(lab, "a", "ping", "-f", "-c", "4", "-W", "0.2", target)
        theirs = _classic(lab, "-f", "-c", "4", "-W", "0.2", target)
    finally:
        lab.sysctl("b", "net.ipv4.icmp_echo_ignore_all", "0")
    assert ours.returncode == theirs.returncode == 1
    assert _flood_body(ours.stdout) == _flood_body(theirs.stdout) == "...."
    times = [float(row[0]) for row in tshark_fields(capture, "frame.time_epoch")]
    assert len(times) == 4
    assert all(later - earlier >= 0.009 for earlier, later in itertools.pairwise(times)), times  # not a burst


def test_flood_json_and_quiet_write_no_dots(lab: Lab) -> None:
    quiet = rawnet(lab, "a", "ping", "-f", "-q", "-c", "20", lab["b"].ipv6)
    assert quiet.returncode == 0 and "." not in _flood_body(quiet.stdout).strip()
    records = json_lines(rawnet(lab, "a", "ping", "-f", "-c", "20", "--json", lab["b"].ipv4).stdout)
    assert [record["type"] for record in records] == ["reply"] * 20 + ["statistics"]
    assert records[-1]["ipg_ms"] is not None and records[-1]["ewma_ms"] is not None


# -- -w, -W ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "extra", "code", "sent"),
    [
        ("b", ["-w", "1", "-i", "0.4"], 0, 3),  # until the deadline (no -c limit): 0, 0.4, 0.8 s
        ("b", ["-w", "3", "-c", "2", "-i", "0.2"], 0, 2),  # -c answers end it before the deadline
        ("nobody", ["-w", "1", "-c", "2", "-i", "0.4"], 1, 3),  # -c with -w counts answers, not probes
    ],
)
def test_deadline_w_counts_as_iputils(lab: Lab, target: str, extra: list[str], code: int, sent: int) -> None:
    address = lab["b"].ipv4 if target == "b" else NOBODY
    ours = rawnet(lab, "a", "ping", *extra, address)
    theirs = _classic(lab, *extra, address)
    assert ours.returncode == theirs.returncode == code, (ours.stdout, ours.stderr)
    assert _transmitted(ours.stdout)[0] == _transmitted(theirs.stdout)[0] == sent


# -- -D, -O, -n -------------------------------------------------------------------------------------


def test_d_stamps_each_reply_line_as_iputils(lab: Lab) -> None:
    before = time.time()
    ours = rawnet(lab, "a", "ping", "-D", "-n", "-c", "2", "-i", "0.2", lab["b"].ipv4)
    theirs = _classic(lab, "-D", "-n", "-c", "2", "-i", "0.2", lab["b"].ipv4)
    stamped = r"\[(\d+\.\d{6})\] 64 bytes from [\d.]+: icmp_seq=\d ttl=64 time=[\d.]+ ms"
    for result in (ours, theirs):
        assert result.returncode == 0, result.stderr
        stamps = [float(re.fullmatch(stamped, line)[1]) for line in lines_of(result)[1:3]]  # type: ignore[index]
        assert before - 1 <= stamps[0] <= stamps[1] <= time.time() + 1
    record = json_lines(rawnet(lab, "a", "ping", "-D", "-c", "1", "--json", lab["b"].ipv4).stdout)[0]
    assert before - 1 <= float(record["timestamp"]) <= time.time() + 1


def test_o_reports_an_outstanding_probe_as_iputils(lab: Lab) -> None:
    args = ["-O", "-c", "2", "-i", "0.3", "-W", "0.1", NOBODY]
    ours, theirs = rawnet(lab, "a", "ping", *args), _classic(lab, *args)
    assert ours.returncode == theirs.returncode == 1
    said = [line for line in lines_of(ours) if line.startswith("no answer")]
    assert said == [line for line in lines_of(theirs) if line.startswith("no answer")]
    assert said == ["no answer yet for icmp_seq=1"]
    answered = rawnet(lab, "a", "ping", "-O", "-c", "2", "-i", "0.2", lab["b"].ipv4)
    assert "no answer" not in answered.stdout
    records = json_lines(rawnet(lab, "a", "ping", "--json", *args).stdout)
    assert {"type": "outstanding", "seq": 1} in records


# -- the first lines --------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
@pytest.mark.parametrize("through", ["", "interface", "address"])
def test_first_line_is_iputils(lab: Lab, family: str, through: str) -> None:
    a, target = lab["a"], getattr(lab["b"], family)
    bound = {"": [], "interface": ["-I", link(lab, "a", "b")], "address": ["-I", getattr(a, family)]}[through]
    args = ["-c", "1", "-n", "-s", "100", *bound, target]
    ours, theirs = rawnet(lab, "a", "ping", *args), _classic(lab, *args)
    assert ours.returncode == theirs.returncode == 0, ours.stderr
    assert lines_of(ours)[0] == lines_of(theirs)[0]
    assert lines_of(ours)[1].split(" time=")[0] == lines_of(theirs)[1].split(" time=")[0]
    assert lines_of(ours)[2] == lines_of(theirs)[2]  # --- ... ping statistics ---


# -- the IP header: -Q, -M; the payload: -p -----------------------------------------------------------


def _requests(lab: Lab, path: Path, family: str, *args: str) -> list[list[str]]:
    """rawnet's and then iputils' echo requests (one each) as b saw them: TOS / traffic class, DF,
    the payload bytes."""
    target = getattr(lab["b"], family)
    fields = (
        ("ip.dsfield", "ip.flags.df", "data.data")
        if family == "ipv4"
        else ("ipv6.tclass", "ipv6.nxt", "data.data")
    )
    shown = "icmp.type == 8" if family == "ipv4" else "icmpv6.type == 128"
    with tcpdump(lab, "b", link(lab, "b", "a"), "icmp or icmp6", path) as capture:
        ours = rawnet(lab, "a", "ping", "-c", "1", *args, target)
        theirs = _classic(lab, "-c", "1", *args, target)
    assert ours.returncode == theirs.returncode == 0, (ours.stdout, ours.stderr)
    assert ours.stdout.splitlines()[0] == theirs.stdout.splitlines()[0]  # PATTERN: 0x... too
    return tshark_fields(capture, *fields, display_filter=shown)


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_q_tos_and_p_pattern_as_iputils(lab: Lab, tmp_path: Path, family: str) -> None:
    ours, theirs = _requests(lab, tmp_path / "q.pcap", family, "-Q", "0x28", "-p", "ff00a5", "-s", "40")
    assert int(ours[0], 0) == int(theirs[0], 0) == 0x28
    data, classic = (bytes.fromhex(row[2].replace(":", "")) for row in (ours, theirs))
    # iputils' first 16 bytes are its send time (tshark may show 8 of them as a timestamp apart)
    assert len(data) == 40 and len(classic) in (32, 40)
    assert data[16:] == classic[-24:]
    assert data == (b"\xff\x00\xa5" * 14)[:40]


@pytest.mark.parametrize("pmtu", ["", "do", "dont", "want"])
def test_m_sets_dont_fragment_as_iputils(lab: Lab, tmp_path: Path, pmtu: str) -> None:
    ours, theirs = _requests(lab, tmp_path / "m.pcap", "ipv4", *(["-M", pmtu] if pmtu else []))
    assert ours[1] == theirs[1]
    assert ours[1] in (("False", "0") if pmtu == "dont" else ("True", "1"))


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_m_do_above_the_mtu_is_a_local_error_as_iputils(lab: Lab, tmp_path: Path, family: str) -> None:
    target = getattr(lab["b"], family)
    args = ["-M", "do", "-s", "1473", "-c", "2", "-i", "0.2", target]
    echo = "icmp[icmptype] == icmp-echo or (icmp6 and ip6[40] == 128)"  # (not ND or MLD: they come too)
    with tcpdump(lab, "b", link(lab, "b", "a"), echo, tmp_path / "do.pcap") as capture:
        ours = rawnet(lab, "a", "ping", *args)
    theirs = _classic(lab, *args)
    assert ours.returncode == theirs.returncode == 1
    mine = [line.removeprefix("rawnet ping: ") for line in ours.stderr.splitlines()]
    assert mine == [line.removeprefix("ping: ") for line in theirs.stderr.splitlines()]
    assert mine[0] == ("local error: message too long, " + ("mtu=1500" if family == "ipv4" else "mtu: 1500"))
    expected = "2 packets transmitted, 0 received, +2 errors, 100% packet loss"
    assert expected in ours.stdout and expected in theirs.stdout
    assert tshark_fields(capture, "frame.len") == []  # nothing left
    fits = rawnet(
        lab, "a", "ping", "-M", "do", "-s", "1472" if family == "ipv4" else "1452", "-c", "1", target
    )
    assert fits.returncode == 0, fits.stderr


def test_m_want_above_the_mtu_fragments_without_df_as_iputils(lab: Lab, tmp_path: Path) -> None:
    target = lab["b"].ipv4
    with tcpdump(lab, "b", link(lab, "b", "a"), "icmp", tmp_path / "want.pcap") as capture:
        ours = rawnet(lab, "a", "ping", "-M", "want", "-s", "2000", "-c", "1", target)
    assert ours.returncode == 0, ours.stderr
    sent = tshark_fields(capture, "ip.flags.df", "ip.flags.mf", display_filter=f"ip.dst == {target}")
    assert len(sent) == 2 and all(row[0] in ("False", "0") for row in sent)
