"""rawnet arping beside iputils arping, on one target in a lab a - b.

Both run in a; their lines are compared with the times blanked out, their exit codes too, and
the gratuitous and DAD frames they send are read from a tcpdump capture in b (by tshark).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from rawnet.net.lab import Lab
from tests.cli.conftest import assert_one_line_error, lines_of, rawnet, tcpdump, tshark_fields
from tests.cli.probe_helpers import NOBODY, link


def classic(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    return lab.run("a", ["arping", *args], timeout=30)


def shape(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [re.sub(r"\d+\.\d{3}ms", "Tms", text) for text in lines_of(result)]


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "2"],  # broadcast, then unicast to the MAC that answered: "(1 broadcast(s))"
        ["-c", "2", "-b"],
        ["-D", "-c", "2"],  # taken: exit 1 at the first answer
        ["-D", "-c", "1", NOBODY],  # free: exit 0
        ["-f"],
        ["-c", "2", "-w", "3"],  # stops at the second reply
        ["-q", "-c", "1"],
        ["-w", "1", NOBODY],  # a deadline: two requests, exit 1
        ["-s", "198.18.1.1", "-c", "1"],
    ],
    ids=" ".join,
)
def test_lines_and_exit_codes_match_iputils(lab: Lab, args: list[str]) -> None:
    target = [] if NOBODY in args else [lab["b"].ipv4]
    full = [*args, "-I", link(lab, "a", "b"), *target]
    ours, theirs = rawnet(lab, "a", "arping", *full), classic(lab, *full)
    assert shape(ours) == shape(theirs), (ours.stdout, ours.stderr, theirs.stdout)
    assert ours.returncode == theirs.returncode, (ours.stderr, theirs.stderr)


def test_gratuitous_and_dad_frames_match_iputils(lab: Lab, tmp_path: Path) -> None:
    """-U (request), -A (reply) for a's own address, -D from 0.0.0.0: the same ARP fields, as b sees them."""
    a, b, through = lab["a"], lab["b"], link(lab, "a", "b")
    fields = (
        "eth.dst",
        "arp.opcode",
        "arp.src.hw_mac",
        "arp.src.proto_ipv4",
        "arp.dst.hw_mac",
        "arp.dst.proto_ipv4",
    )
    # (arping's own frames: sender = target (-U, -A) or sender 0.0.0.0 (-D); the kernels' ARP left out)
    ours = "arp.src.proto_ipv4 == arp.dst.proto_ipv4 or arp.src.proto_ipv4 == 0.0.0.0"
    frames = {}
    for who, run in (("rawnet", True), ("iputils", False)):
        path = tmp_path / f"{who}.pcap"
        with tcpdump(lab, "b", link(lab, "b", "a"), "arp", path):
            for args in (["-U", a.ipv4], ["-A", a.ipv4], ["-D", b.ipv4]):
                argv = [*args[:-1], "-c", "1", "-I", through, args[-1]]
                result = rawnet(lab, "a", "arping", *argv) if run else classic(lab, *argv)
                assert result.returncode == (1 if "-D" in args else 0), result.stderr
        frames[who] = tshark_fields(path, *fields, display_filter=ours)
    mac = a.interfaces["b"].mac.lower()
    assert (
        frames["rawnet"]
        == frames["iputils"]
        == [
            ["ff:ff:ff:ff:ff:ff", "1", mac, a.ipv4, "ff:ff:ff:ff:ff:ff", a.ipv4],
            ["ff:ff:ff:ff:ff:ff", "2", mac, a.ipv4, mac, a.ipv4],
            ["ff:ff:ff:ff:ff:ff", "1", mac, "0.0.0.0", "ff:ff:ff:ff:ff:ff", b.ipv4],
        ]
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["-D", "2001:db8:1::2"], ["-D", "IPv4"]),
        (["-s", "2001:db8::1", "198.18.1.2"], ["-s", "not an IPv4 address"]),
        (["-w", "0", "198.18.1.2"], ["-w/--deadline"]),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(lab: Lab, args: list[str], words: list[str]) -> None:
    assert_one_line_error(rawnet(lab, "a", "arping", *args), 2, *words)
