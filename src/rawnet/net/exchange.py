"""The exchange engine: probes out, replies in, each reply matched to the probe it answers.

One engine under sr, sr1, srp, srp1, the library's arping and traceroute, and the command
line's ping, traceroute, arping, scan and ``send --listen``. What it keeps to:

- The listener is armed before the first probe leaves (a Link opens it first: see
  rawnet.net.links), so no fast reply is lost; our own packets, seen leaving, are skipped.
- Probes leave paced by deadline (start + k * interval, so sleep's overshoot never adds up;
  the last 200 us are spun), each stamped with ``sent_time`` just before the send call (a
  reply on a veth can arrive before it returns).
- A probe waits in a table bucketed by matching.probe_key until a reply answers it by the
  exchange's rule (matching.answers; answers_frame at layer 2) or its deadline passes; with
  ``multi`` it keeps taking answers until then. Recently answered probes can be kept to tell
  duplicates (ping's DUP!).
- A send error is the SendError of sockets.send_error (a full queue drops the probe, as a
  wire does): it propagates, unless the caller takes it in on_send_error and goes on.
- A reply that comes as IP fragments (the kernel answers a fragmented echo request with a
  fragmented reply) is reassembled (rawnet.defragment()) and taken whole, at the time its last
  fragment came; fragments that make no datagram within 30 s (Linux's ipfrag_time) are dropped.
- Rounds (sr's retry) send the unanswered again; a negative retry keeps resending until that
  many rounds in a row bring no new answer (scapy's).

It never decides what a reply means (alive, open, a hop, a MAC): its users do.
"""

from __future__ import annotations

import heapq
import itertools
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from rawnet.errors import RawnetError, SendError
from rawnet.net.matching import (
    answers,
    echo_reply_key,
    fragment_key,
    probe_key,
    reply_keys,
    wire_destination,
    wire_probe_key,
)
from rawnet.net.sockets import RawSocket, Received
from rawnet.wire import IP, IPv6, Layer, defragment

#: The last stretch before a pacing deadline, spun rather than slept (microsecond pacing).
_SPIN = 0.0002
#: How often a wait looks at its stop event (asr's cancellation).
_STOP_POLL = 0.05
#: The deadline heap is rebuilt without its stale entries once it is this many times the waiting
#: probes (plus a floor): amortised O(1) per probe, and answered probes are let go.
_HEAP_SLACK, _HEAP_FLOOR = 2, 64
#: Seconds a datagram's fragments wait for the rest (Linux's net.ipv4.ipfrag_time), and how many
#: datagrams may be incomplete at once (the oldest is dropped for a new one).
_FRAGMENT_TIME = 30.0
_FRAGMENT_DATAGRAMS = 256
NEW, PENDING, ANSWERED, EXPIRED = "new", "pending", "answered", "expired"

Rule = Callable[[Layer, Layer], str]
#: What a received packet may begin with for an echo reply to be taken from its bytes.
_NETWORK = (IP, IPv6)


class Interrupted(RawnetError):
    """The exchange's stop event was set (an asr() task was cancelled)."""


