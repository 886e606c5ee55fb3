"""Run corpus snippets with one engine, in this process, and write their normalised outcomes.

    python -m tests.scapy.run --engine scapy|rawnet --out FILE [--kind offline|lab] [--ids a,b]

The harness starts it inside a network namespace (``ip netns exec``): an empty one for the offline
snippets, the lab's host "a" for those that send or capture. Each snippet gets fresh globals,
``from scapy.all import *`` or ``from rawnet import *``, a fresh working directory holding
capture.pcap, and runs statement by statement as in scapy's interactive shell (``_`` is the last
expression's value). Its outcome: the value of its result expression (or of its last line),
normalised (packets to class name and built bytes, bytes to hex, sequences to lists), the text
its last statement printed, or the exception it raised.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import os
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.scapy.corpus import Snippet, load
from tests.scapy.pcapfixture import write_capture

IMPORTS = {
    "scapy": "from scapy.all import *",
    "rawnet": "from rawnet import *",
    # For the harness's report only (--raw-shim): what a snippet meets once raw() exists.
    "rawnet+raw": "from rawnet import *\ndef raw(packet): return bytes(packet)",
}
#: The lab host "a" talks to "b" (198.18.2.2) through router "r1" on interface eth1.
PEER = "198.18.2.2"
LAB_INTERFACE = "eth1"
_PACKET_OUTGOING = 4
_ETH_P_ALL = 0x0003


class SnippetTimeout(BaseException):
    """The snippet ran past its timeout (a BaseException: a snippet's ``except Exception`` lets it by)."""


def _alarm(signum: int, frame: Any) -> None:
    raise SnippetTimeout("the snippet ran past its timeout")


class Normaliser:
    """Outcome values as JSON: packets of the engine become their class name and built bytes."""

    def __init__(self, engine: str) -> None:
        if engine == "scapy":
            from scapy.packet import Packet

            self.packet_types: tuple[type, ...] = (Packet,)
        else:
            from rawnet import IPOption, Layer

            self.packet_types = (Layer, IPOption)  # (IPv4 options are packets in scapy, values here)

    def __call__(self, value: Any, depth: int = 0) -> Any:
        if depth > 8:
            return {"object": type(value).__name__, "str": "(nested too deep)"}
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return {"bytes": bytes(value).hex()}
        if isinstance(value, self.packet_types):
            try:
                return {"packet": type(value).__name__, "bytes": bytes(value).hex()}
            except Exception as error:  # a packet that does not build is an outcome too
                return {"packet": type(value).__name__, "build_error": _exception(error)}
        if isinstance(value, BaseException):
            return {"exception_value": _exception(value)}
        if isinstance(value, dict):
            return {"dict": sorted([str(key), self(item, depth + 1)] for key, item in value.items())}
        if isinstance(value, set | frozenset):
            return {"set": sorted(json.dumps(self(item, depth + 1), sort_keys=True) for item in value)}
        if isinstance(value, list | tuple) or (hasattr(value, "__iter__") and hasattr(value, "__len__")):
            try:
                return [self(item, depth + 1) for item in list(value)]
            except Exception as error:
                return {"object": type(value).__name__, "iteration_error": _exception(error)}
        described: dict[str, Any] = {"object": type(value).__name__}
        try:
            described["str"] = str(value)
        except Exception as error:
            described["str_error"] = _exception(error)
        if hasattr(value, "__int__"):
            try:
                described["int"] = int(value)
            except Exception as error:
                described["int_error"] = _exception(error)
        return described


def _exception(error: BaseException) -> dict[str, str]:
    return {"type": type(error).__name__, "message": str(error)[:600]}


@contextmanager
def captured_stdout() -> Iterator[Callable[[], str]]:
    """Everything written to file descriptor 1 (print, and any writer that kept the old sys.stdout)."""
    sys.stdout.flush()
    saved = os.dup(1)
    text: list[str] = []
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield lambda: "".join(text)
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            text.append(sink.read().decode("utf-8", "replace"))


class Traffic(threading.Thread):
    """Traffic on the lab link for capture snippets, made with kernel sockets (neither engine's code).

    Every 50 ms an ICMP echo request to the peer (always the same one: id 0x4242, seq 1) and a UDP
    datagram to a closed port (the peer answers port unreachable); every 500 ms a TCP connection
    to the peer's port 80 (a listener there accepts and closes). At most 60 s.
    """

    def __init__(self, peer: str) -> None:
        super().__init__(daemon=True)
        self.peer = peer
        self.done = threading.Event()

    def run(self) -> None:
        echo = bytearray(struct.pack("!BBHHH", 8, 0, 0, 0x4242, 1) + b"corpus traffic")
        echo[2:4] = struct.pack("!H", _checksum(bytes(echo)))
        with (
            socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as icmp,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
        ):
            deadline = time.monotonic() + 60
            tick = 0
            while not self.done.is_set() and time.monotonic() < deadline:
                icmp.sendto(bytes(echo), (self.peer, 0))
                udp.sendto(b"corpus traffic", (self.peer, 33434))
                if tick % 10 == 0:
                    try:
                        with socket.create_connection((self.peer, 80), timeout=0.5):
                            pass
                    except OSError:
                        pass
                tick += 1
                self.done.wait(0.05)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Observer(threading.Thread):
    """The frames of the given ethertypes that leave LAB_INTERFACE while a send snippet runs."""

    def __init__(self, ethertypes: tuple[int, ...]) -> None:
        super().__init__(daemon=True)
        self.ethertypes = set(ethertypes)
        self.frames: list[str] = []
        self.done = threading.Event()
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        self.sock.bind((LAB_INTERFACE, 0))
        self.sock.settimeout(0.05)

    def run(self) -> None:
        while True:
            try:
                frame, address = self.sock.recvfrom(65535)
            except TimeoutError:
                if self.done.is_set():
                    break
                continue
            if address[2] == _PACKET_OUTGOING and address[1] in self.ethertypes:
                self.frames.append(frame.hex())

    def finish(self) -> list[str]:
        time.sleep(0.3)  # the last frames of the snippet reach the socket
        self.done.set()
        self.join(2)
        self.sock.close()
        return self.frames


def execute(snippet: Snippet, engine: str, normalise: Normaliser) -> dict[str, Any]:
    """Run one snippet in fresh globals; its outcome as a JSON-ready dict."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    outcome: dict[str, Any] = {"id": snippet.id, "engine": engine}
    started = time.monotonic()
    last_text = ""
    all_text: list[str] = []
    value: Any = None
    phase = "import"
    traffic = Traffic(PEER) if snippet.traffic else None
    observer = Observer(snippet.observe) if snippet.observe else None
    signal.signal(signal.SIGALRM, _alarm)
    try:
        exec(IMPORTS[engine], namespace)
        phase = "code"
        tree = ast.parse(snippet.code, filename=f"<{snippet.id}>")
        if traffic is not None:
            traffic.start()
            time.sleep(0.2)
        if observer is not None:
            observer.start()
        signal.setitimer(signal.ITIMER_REAL, snippet.timeout)
        try:
            for statement in tree.body:
                with captured_stdout() as text:
                    if isinstance(statement, ast.Expr):
                        code = compile(ast.Expression(statement.value), f"<{snippet.id}>", "eval")
                        value = eval(code, namespace)
                        if value is not None:
                            namespace["_"] = value
                    else:
                        module = ast.Module(body=[statement], type_ignores=[])
                        exec(compile(module, f"<{snippet.id}>", "exec"), namespace)
                        value = None
                last_text = text()
                all_text.append(last_text)
            if observer is not None:
                value = observer.finish()
                observer = None
            elif snippet.result is not None:
                phase = "result"
                with captured_stdout() as text:
                    value = eval(snippet.result, namespace)
                all_text.append(text())
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        outcome["value"] = normalise(value)
    except SnippetTimeout as error:
        outcome["exception"] = {**_exception(error), "type": "Timeout", "phase": phase}
    except Exception as error:
        outcome["exception"] = {**_exception(error), "phase": phase, "where": _where(error)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if traffic is not None:
            traffic.done.set()
        if observer is not None:
            observer.finish()
    outcome["stdout"] = last_text
    outcome["all_stdout"] = "".join(all_text)[-4000:]
    outcome["seconds"] = round(time.monotonic() - started, 3)
    return outcome


def _where(error: BaseException) -> str:
    """The innermost frame of the traceback (file:line function), to tell causes apart."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} {last.name}"


def in_own_namespace() -> bool:
    """True when this process runs in one of the namespaces a rawnet Lab made (/run/netns/rawnet-*)."""
    try:
        mine = os.stat("/proc/self/ns/net").st_ino
        return any(os.stat(entry).st_ino == mine for entry in Path("/run/netns").glob("rawnet-*"))
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    if not in_own_namespace():
        # The snippets send, and build packets that resolve addresses: only ever inside the
        # namespaces harness.py makes, never on the machine's network.
        print("tests.scapy.run runs only inside a network namespace: use python -m tests.scapy.harness")
        return 2
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=sorted(IMPORTS), required=True)
    parser.add_argument("--out", required=True, help="the JSON file of outcomes to write")
    parser.add_argument("--kind", choices=("offline", "lab", "all"), default="all")
    parser.add_argument("--ids", default="", help="comma-separated snippet ids (default: all of --kind)")
    arguments = parser.parse_args(argv)
    wanted = {ident for ident in arguments.ids.split(",") if ident}
    snippets = [
        snippet
        for snippet in load()
        if (not wanted or snippet.id in wanted)
        and (arguments.kind == "all" or snippet.lab == (arguments.kind == "lab"))
    ]
    normalise = Normaliser(arguments.engine)
    outcomes = []
    home = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="scapy-corpus-") as scratch:
        for index, snippet in enumerate(snippets):
            workdir = Path(scratch) / f"{index:03d}"
            workdir.mkdir()
            write_capture(workdir / "capture.pcap")
            os.chdir(workdir)
            try:
                outcomes.append(execute(snippet, arguments.engine, normalise))
            finally:
                os.chdir(home)
    Path(arguments.out).write_text(json.dumps(outcomes, indent=1, sort_keys=True))
    sys.stdout.flush()
    os._exit(0)  # threads a snippet left behind (a sniffer that never stopped) must not hold the exit


if __name__ == "__main__":
    sys.exit(main())
