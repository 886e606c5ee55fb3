"""What every subcommand shares: exit codes, option types, output (text, JSON lines), RTT statistics,
the signals that stop a run.

Option types turn bad input into click usage errors (exit 2) before anything is opened; the
Output object writes results to stdout (a line of text, or one JSON object per line with
--json) and progress and live counters to stderr (rich, only on a terminal).
"""

from __future__ import annotations

import _thread
import ipaddress
import json
import math
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TextIO

import click
from rich.console import Console

from rawnet.wire.layer import Layer

# Exit codes (documented in docs/cli.md): ping's and hping3's conventions.
OK = 0
NO_REPLY = 1  # no reply, host down, nothing matched, or a network failure (no route, ...)
USAGE = 2  # a bad option, address, interface, filter or file
PERMISSION = 3  # a missing privilege (CAP_NET_RAW, CAP_SYS_ADMIN)


class Address(click.ParamType[str]):
    """An IPv4 or IPv6 address (or a host name, resolved once, when ``names`` is true)."""

    name = "address"

    def __init__(self, names: bool = True) -> None:
        self.names = names

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        try:
            return str(ipaddress.ip_address(text.split("%")[0])) + (
                "%" + text.split("%")[1] if "%" in text else ""
            )
        except ValueError:
            pass
        if self.names and text and not text[0].isdigit():
            try:
                return str(socket.getaddrinfo(text, None)[0][4][0])
            except (OSError, UnicodeError):
                self.fail(f"{text!r} is not an address, and no host has that name", param, ctx)
        self.fail(f"{text!r} is not an IPv4 or IPv6 address", param, ctx)


@dataclass(frozen=True)
class PortSpec:
    """Ports as hping3 and nmap write them: ``80``, ``20-25``, ``22,80,443``, ``++1024``."""

    ports: tuple[int, ...]
    #: ``++N``: start at N and add one for each packet sent (hping3); ``+N``: for each reply.
    step: str = ""

    def at(self, index: int) -> int:
        """The port of the ``index``-th packet (a list cycles; ``++N`` counts up and wraps)."""
        if self.step == "++":
            return (self.ports[0] + index) % 65536
        return self.ports[index % len(self.ports)]


class Ports(click.ParamType[PortSpec]):
    name = "ports"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> PortSpec:
        if isinstance(value, PortSpec):
            return value
        text = str(value).strip()
        step = "++" if text.startswith("++") else "+" if text.startswith("+") else ""
        body = text[len(step) :]
        ports: list[int] = []
        try:
            for part in body.split(","):
                low, _, high = part.partition("-")
                first, last = int(low), int(high) if high else int(low)
                if not 0 <= first <= last <= 65535:
                    raise ValueError
                ports.extend(range(first, last + 1))
        except ValueError:
            self.fail(f"{text!r}: ports are 0-65535, as 80, 20-25, 22,80,443 or ++1024", param, ctx)
        if step and len(ports) != 1:
            self.fail(f"{text!r}: + and ++ take one starting port", param, ctx)
        return PortSpec(tuple(ports), step)


class Interval(click.ParamType[float]):
    """Seconds between packets: ``0.5``, ``u100`` (hping3: microseconds), ``100us``, ``10ms``, ``2s``."""

    name = "interval"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip().lower()
        try:
            if text.startswith("u"):
                seconds = int(text[1:]) / 1e6
            elif text.endswith("us"):
                seconds = float(text[:-2]) / 1e6
            elif text.endswith("ms"):
                seconds = float(text[:-2]) / 1e3
            elif text.endswith("s"):
                seconds = float(text[:-1])
            else:
                seconds = float(text)
        except ValueError:
            self.fail(f"{text!r}: an interval is seconds (0.5, 2s), 10ms, 100us or u100", param, ctx)
        if not math.isfinite(seconds) or seconds < 0:
            self.fail(f"{text!r}: an interval is zero or more seconds", param, ctx)
        return seconds


ADDRESS = Address()
PORTS = Ports()
INTERVAL = Interval()


