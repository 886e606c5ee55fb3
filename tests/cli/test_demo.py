"""rawnet demo as a subprocess: every step as expected, numbers that agree, and no lab left behind.

The demo makes its own lab, named rawnet-<its pid>-1-<host>; each test checks with iproute2 that
none of those namespaces is left, whether the demo ended normally, on Ctrl-C, or not at all.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time

from tests.cli.conftest import RAWNET, assert_one_line_error, json_lines, rawnet
from tests.privilege import without

TIMEOUT = 20.0
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def namespaces() -> set[str]:
    out = subprocess.run(["ip", "-j", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return {entry["name"] for entry in json.loads(out or "[]")}


def run_demo(*argv: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run the demo to its end; the result and the pid its namespaces are named after."""
    before = namespaces()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=TIMEOUT)
    left = {name for name in namespaces() - before if name.startswith(f"rawnet-{process.pid}-")}
    assert not left, f"the demo left {left}"
    return subprocess.CompletedProcess(argv, process.returncode, out, err), process.pid


def sections(text: str) -> dict[str, list[str]]:
    """The demo's output by section heading ("== title ==")."""
    found: dict[str, list[str]] = {}
    current = "intro"
    for line in text.splitlines():
        heading = re.fullmatch(r"== (.*) ==", line)
        if heading:
            current = heading.group(1)
            found[current] = []
        elif line.strip():
            found.setdefault(current, []).append(line)
    return found


