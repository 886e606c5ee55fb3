"""How rawnet scan sends its probes: host discovery, and passes of probes whose pace adapts as nmap's.

Linux sends at most 6 ICMP errors to a peer at once and then one a second (net.ipv4.icmp_ratelimit),
so a UDP scan that sends fast hears nothing from most closed ports. The timing here finds that
out and backs off (see Passes); the exchange engine (rawnet.net.exchange) sends, receives and
matches. Nothing here prints: the command gets events through callbacks.
"""

from __future__ import annotations

import errno
import selectors
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rawnet.net.exchange import Exchange, Query

#: nmap's bounds: the shortest wait for an answer once RTTs are known, the longest pause between
#: probes (--max-scan-delay: 1 s, the pace at which Linux lets ICMP errors through), the first
#: pause when backing off.
MIN_WAIT = 0.1
MAX_DELAY = 1.0
FIRST_DELAY = 0.05


@dataclass
class Timing:
    """The pace of a scan: its limits (from the options) and what it has learnt (RTT)."""

    max_retries: int = 10
    max_wait: float = 1.0
    min_delay: float = 0.0
    max_delay: float = MAX_DELAY
    srtt: float | None = None
    rttvar: float = 0.0

    def sample(self, rtt: float) -> None:
        """An RTT of a probe sent once (Karn: a resent probe's is ambiguous), as TCP smooths it."""
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt

    def wait(self) -> float:
        """How long a pass waits for answers after its last probe: srtt + 4 rttvar within
        [0.1 s, -w], or -w before any RTT is known."""
        if self.srtt is None:
            return self.max_wait
        return min(self.max_wait, max(MIN_WAIT, self.srtt + 4 * self.rttvar))


class Passes:
    """Probes sent in passes, the unanswered ones again in the next, the pace adapting between them.

    - Pass 0 sends every probe at the fastest pace allowed (--rate).
    - Without signs of a rate limit, a probe is sent at most min(N + 1, --max-retries) + 1 times,
      where N is the highest try that ever got an answer (nmap's max_successful_tryno): a host
      that drops nothing gets one retry per silent probe.
    - Signs of a rate limit: an answer to a resent probe (the earlier one was dropped), or, where
      the closed answer is an ICMP error (``icmp_closes``: UDP, -sO), silence from some probes
      while the host sends ICMP errors for others. Then each pass that leaves probes unanswered
      doubles the pause between probes (from 50 ms up to 1 s, nmap's --max-scan-delay), and the
      passes go on until one brings no answer although it was sent slowly enough for a limiter
      of one answer a second to let one through (its probes spanned 1 s or more), or a probe
      has been sent --max-retries + 1 times.
    """

    def __init__(
        self,
        exchange: Exchange,
        timing: Timing,
        *,
        icmp_closes: bool,
        on_delay: Callable[[float, float, int, int], object] | None = None,
    ) -> None:
        self.exchange = exchange
        self.timing = timing
        self.icmp_closes = icmp_closes
        self.on_delay = on_delay
        self.delay = timing.min_delay
        self.max_tryno = 0
        self.dropped = False  # an answer to a resent probe was seen
        self.icmp_errors = 0  # ICMP errors that answered a probe
        self.tries: dict[int, int] = {}  # id(query) -> the try being sent now (0: first)

    def answered(self, query: Query, rtt: float, icmp_error: bool) -> None:
        """Tell it about an answer (call from the exchange's on_answer)."""
        tryno = self.tries.get(id(query), 0)
        if tryno == 0:
            self.timing.sample(rtt)
        elif tryno > self.max_tryno:
            self.max_tryno = tryno
            self.dropped = True
        self.icmp_errors += icmp_error

    def run(self, queries: Sequence[Query]) -> list[Query]:
        """Send ``queries`` until each is answered or given up; returns the unanswered."""
        todo = list(queries)
        tryno = 0
        wait = 0.0
        while todo:
            for query in todo:
                self.tries[id(query)] = tryno
            if tryno and self.delay > wait:  # (the pause before a pass's first probe: one delay too)
                self.exchange.wait_until(time.perf_counter() + self.delay - wait)
            wait = self.timing.wait()
            self.exchange.rounds(todo, inter=self.delay, timeout=wait, retry=0)
            remaining = [query for query in todo if not query.replies]
            brought = len(todo) - len(remaining)
            tried = tryno + 1
            if not remaining or tried > self.timing.max_retries:
                return remaining
            limited = self.dropped or (self.icmp_closes and self.icmp_errors > 0)
            if not limited:
                if tried >= min(self.max_tryno + 1, self.timing.max_retries) + 1:
                    return remaining
            else:
                if not brought and tryno and len(todo) * self.delay >= self.timing.max_delay:
                    return remaining  # (slow enough for a limiter to let one through, yet silent)
                slower = min(self.timing.max_delay, max(FIRST_DELAY, self.delay * 2))
                if slower != self.delay:
                    if self.on_delay is not None:
                        self.on_delay(self.delay, slower, len(remaining), len(todo))
                    self.delay = slower
            todo = remaining
            tryno += 1
        return []