class Query:
    """A probe of an exchange: the packet as sent, what replies are compared with, its replies.

    A probe may also be given as the bytes that go out (from_wire: a flood's thousands, made by
    patching one built packet); its Layer is then built only when something asks for it.
    """

    __slots__ = (
        "_build", "_match", "_packet", "_sent_time", "deadline", "key", "number", "replies", "state", "wire",
    )  # fmt: skip

    def __init__(self, packet: Layer, match: Layer | None = None, number: int = 0) -> None:
        self._packet: Layer | None = packet
        self._match: Layer | None = packet if match is None else match
        self._build: Callable[[], Layer] | None = None
        self._sent_time: float | None = None
        #: The network packet's bytes when the query was given as bytes (from_wire), else None.
        self.wire: bytes | None = None
        #: The caller's number for it (a probe's seq, its place in a list).
        self.number = number
        self.key: Hashable | None = probe_key(self._match)
        #: perf_counter() time at which it stops waiting (None: when the caller stops waiting).
        self.deadline: float | None = None
        #: The replies that answered it (one, unless the exchange takes multi).
        self.replies: list[Layer] = []
        #: new, pending (sent, waiting), answered or expired.
        self.state = NEW

    @classmethod
    def from_wire(cls, wire: bytes, build: Callable[[], Layer], number: int = 0) -> Query:
        """A probe given as the network packet's bytes ``wire`` (an IPv4 or IPv6 header first),
        sent as they are; ``build()`` makes the same packet as a Layer, called only when a rule,
        a caller or a fragmenting sender needs it (an ICMP error, a reply of another kind)."""
        query = cls.__new__(cls)
        query._packet = query._match = None
        query._build = build
        query._sent_time = None
        query.wire = wire
        query.number = number
        key = wire_probe_key(wire)
        query.key = key if key is not None else probe_key(query.match)
        query.deadline = None
        query.replies = []
        query.state = NEW
        return query

    @property
    def packet(self) -> Layer:
        """The packet handed to the caller again in the results; ``sent_time`` is set on it."""
        packet = self._packet
        if packet is None:
            assert self._build is not None
            packet = self._packet = self._build()
            packet.sent_time = self._sent_time
            if self._match is None:
                self._match = packet
        return packet

    @property
    def match(self) -> Layer:
        """The packet replies are matched against (the network layer, the completed frame...)."""
        match = self._match
        return self.packet if match is None else match

    @property
    def sent_time(self) -> float | None:
        """time.time() when it was last handed to the kernel (the packet's ``sent_time``)."""
        return self._sent_time if self._packet is None else self._packet.sent_time

    @sent_time.setter
    def sent_time(self, moment: float | None) -> None:
        self._sent_time = moment
        if self._packet is not None:
            self._packet.sent_time = moment

    @property
    def answer(self) -> Layer | None:
        """The first reply that answered it, or None."""
        return self.replies[0] if self.replies else None

    def rtt(self, reply: Layer) -> float:
        """Seconds from this probe leaving (the last time) to ``reply`` arriving (never below 0)."""
        return max(0.0, (reply.time or 0.0) - (self.sent_time or 0.0))

    def __repr__(self) -> str:
        return f"<Query {self.number} {self.state}: {self.match.summary_safe()}>"


class _Table:
    """Queries bucketed by their key, in the order they came; the keyless ones apart."""

    def __init__(self) -> None:
        self.buckets: dict[Hashable, list[Query]] = {}
        self.others: list[Query] = []
        self.size = 0

    def add(self, query: Query) -> None:
        if query.key is None:
            self.others.append(query)
        else:
            self.buckets.setdefault(query.key, []).append(query)
        self.size += 1

    def remove(self, query: Query) -> None:
        if query.key is None:
            self.others.remove(query)
        else:
            bucket = self.buckets[query.key]
            bucket.remove(query)
            if not bucket:
                del self.buckets[query.key]
        self.size -= 1

    def candidates(self, keys: Iterable[Hashable]) -> list[Query]:
        """The queries a reply of these keys may answer, oldest first within a bucket."""
        found: list[Query] = []
        for key in keys:
            found.extend(self.buckets.get(key, ()))
        found.extend(self.others)
        return found

    def all(self) -> Iterator[Query]:
        for bucket in self.buckets.values():
            yield from bucket
        yield from self.others


@dataclass
class Link:
    """The sockets of an exchange: the listener (armed before anything leaves), how a query goes
    out, and every socket to close at the end (the listener included)."""

    listener: RawSocket
    #: How a query goes out (None: each send() says how).
    transmit: Callable[[Query], object] | None
    sockets: list[RawSocket] = field(default_factory=list)

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


