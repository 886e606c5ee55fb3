"""Servers the tests run as subprocesses in a lab: started once they say so, always reaped."""

from __future__ import annotations

import os
import select
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rawnet.net.lab import Lab


@contextmanager
def started(
    lab: Lab, host: str, argv: Sequence[str], ready: Callable[[str], bool], timeout: float
) -> Iterator[subprocess.Popen[str]]:
    """``argv`` running in ``host``, yielded once its first stderr line satisfies ``ready``.

    However the block ends, the process is killed if still running, waited for, and its pipes
    closed.
    """
    process = lab.popen(host, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stderr is not None
        waiting, _, _ = select.select([process.stderr], [], [], timeout)
        line = process.stderr.readline() if waiting else ""
        assert ready(line), f"{' '.join(argv)} did not start: {line!r} (exit {process.poll()})"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()


#: A tun device's other end: attaches to it (TUNSETIFF: IFF_TUN | IFF_NO_PI) and writes each
#: packet given as a hex line on stdin into it, so the kernel receives it on that interface.
_TUN_PEER = """
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", sys.argv[1].encode(), 0x0001 | 0x1000))
print("attached", file=sys.stderr, flush=True)
for line in sys.stdin:
    os.write(fd, bytes.fromhex(line))
"""


class Tun:
    """A tun interface in a lab host (a link without link header, as wireguard's), and its far end."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def inject(self, packet: bytes) -> None:
        """``packet`` (from its IP header) arrives on the tun interface."""
        assert self.process.stdin is not None
        self.process.stdin.write(packet.hex() + "\n")
        self.process.stdin.flush()


@contextmanager
def tun(lab: Lab, host: str, name: str, address: str) -> Iterator[Tun]:
    """A tun interface ``name`` with ``address`` (a /24) in ``host``, up while the block runs."""
    if not os.path.exists("/dev/net/tun"):  # (a container without the device node: make it)
        os.makedirs("/dev/net", exist_ok=True)
        os.mknod("/dev/net/tun", stat.S_IFCHR | 0o666, os.makedev(10, 200))
    for argv in (
        ["ip", "tuntap", "add", "mode", "tun", "name", name],
        ["ip", "address", "add", address + "/24", "dev", name],
        ["ip", "link", "set", name, "up"],
    ):
        lab.run(host, argv, check=True)
    process = lab.popen(
        host, [sys.executable, "-c", _TUN_PEER, name], stdin=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stderr is not None
        waiting, _, _ = select.select([process.stderr], [], [], 10)
        assert waiting and process.stderr.readline() == "attached\n", process.stderr.read()
        yield Tun(process)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(10)
        lab.run(host, ["ip", "link", "delete", name])