# -- the connect scan ---------------------------------------------------------------------------------

#: What a failed connect() means, as nmap -sT reads it: (state, reason).
_CONNECT_ERRORS = {
    errno.ECONNREFUSED: ("closed", "conn-refused"),
    errno.EHOSTUNREACH: ("filtered", "host-unreach"),
    errno.ENETUNREACH: ("filtered", "net-unreach"),
    errno.EACCES: ("filtered", "admin-prohibited"),
    errno.EPERM: ("filtered", "admin-prohibited"),
    errno.ETIMEDOUT: ("filtered", "no-response"),
}
_LINGER_RESET = struct.pack("ii", 1, 0)  # (close with a RST, as nmap ends a connect probe)


def connect_scan(
    destination: str,
    ports: Sequence[int],
    *,
    wait: float,
    retries: int,
    interface: str | None = None,
    source: str | None = None,
    parallel: int = 128,
    on_result: Callable[[int, str, str, float | None], object] | None = None,
) -> dict[int, tuple[str, str, float | None]]:
    """nmap -sT: a connect() through the kernel's TCP to each port, ``parallel`` at a time; no
    privilege needed. port -> (state, reason, rtt): connected is open (syn-ack), refused closed
    (conn-refused), an ICMP error filtered, nothing within ``wait`` s (``retries`` more times,
    each a new connection) filtered (no-response)."""
    family = socket.AF_INET6 if ":" in destination else socket.AF_INET
    results: dict[int, tuple[str, str, float | None]] = {}
    attempts: dict[int, int] = {}
    todo = deque(ports)
    active: dict[socket.socket, tuple[int, float, float]] = {}  # -> (port, started, deadline)
    selector = selectors.DefaultSelector()

    def settle(port: int, state: str, reason: str, rtt: float | None) -> None:
        results[port] = (state, reason, rtt)
        if on_result is not None:
            on_result(port, state, reason, rtt)

    def finish(sock: socket.socket, code: int) -> None:
        port, started, _ = active.pop(sock)
        selector.unregister(sock)
        sock.close()
        rtt = time.monotonic() - started
        if code == 0:
            settle(port, "open", "syn-ack", rtt)
        else:
            state, reason = _CONNECT_ERRORS.get(
                code, ("filtered", errno.errorcode.get(code, str(code)).lower())
            )
            settle(port, state, reason, rtt if state == "closed" else None)

    try:
        while todo or active:
            while todo and len(active) < parallel:
                port = todo.popleft()
                attempts[port] = attempts.get(port, 0) + 1
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.setblocking(False)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
                if interface:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
                if source:
                    sock.bind((source, 0))
                now = time.monotonic()
                code = sock.connect_ex((destination, port))
                active[sock] = (port, now, now + wait)
                selector.register(sock, selectors.EVENT_WRITE)
                if code not in (errno.EINPROGRESS, errno.EAGAIN):
                    finish(sock, code)
            if not active:
                continue
            now = time.monotonic()
            soonest = min(deadline for _, _, deadline in active.values())
            for key, _ in selector.select(max(0.0, soonest - now)):
                ready = key.fileobj
                assert isinstance(ready, socket.socket)
                finish(ready, ready.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
            now = time.monotonic()
            for sock, (port, _, deadline) in list(active.items()):
                if deadline <= now:
                    active.pop(sock)
                    selector.unregister(sock)
                    sock.close()
                    if attempts[port] <= retries:
                        todo.append(port)
                    else:
                        settle(port, "filtered", "no-response", None)
    finally:
        for sock in active:
            sock.close()
        selector.close()
    return results