class Exchange:
    """Probes sent on a Link and the replies matched to them; see the module's rules.

    Events go to the callbacks given: ``on_answer(query, reply)`` for each answer (also each
    further one with ``multi``), ``on_duplicate(query, reply)`` for a reply to one of the last
    ``duplicates`` answered probes, ``on_expire(query)`` for a probe whose deadline passed
    unanswered, ``on_other(reply, reasons)`` for a reply that answers nothing (with ``debug``,
    why each waiting probe turned it down; also kept in ``rejected``), and
    ``on_send_error(query, error)``, which makes a send error skip the probe instead of
    raising; ``on_sent(query)`` after each probe left. ``stop``: an event that ends any wait
    (Interrupted) once set. The counts are ``sent``, ``received`` (packets taken, ours left out) and
    ``answered``.
    """

    def __init__(
        self,
        link: Link,
        *,
        rule: Rule = answers,
        multi: bool = False,
        debug: bool = False,
        duplicates: int = 0,
        max_pending: int | None = None,
        on_answer: Callable[[Query, Layer], object] | None = None,
        on_duplicate: Callable[[Query, Layer], object] | None = None,
        on_expire: Callable[[Query], object] | None = None,
        on_other: Callable[[Layer, list[str]], object] | None = None,
        on_send_error: Callable[[Query, SendError], object] | None = None,
        on_sent: Callable[[Query], object] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.link = link
        self.rule = rule
        self.multi = multi
        self.debug = debug
        self.max_pending = max_pending
        self.on_answer = on_answer
        self.on_duplicate = on_duplicate
        self.on_expire = on_expire
        self.on_other = on_other
        self.on_send_error = on_send_error
        self.on_sent = on_sent
        self.stop = stop
        self.sent = self.received = self.answered = 0
        #: With debug: "<reply summary>: <why each waiting probe turned it down>".
        self.rejected: list[str] = []
        self._pending = _Table()
        self._order: deque[Query] = deque()  # with max_pending: the queries in the order sent
        self._deadlines: list[tuple[float, int, Query]] = []  # a heap
        self._serial = itertools.count()
        self._keep = duplicates
        #: The last ``duplicates`` answered, oldest first (searched only for a reply nothing waits for).
        self._recent: deque[Query] = deque(maxlen=duplicates or 1)
        #: Incomplete datagrams: key -> (when the first fragment came, the fragments so far).
        self._fragments: dict[Hashable, tuple[float, list[Layer]]] = {}
        link.listener.setblocking(False)

    # -- the table ----------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """How many probes are waiting for a reply."""
        return self._pending.size

    def _retire(self, query: Query, expired: bool) -> None:
        """``query`` waits no more: answered (it has replies) or expired (``on_expire`` told)."""
        self._pending.remove(query)
        query.state = ANSWERED if query.replies else EXPIRED
        if query.replies:
            self._remember(query)
        elif expired and self.on_expire is not None:
            self.on_expire(query)

    def _remember(self, query: Query) -> None:
        if not self._keep:
            return
        self._recent.append(query)  # (the oldest drops out)

    def _expire(self, now: float) -> None:
        heap = self._deadlines
        while heap and heap[0][0] <= now:
            deadline, _, query = heapq.heappop(heap)
            if query.state == PENDING and query.deadline == deadline:
                self._retire(query, expired=True)

    def _next_deadline(self) -> float | None:
        heap = self._deadlines
        while heap:
            deadline, _, query = heap[0]
            if query.state == PENDING and query.deadline == deadline:
                return deadline
            heapq.heappop(heap)  # (answered, or sent again with a new deadline)
        return None

    # -- sending ------------------------------------------------------------------------------
    def send(
        self,
        query: Query,
        *,
        timeout: float | None = None,
        transmit: Callable[[Query], object] | None = None,
    ) -> bool:
        """Send ``query`` now and let it wait ``timeout`` seconds (None: until the caller stops
        waiting). ``transmit`` replaces the link's for this query. False: the send failed and
        on_send_error took the error."""
        transmit = transmit or self.link.transmit
        if transmit is None:
            raise RawnetError("this exchange's link sends nothing by itself: give send() a transmit")
        query.sent_time = time.time()  # (before: the reply may beat the send call back)
        try:
            transmit(query)
        except SendError as error:
            if self.on_send_error is None:
                raise
            self.on_send_error(query, error)
            return False
        self.sent += 1
        if query.state != PENDING:
            query.state = PENDING
            self._pending.add(query)
            if self.max_pending is not None:  # (the order is kept only where it is needed)
                order = self._order
                order.append(query)
                while order[0].state != PENDING:  # (answered or expired since: let go)
                    order.popleft()
                if self._pending.size > self.max_pending:
                    self._drop_oldest()
        query.deadline = None if timeout is None else time.perf_counter() + timeout
        if query.deadline is not None:
            heap = self._deadlines
            heapq.heappush(heap, (query.deadline, next(self._serial), query))
            if len(heap) > _HEAP_SLACK * (self._pending.size + 1) + _HEAP_FLOOR:
                self._compact()
        if self.on_sent is not None:
            self.on_sent(query)
        return True

    def _compact(self) -> None:
        """Let go of the deadlines of probes no longer waiting (answered ones stay in the heap until
        their deadline comes up: a flood's thousands, each holding its query and reply)."""
        heap = [
            entry for entry in self._deadlines if entry[2].state == PENDING and entry[2].deadline == entry[0]
        ]
        heapq.heapify(heap)
        self._deadlines = heap

    def _drop_oldest(self) -> None:
        order = self._order
        while order:
            oldest = order.popleft()
            if oldest.state == PENDING:
                self._retire(oldest, expired=True)
                return

    # -- receiving ----------------------------------------------------------------------------
    def _drain(self) -> None:
        """Take every packet waiting in the listener."""
        listener = self.link.listener
        quick = self.rule is answers  # (the fast path follows answers' rule, no other)
        while True:
            try:
                got = listener.recv()
            except BlockingIOError:
                return
            if got.direction == "outgoing":  # (our own probes, seen leaving)
                continue
            self.received += 1
            if quick and got.start in _NETWORK and self._take_echo(got):
                continue
            packet: Layer | None = got.packet
            key = fragment_key(got.packet)
            if key is not None:
                packet = self._reassemble(key, got.packet)
            if packet is not None:
                self._take(packet)

    def _take_echo(self, got: Received) -> bool:
        """Take an echo reply from its bytes, without the searches of _take: the oldest waiting probe
        given as bytes (from_wire) with its key whose destination is the reply's source, which is
        the one answers() picks. False: not that simple (_take decides)."""
        found = echo_reply_key(got.data)
        if found is None:
            return False
        key, source = found
        for query in self._pending.buckets.get(key, ()):
            wire = query.wire
            if wire is None:  # (a probe given as a Layer: the rule decides)
                return False
            if wire_destination(wire) == source:
                self._answer(query, got.packet)
                return True
        return False

    def _reassemble(self, key: Hashable, piece: Layer) -> Layer | None:
        """The datagram ``piece`` completes (stamped with its time and where it came), else None
        (kept until the rest comes, or _FRAGMENT_TIME passes)."""
        now = time.monotonic()
        groups = self._fragments
        for old in [old for old, (first, _) in groups.items() if now - first > _FRAGMENT_TIME]:
            del groups[old]
        if key not in groups:
            if len(groups) >= _FRAGMENT_DATAGRAMS:
                del groups[next(iter(groups))]
            groups[key] = (now, [])
        pieces = groups[key][1]
        pieces.append(piece)
        made = defragment(pieces)
        if made.problems or len(made) != 1 or fragment_key(made[0]) is not None:
            return None
        del groups[key]
        whole: Layer = made[0]
        whole.time, whole.sniffed_on, whole.direction = piece.time, piece.sniffed_on, piece.direction
        whole.wirelen = len(bytes(whole))
        return whole

    def _check(self, reply: Layer, query: Query) -> str:
        try:
            return self.rule(reply, query.match)
        except (RawnetError, IndexError, AttributeError, ValueError):
            return "not an IP packet"

    def _take(self, reply: Layer) -> None:
        keys = reply_keys(reply)
        for query in self._pending.candidates(keys):
            if not self._check(reply, query):
                self._answer(query, reply)
                return
        if self._recent:
            for query in self._recent_candidates(keys):
                if not self._check(reply, query):
                    if self.on_duplicate is not None:
                        self.on_duplicate(query, reply)
                    return
        reasons: list[str] = []
        if self.debug:  # (every waiting probe, not only its bucket: the reasons explain)
            reasons = sorted({self._check(reply, query) for query in self._pending.all()})
            if reasons:
                self.rejected.append(f"{reply.summary_safe()}: {'; '.join(reasons)}")
        if self.on_other is not None:
            self.on_other(reply, reasons)

    def _recent_candidates(self, keys: tuple[Hashable, ...]) -> list[Query]:
        """The recently answered queries a reply of these keys may answer, as _Table.candidates
        orders them (by key, oldest first; the keyless last)."""
        recent = self._recent
        found = [query for key in keys for query in recent if query.key == key]
        found.extend(query for query in recent if query.key is None)
        return found

    def _answer(self, query: Query, reply: Layer) -> None:
        query.replies.append(reply)
        self.answered += 1
        if not self.multi:
            self._retire(query, expired=False)
        if self.on_answer is not None:
            self.on_answer(query, reply)

    def _wait(self, until: float | None, settle: bool, precise: bool) -> None:
        sock = self.link.listener.socket
        while True:
            if self.stop is not None and self.stop.is_set():
                raise Interrupted("the exchange was stopped")
            now = time.perf_counter()
            self._expire(now)
            if (settle and not self._pending.size) or (until is not None and now >= until):
                return
            deadline = self._next_deadline()
            ends = [moment for moment in (until, deadline) if moment is not None]
            left = max(0.0, min(ends) - now) if ends else None
            if precise and until is not None and left is not None and until <= (deadline or until):
                if left <= _SPIN:  # the last stretch: spun, then whatever came is taken
                    while time.perf_counter() < until:
                        pass
                    self._drain()
                    return
                left -= _SPIN
            if self.stop is not None:
                left = _STOP_POLL if left is None else min(left, _STOP_POLL)
            if select.select([sock], [], [], left)[0]:
                self._drain()

    def wait_until(self, until: float, *, precise: bool = False) -> None:
        """Take replies until perf_counter() reaches ``until`` (``precise``: spin the last 200 us)."""
        self._wait(until, settle=False, precise=precise)

    def settle(self, timeout: float | None = None) -> None:
        """Take replies until no probe waits (each stops at its deadline), or ``timeout`` seconds.

        With ``multi``, probes keep waiting after an answer: it waits the whole ``timeout``.
        """
        self._wait(None if timeout is None else time.perf_counter() + timeout, settle=True, precise=False)

    def poll(self) -> None:
        """Take what is already waiting, without blocking; let passed deadlines expire."""
        self._expire(time.perf_counter())
        self._drain()

    # -- the two ways of running --------------------------------------------------------------
    def paced(self, step: Callable[[int], object], *, count: int, interval: float) -> None:
        """``step(0)``, ``step(1)``, ... (``count`` times; 0: until interrupted), ``interval``
        seconds apart by deadline, taking replies in between; then until no probe waits.

        ``step`` sends (``send``, with a timeout: a probe waits from when it left).
        """
        start = time.perf_counter()
        index = 0
        while not count or index < count:
            if index:
                self.wait_until(start + index * interval, precise=True)
            step(index)
            self.poll()
            index += 1
        self.settle()

    def rounds(
        self,
        queries: Sequence[Query],
        *,
        inter: float = 0.0,
        timeout: float | None = 2.0,
        retry: int = 0,
        started: Callable[[int], object] | None = None,
        finished: Callable[[int], object] | None = None,
    ) -> list[Query]:
        """Send ``queries`` ``inter`` seconds apart, then take replies until all are answered or
        ``timeout`` seconds after the last left (None: no limit); returns the unanswered.

        ``retry`` > 0: send the unanswered again that many more times; < 0: again and again,
        until -retry rounds in a row bring no new answer (scapy's). ``started(n)`` and
        ``finished(n)`` are told as each round begins and has sent its ``n`` queries.
        """
        autostop = -retry if retry < 0 else 0
        left = abs(retry)
        todo = list(queries)
        while True:
            if started is not None:
                started(len(todo))
            start = time.perf_counter()
            for index, query in enumerate(todo):
                if index and inter:
                    self.wait_until(start + index * inter, precise=True)
                self.send(query)
                self.poll()
            if finished is not None:
                finished(len(todo))
            self.settle(timeout)
            for query in todo:
                if query.state == PENDING:
                    self._retire(query, expired=False)
            remaining = [query for query in todo if not query.replies]
            if autostop and remaining and len(remaining) != len(todo):
                left = autostop  # a round brought answers: start counting again
            todo = remaining
            if not todo or left <= 0:
                return todo
            left -= 1

    # -- the end ------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the link's sockets."""
        self.link.close()

    def __enter__(self) -> Exchange:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


# -- pacing without listening ----------------------------------------------------------------------


def pace(count: int, interval: float) -> Iterator[int]:
    """Yield 0, 1, ... (``count`` times; 0: forever) ``interval`` seconds apart, by deadline.

    Each packet's time is start + k * interval, so no drift accumulates from sleep's overshoot;
    the last ~200 us are spun rather than slept, which gives microsecond precision.
    """
    start = time.perf_counter()
    index = 0
    while count == 0 or index < count:
        if interval:
            due = start + index * interval
            wait = due - time.perf_counter()
            if wait > _SPIN:
                time.sleep(wait - _SPIN)
            while time.perf_counter() < due:
                pass
        yield index
        index += 1