def payload_from(text: str | None, hex_data: str | None, path: str | None, size: int | None) -> bytes:
    """The payload of --data TEXT / --hex HEX / --file PATH, cut or zero-padded to --size."""
    given = [option for option in (text, hex_data, path) if option is not None]
    if len(given) > 1:
        raise click.UsageError("give the payload one way: --data, --hex or --file")
    data = b""
    if text is not None:
        data = text.encode().decode("unicode_escape").encode("latin-1")  # \r\n as in the raw-socket post
    elif hex_data is not None:
        try:
            data = bytes.fromhex(hex_data.replace(":", "").replace(" ", ""))
        except ValueError:
            raise click.BadParameter(f"{hex_data!r} is not hex", param_hint="--hex") from None
    elif path is not None:
        try:
            with open(path, "rb") as file:
                data = file.read()
        except OSError as error:
            raise click.BadParameter(f"cannot read {path}: {error.strerror}", param_hint="--file") from None
    if size is not None:
        data = (data + bytes(size))[:size] if len(data) < size else data[:size]
    return data


def one_mode(default: str, what: str, **names: str) -> Callable[[click.Context, click.Parameter, Any], str]:
    """The callback of mode flags sharing one name (each ``multiple=True, flag_value=MODE``):
    the mode given, ``default`` when none is, and a usage error (exit 2) naming both when two
    differ (``ping --tcp --udp``), never the last one kept silently. ``names``: each mode's
    option as the help writes it; ``what``: what the modes are ("modes", "scan types")."""

    def choose(ctx: click.Context, param: click.Parameter, value: Any) -> str:
        modes = list(dict.fromkeys(value or ()))
        if len(modes) > 1:
            first, second = names[modes[0]], names[modes[1]]
            raise click.UsageError(f"{first} and {second} are two {what}: give one", ctx)
        return modes[0] if modes else default

    return choose


class Output:
    """Results on stdout (text lines, or JSON lines with --json); progress on stderr (rich)."""

    def __init__(self, json_lines: bool = False, out: TextIO | None = None) -> None:
        self.json = json_lines
        self.out = out or sys.stdout
        self.console = Console(stderr=True, highlight=False)
        #: Live progress only on a terminal: pipes and tests get plain lines.
        self.live = self.console.is_terminal and not json_lines

    def line(self, text: str, record: dict[str, Any] | None = None) -> None:
        """One result: ``text`` in text mode, ``record`` as a JSON line in --json mode."""
        if self.json:
            if record is not None:
                self.out.write(json.dumps(record, default=_jsonable) + "\n")
        else:
            self.out.write(text + "\n")
        self.out.flush()

    @contextmanager
    def live_status(self, render: Callable[[], str]) -> Iterator[None]:
        """A status line on stderr redrawn from ``render()`` while the block runs (on a terminal only)."""
        if not self.live:
            yield
            return
        from rich.live import Live  # (imported only where there is a terminal to draw on)
        from rich.text import Text

        with Live(
            get_renderable=lambda: Text(render()), console=self.console, refresh_per_second=4, transient=True
        ):
            yield

    def note(self, text: str) -> None:
        """A remark for a person (stderr, not part of the results)."""
        if not self.json:
            click.echo(text, err=True)  # plain: one line stays one line, nothing is rendered


def _jsonable(value: Any) -> Any:
    if isinstance(value, Layer):  # (a layer inside a field: an IGMPv3 or MLDv2 group record)
        return {"layer": type(value).__name__, "fields": value.field_values()}
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, Layer):  # a record inside a field (a DNS answer, an EDNS0 option)
        return {"layer": type(value).__name__, "fields": value.field_values()}
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