def test_the_demo_runs_every_step_as_expected_and_removes_its_lab() -> None:
    result, pid = run_demo(*RAWNET, "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    parts = sections(result.stdout)
    titles = [title.split(":")[0] for title in parts if title != "intro"]
    assert titles == [
        "1. The lab",
        "2. The raw-socket post's sender",
        "3. The post's GET done properly",
        "4. The raw-socket post's TCP client, for contrast",
        "5. Ping a -> b",
        "6. Traceroute a -> b",
        "7. SYN scan of b",
        "8. Everything b's sniffer saw (" + titles[7].split("(")[1],
        "Summary",
    ]
    by_number = {title.split(".")[0]: lines for title, lines in parts.items()}
    lab = by_number["1"]
    assert lab[0].split()[:3] == ["a", "198.18.1.1", "2001:db8:1::1"] and f"rawnet-{pid}-1-a" in lab[0]
    r1 = lab[1].split()
    assert r1[:5] == ["r1", "198.18.1.2", "2001:db8:1::2", "198.18.2.1", "2001:db8:2::1"]
    assert lab[2].split()[:3] == ["b", "198.18.2.2", "2001:db8:2::2"]

    seed = [line.split(None, 1) for line in by_number["2"] if line.startswith("  ")]
    assert [direction for direction, _ in seed] == ["in", "out"] * 3
    for number, (_, summary) in enumerate(seed[0::2], start=1):
        assert summary.startswith(f"IP 198.18.1.1.55968 > 198.18.2.2.80: Flags [P.], seq {number}:")
        assert "ack 1, win 64, length 84" in summary
    for _, summary in seed[1::2]:
        assert summary == "IP 198.18.2.2.80 > 198.18.1.1.55968: Flags [R], seq 1, win 0, length 0"
    assert "the server in b accepted 0 connections" in "\n".join(by_number["2"])
    get = by_number["3"]
    source = re.match(r"a: rawnet\.tcp connected from (198\.18\.1\.\d+) port (\d+), ", get[0])
    assert source is not None and source.group(1) != "198.18.1.1", get[0]  # not a's own address
    assert get[1] == "a sent the post's GET (84 bytes): GET /att/DIYLife/41264/528 HTTP/1.1"
    assert get[2] == (
        f"server in b: got 'GET /att/DIYLife/41264/528 HTTP/1.1' from {source.group(1)}, Host: 198.18.2.2"
    )
    assert re.fullmatch(r"a received \d+ bytes: 'HTTP/1\.0 200 OK' and 2640 bytes of page", get[3])
    segments = re.fullmatch(
        r"rawnet\.tcp sent (\d+) segments; b's sniffer saw (\d+) of this connection \(\d+ in, \d+ out\), "
        r"0 RSTs among them",
        get[4],
    )
    assert segments is not None, get[4]
    assert get[5].startswith("ok: b's server got the post's GET and answered 200")
    client = "\n".join(by_number["4"])
    assert "client in a: the data received is byebye" in client
    assert re.search(r"server in b: received: hihi from \('198\.18\.1\.1', \d+\)", client)

    ping = by_number["5"]
    assert re.match(r"IPv4: echo reply from 198\.18\.2\.2: icmp_seq=1 ttl=63 time=\d+\.\d{3} ms", ping[0])
    assert re.match(r"IPv6: echo reply from 2001:db8:2::2: icmp_seq=1 hlim=63 time=", ping[1])
    hops = [line.split() for line in by_number["6"][:2]]
    assert hops[0][:3] == ["1", r1[1], "(r1)"] and hops[0][3:5] == ["time", "exceeded"]  # r1's address
    assert hops[1][:3] == ["2", "198.18.2.2", "(b)"] and hops[1][3:5] == ["echo", "reply"]
    scan = {line.split()[0]: line.split()[1] for line in by_number["7"] if "/tcp" in line}
    assert scan == {"22/tcp": "closed", "80/tcp": "open", "443/tcp": "closed", "31500/tcp": "closed"}

    seen = by_number["8"]
    counted = int(titles[7].split("(")[1].split()[0])
    assert len(seen) == counted
    inbound = sum(line.split()[1] == "in" for line in seen)
    assert sum("Flags [R]" in line and "55968" in line for line in seen) == 3
    connection = [line for line in seen if f"{source.group(1)}.{source.group(2)}" in line]
    assert len(connection) == int(segments.group(2)) and not any("Flags [R" in line for line in connection)
    assert sum(re.search(r"> 198\.18\.2\.2\.\d+: Flags \[S\]", line) is not None for line in seen) >= 5
    summary = "\n".join(by_number["Summary"])
    seen_line = f"b's sniffer saw {counted} ({inbound} in, {counted - inbound} out)"
    assert f"rawnet crafted and sent {11 + int(segments.group(1))} packets; {seen_line}" in summary
    assert "6 of 6 steps as expected: every step gave the expected answer" in summary
    assert f"the lab is removed (rawnet-{pid}-1-a, rawnet-{pid}-1-r1, rawnet-{pid}-1-b)" in summary


def test_python_m_rawnet_demo_json_is_the_same_demo_and_agrees_with_itself() -> None:
    result, _ = run_demo(sys.executable, "-m", "rawnet.demo", "--json")  # the old `make demo` module
    assert result.returncode == 0, result.stderr
    records = json_lines(result.stdout)
    steps = {record["step"]: record for record in records if record["type"] == "step"}
    assert list(steps) == ["sender", "get", "client", "ping", "traceroute", "scan"]
    assert all(step["ok"] for step in steps.values())
    assert steps["sender"] | {"type": "step"} == {
        "type": "step", "step": "sender", "ok": True, "sent": 3, "arrived": 3, "resets": 3, "connections": 0,
    }  # fmt: skip
    get = steps["get"]
    assert get["status"] == "HTTP/1.0 200 OK" and get["body"] == 2640 and get["requests"] == 1
    assert (
        get["resets"] == 0 and get["source"] != "198.18.1.1" and get["seen"] >= 6
    )  # (handshake, GET, answer, FINs)
    assert steps["traceroute"]["hops"]["1"]["address"] == "198.18.1.2"
    assert steps["traceroute"]["hops"]["2"] | {"rtt_ms": 0} == {
        "address": "198.18.2.2",
        "answer": "echo reply",
        "rtt_ms": 0,
    }
    assert steps["scan"]["ports"] == {"22": "closed", "80": "open", "443": "closed", "31500": "closed"}
    assert all(rtt > 0 for rtt in steps["ping"]["rtt_ms"].values())
    packets = [record for record in records if record["type"] == "packet"]
    statistics = records[-1]
    assert statistics["type"] == "statistics" and statistics["steps_ok"] == statistics["steps"] == 6
    assert statistics["seen"] == len(packets)
    assert statistics["seen_in"] == sum(packet["direction"] == "in" for packet in packets)
    assert [packet["time"] for packet in packets] == sorted(packet["time"] for packet in packets)


def blocked_writing(pid: int) -> None:
    """Wait until the process is asleep writing to its full stdout pipe (the kernel's wchan)."""
    deadline = time.monotonic() + TIMEOUT
    with open(f"/proc/{pid}/wchan") as wchan:
        while "pipe_write" not in wchan.read():
            assert time.monotonic() < deadline, "the demo never blocked on its output"
            time.sleep(0.01)  # (polling a state: there is no event for "blocked")
            wchan.seek(0)


def test_ctrl_c_ends_the_demo_with_its_summary_and_removes_the_lab() -> None:
    # The demo writes to a one-page pipe that is mostly full already, so it blocks writing about
    # a kilobyte of output in, in the middle of its steps, until this test reads: Ctrl-C comes
    # while the lab stands and the demo waits in write(), however fast or slow the machine.
    before = namespaces()
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, F_SETPIPE_SZ, 4096)
    filler = b"#" * 3000
    os.write(write_end, filler)
    process = subprocess.Popen([*RAWNET, "demo"], stdout=write_end, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            blocked_writing(process.pid)  # (a signal in the middle of a fork could be lost: not there)
            head = b""
            while len(head) < len(filler) or not head.endswith(b"==\n") or b"== 1. The lab" not in head:
                head += pipe.read(1)  # (reading less than the whole page keeps the demo blocked)
            mine = {name for name in namespaces() - before if name.startswith(f"rawnet-{process.pid}-")}
            process.send_signal(signal.SIGINT)
            rest = pipe.read().decode()
        assert process.wait(TIMEOUT) == 1
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
    assert len(mine) == 3  # the lab stood when Ctrl-C came
    assert "interrupted (Ctrl-C)" in rest and "the lab is removed" in rest
    assert "== 2. The raw-socket post's sender" in rest and "== 3." not in rest  # cut short in step 2
    assert not mine & namespaces()


def test_without_cap_sys_admin_the_demo_is_exit_3() -> None:
    dropped = subprocess.run(without("sys_admin", [*RAWNET, "demo"]), capture_output=True, text=True)
    assert_one_line_error(dropped, 3, "rawnet demo", "CAP_SYS_ADMIN")
    assert dropped.stdout == ""  # it stopped before making anything


def test_bad_arguments() -> None:
    assert_one_line_error(rawnet(None, "", "demo", "--nosuch"), 2, "rawnet demo", "--nosuch")
    assert_one_line_error(rawnet(None, "", "demo", "extra"), 2, "rawnet demo")
