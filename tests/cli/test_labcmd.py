"""rawnet lab up/list/exec/down as subprocesses, checked with iproute2 and the lab's own kernels.

Each test names its lab uniquely and removes whatever it created with `ip netns del` (not with
rawnet), however it ends.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import RAWNET, assert_one_line_error, json_lines, lines_of, rawnet
from tests.privilege import without

#: A stdlib-only ICMP echo (a raw socket): exit 0 when ADDRESS answers; prints the reply's TTL.
PING = """
import socket, struct, sys
address = sys.argv[1]
def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF
body = struct.pack("!BBHHH", 8, 0, 0, 0x4C41, 1) + b"lab"
request = body[:2] + struct.pack("!H", checksum(body + b"\\0")) + body[4:]
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
sock.settimeout(1)
sock.sendto(request, (address, 0))
while True:
    data, (source, _) = sock.recvfrom(200)
    start = (data[0] & 15) * 4
    if source == address and data[start] == 0 and data[start + 4 : start + 6] == b"LA":
        print(data[8])
        sys.exit(0)
"""


def namespaces() -> set[str]:
    """The namespaces iproute2 lists."""
    out = subprocess.run(["ip", "-j", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return {entry["name"] for entry in json.loads(out or "[]")}


def addresses(namespace: str) -> set[str]:
    """The lab addresses iproute2 sees inside a namespace."""
    out = subprocess.run(
        ["ip", "-n", namespace, "-j", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout
    return {
        info["local"]
        for link in json.loads(out)
        for info in link["addr_info"]
        if info["local"].startswith(("198.18.", "2001:db8:"))
    }


@pytest.fixture
def name() -> Iterator[str]:
    """A lab name of this test alone; its namespaces are deleted afterwards, whatever happened."""
    made = f"t{os.getpid()}"
    yield made
    for namespace in namespaces():
        if namespace.startswith(f"rawnet-keep-{made}-"):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)


def test_up_list_exec_down(name: str, tmp_path: Path) -> None:
    up = rawnet(None, "", "lab", "up", "--name", name)
    assert up.returncode == 0, up.stderr
    hosts = {f"rawnet-keep-{name}-a", f"rawnet-keep-{name}-b"}
    assert hosts <= namespaces()  # it outlived the command
    table = lines_of(up)
    assert table[0].split() == ["LAB", "HOST", "NAMESPACE", "INTERFACE", "TO", "IPV4", "IPV6", "MAC"]
    rows = {row.split()[1]: row.split() for row in table[1:]}
    assert rows["a"][4:7] == ["b", "198.18.1.1/24", "2001:db8:1::1/64"]
    assert rows["b"][4:7] == ["a", "198.18.1.2/24", "2001:db8:1::2/64"]
    assert addresses(f"rawnet-keep-{name}-a") == {"198.18.1.1", "2001:db8:1::1"}  # as the kernel has it
    listed = rawnet(None, "", "lab", "list")
    assert listed.returncode == 0 and set(table[1:]) <= set(lines_of(listed))  # read back from the kernel

    ping = rawnet(None, "", "lab", "exec", name, "a", "--", sys.executable, "-c", PING, "198.18.1.2")
    assert ping.returncode == 0, ping.stderr
    assert ping.stdout.strip() == "64"  # b's kernel answered, one link away
    passed = rawnet(None, "", "lab", "exec", name, "b", "--", "sh", "-c", "ip -br addr; exit 7")
    assert passed.returncode == 7 and "198.18.1.2/24" in passed.stdout  # b's view, b's exit code
    outside = rawnet(None, "", "lab", "exec", name, "a", "--", sys.executable, "-c", PING, "198.18.1.9")
    assert outside.returncode != 0  # nobody there: the command's failure is passed through
    text = tmp_path / "notes.txt"
    text.write_text("not a program\n")
    for command, code, message in [
        ("nosuchcmd", 127, "nosuchcmd: command not found"),  # as a shell says and exits
        ("/nonexistent/tool", 127, "/nonexistent/tool: No such file or directory"),
        (str(text), 126, f"{text}: Permission denied"),  # not executable
        (str(tmp_path), 126, f"{tmp_path}: Is a directory"),
    ]:
        refused = rawnet(None, "", "lab", "exec", name, "a", "--", command, "arg")
        assert_one_line_error(refused, code, "rawnet lab exec", message)

    down = rawnet(None, "", "lab", "down", name)
    assert down.returncode == 0, down.stderr
    assert down.stdout.strip() == f"removed lab {name}: {' '.join(sorted(hosts))}"
    assert not hosts & namespaces()


def test_up_with_routers_in_json_matches_the_kernel(name: str) -> None:
    up = rawnet(None, "", "lab", "up", "--name", name, "--routers", "2", "--json")
    assert up.returncode == 0, up.stderr
    hosts = json_lines(up.stdout)
    assert [host["host"] for host in hosts] == ["a", "r1", "r2", "b"]
    for host in hosts:
        assert host["type"] == "host" and host["lab"] == name
        assert host["netns"] == f"rawnet-keep-{name}-{host['host']}"
        shown = {address for each in host["interfaces"] for address in (each["ipv4"], each["ipv6"])}
        assert shown == addresses(host["netns"])
    assert [each["peer"] for each in hosts[1]["interfaces"]] == ["a", "r2"]
    assert hosts[3]["interfaces"][0]["ipv4"] == "198.18.3.2"
    assert json_lines(rawnet(None, "", "lab", "list", name, "--json").stdout) == hosts

    ping = rawnet(None, "", "lab", "exec", name, "a", sys.executable, "-c", PING, "198.18.3.2")
    assert ping.returncode == 0 and ping.stdout.strip() == "62", ping.stderr  # two routers on the way

    down = rawnet(None, "", "lab", "down", name, "--json")
    assert down.returncode == 0, down.stderr
    removed = json_lines(down.stdout)
    assert len(removed) == 1 and set(removed[0]["netns"]) == {host["netns"] for host in hosts}
    assert not {host["netns"] for host in hosts} & namespaces()


def test_down_all_removes_every_named_lab() -> None:
    # In a mount namespace of its own, with an empty /run/netns: `lab down --all` there sees only
    # the two labs made there, never the labs of whoever runs the tests (nor another run's).
    command = shlex.join(RAWNET)
    script = (
        "mount --make-rprivate / && mount -t tmpfs rawnet-test /run/netns"
        f" && {command} lab up --name one >/dev/null && {command} lab up --name two --routers 1 >/dev/null"
        f" && {command} lab down --all --json && ip netns list"
    )
    result = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]  # (`ip netns list`: nothing)
    assert sorted((record["lab"], len(record["netns"])) for record in records) == [("one", 2), ("two", 3)]


def test_a_name_in_use_and_unknown_names_are_usage_errors(name: str) -> None:
    assert rawnet(None, "", "lab", "up", "--name", name).returncode == 0
    again = rawnet(None, "", "lab", "up", "--name", name, "--routers", "1")
    assert_one_line_error(again, 2, "rawnet lab up", f"a lab named '{name}' exists already")
    assert {f"rawnet-keep-{name}-a", f"rawnet-keep-{name}-b"} <= namespaces()  # the first one untouched
    assert f"rawnet-keep-{name}-r1" not in namespaces()
    assert_one_line_error(rawnet(None, "", "lab", "exec", name, "c", "--", "true"), 2, "no host 'c'")
    assert_one_line_error(rawnet(None, "", "lab", "exec", name, "a"), 2, "give the command")
    unknown = f"{name}x"
    assert_one_line_error(rawnet(None, "", "lab", "down", unknown), 2, f"no lab named '{unknown}'")
    assert_one_line_error(rawnet(None, "", "lab", "exec", unknown, "a", "--", "true"), 2, "no lab named")
    assert_one_line_error(rawnet(None, "", "lab", "list", unknown), 2, "no lab named")


def test_bad_arguments() -> None:
    assert_one_line_error(rawnet(None, "", "lab", "up", "--name", "a/b"), 2, "cannot name a lab")
    assert_one_line_error(rawnet(None, "", "lab", "up", "--name", "-x"), 2)
    assert_one_line_error(rawnet(None, "", "lab", "up", "--routers", "300"), 2, "'--routers'")
    assert_one_line_error(rawnet(None, "", "lab", "up", "--routers", "-1"), 2, "'--routers'")
    assert_one_line_error(rawnet(None, "", "lab", "down"), 2, "NAME or --all")
    assert_one_line_error(rawnet(None, "", "lab", "down", "x", "--all"), 2, "NAME or --all")
    assert_one_line_error(rawnet(None, "", "lab", "nosuch"), 2, "No such command")


def test_without_cap_sys_admin_it_is_exit_3(name: str) -> None:
    for args in (["up", "--name", name], ["list"], ["down", name]):
        dropped = subprocess.run(
            without("sys_admin", [sys.executable, "-m", "rawnet", "lab", *args]),
            capture_output=True,
            text=True,
        )
        assert_one_line_error(dropped, 3, "CAP_SYS_ADMIN", "run as root")
    assert not any(namespace.startswith(f"rawnet-keep-{name}-") for namespace in namespaces())