@dataclass
class RttStats:
    """Sent, received, loss and round-trip times, as ping and hping3 report them."""

    sent: int = 0
    received: int = 0
    rtts: list[float] = field(default_factory=list)
    #: Replies to a probe already answered (not counted as received).
    duplicates: int = 0

    def add(self, rtt: float) -> None:
        self.received += 1
        self.rtts.append(rtt)

    @property
    def loss(self) -> float:
        return 0.0 if not self.sent else max(0.0, 1 - self.received / self.sent)

    def record(self) -> dict[str, Any]:
        rtt = self.rtts
        return {
            "type": "statistics",
            "sent": self.sent,
            "received": self.received,
            "loss": round(self.loss, 4),
            "duplicates": self.duplicates,
            "rtt_min_ms": round(min(rtt) * 1e3, 3) if rtt else None,
            "rtt_avg_ms": round(sum(rtt) / len(rtt) * 1e3, 3) if rtt else None,
            "rtt_max_ms": round(max(rtt) * 1e3, 3) if rtt else None,
        }

    def lines(self, target: str) -> list[str]:
        """hping3's closing block."""
        text = [
            f"--- {target} statistics ---",
            f"{self.sent} packets transmitted, {self.received} packets received, {self.loss:.0%} packet loss"
            + (f", +{self.duplicates} duplicates" if self.duplicates else ""),
        ]
        if self.rtts:
            low, high = min(self.rtts) * 1e3, max(self.rtts) * 1e3
            average = sum(self.rtts) / len(self.rtts) * 1e3
            text.append(f"round-trip min/avg/max = {low:.3f}/{average:.3f}/{high:.3f} ms")
        return text


# -- the signals that stop a run -----------------------------------------------------------------


class StopOnce:
    """A handler of the signals that stop a run (SIGINT; SIGTERM in send and sniff).

    The first raises KeyboardInterrupt: the run stops and prints its statistics. From then on
    SIGINT and that signal are ignored (SIG_IGN, not only in Python: the interpreter puts its
    handlers back to SIG_DFL while it exits), as hping3, ping and tcpdump ignore a second
    Ctrl-C while they print their statistics; so the statistics are never lost and the exit
    code stays the run's.
    """

    def __init__(self) -> None:
        self.fired = False
        self._passed_on: Callable[[Any], object] | None = None  # sys.unraisablehook before ours

    def __call__(self, number: int, frame: FrameType | None) -> None:
        if self.fired:
            return
        self.fired = True
        for each in {signal.SIGINT, number}:
            signal.signal(each, signal.SIG_IGN)
        if getattr(sys.unraisablehook, "__self__", None) is not self:
            self._passed_on, sys.unraisablehook = sys.unraisablehook, self._dropped
        raise KeyboardInterrupt

    def _dropped(self, unraisable: Any) -> None:
        """sys.unraisablehook: a KeyboardInterrupt raised where Python cannot pass it on (the
        signal came during a weakref callback or a __del__ run by the garbage collector) would be
        lost, with the signals ignored from then on: the run could no longer be stopped. So the
        signal is taken as not yet handled and comes again (_thread.interrupt_main, from a timer
        thread: called here it would be raised in this hook again), in the code the main thread
        runs next."""
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and self.fired:
            self.fired = False
            signal.signal(signal.SIGINT, self)
            threading.Timer(_AGAIN, _thread.interrupt_main, (signal.SIGINT,)).start()
        elif self._passed_on is not None:
            self._passed_on(unraisable)


#: Seconds before a dropped stop comes again (StopOnce._dropped): the hook has returned by then.
_AGAIN = 0.01


@contextmanager
def stopped_by_signals(*numbers: int) -> Iterator[None]:
    """SIGINT (and ``numbers``, such as SIGTERM) stop the block's run once (StopOnce).

    SIGINT is handled even when the process started with it ignored (a script's ``cmd &``:
    Python keeps the SIG_IGN it inherits). The process's own StopOnce (installed by the
    ``rawnet`` command at start) is shared, and stays ignoring once it fired; other previous
    handlers come back after the block. Outside the main thread nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    current = signal.getsignal(signal.SIGINT)
    handler = current if isinstance(current, StopOnce) else StopOnce()
    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, *numbers)}
    try:
        yield
    finally:
        for number, old in previous.items():
            if not (handler.fired and old is handler):
                signal.signal(number, signal.SIG_DFL if old is None else old)
