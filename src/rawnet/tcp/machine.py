"""One TCP connection as a state machine without I/O (RFC 9293), in the manner of h11 and smoltcp.

The machine is given segments (``on_segment``), the application's calls (``write``, ``read``,
``close``, ``abort``) and the time; it answers with the segments to put on the wire (``poll``)
and the time it next needs to be polled (``deadline``). It opens no socket and reads no clock,
so every rule below can be driven segment by segment in a test.

What it does: the three-way handshake, active and passive; MSS, window scale (RFC 7323),
SACK-permitted (RFC 2018) and timestamps (RFC 7323) negotiated; data delivered in order with
out-of-order segments buffered and reported in SACK blocks; retransmission on RFC 6298's timer
(Karn's rule, exponential back-off) and fast retransmit / fast recovery on three duplicate
ACKs (RFC 5681, NewReno's partial ACKs from RFC 6582) with slow start and congestion
avoidance; the peer's window respected, with zero-window probes (the persist timer); the
receiver's silly-window avoidance and window updates; RST acceptance by RFC 5961's rules (an
in-window RST that does not hit the next sequence number gets a challenge ACK); FIN both ways
(half-close), TIME-WAIT.

Sequence numbers are kept as unbounded integers counted from each side's initial sequence
number (``_abs``), so comparisons are plain ``<``; the 32-bit values appear only in segments.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rawnet.errors import ConnectionClosed, ConnectionRefused, ConnectionReset, TCPTimeout

MASK = 0xFFFFFFFF
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
#: RFC 6298 2.1, 2.4, 2.5: the first RTO, its floor (the RFC's SHOULD; Linux uses 0.2 s) and ceiling.
INITIAL_RTO, MIN_RTO, MAX_RTO = 1.0, 1.0, 60.0
#: Retransmissions of one segment before the connection is given up (Linux: tcp_retries2 = 15).
MAX_RETRIES = 15
#: RFC 9293's MSL is 2 minutes; a user-space host keeps TIME-WAIT short (see ``TIME_WAIT``).
TIME_WAIT = 2.0
#: MSS assumed when the peer sends none (RFC 9293 3.7.1: 536 for IPv4, RFC 8200: 1220 for IPv6).
DEFAULT_MSS = {4: 536, 6: 1220}


class State(enum.Enum):
    """RFC 9293's connection states (LISTEN belongs to the listener, not to a connection)."""

    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"
    CLOSED = "CLOSED"


_SENDING = {State.ESTABLISHED, State.CLOSE_WAIT}  # where the application may still write
_SYNCHRONIZED = {
    State.ESTABLISHED,
    State.FIN_WAIT_1,
    State.FIN_WAIT_2,
    State.CLOSE_WAIT,
    State.CLOSING,
    State.LAST_ACK,
    State.TIME_WAIT,
}


@dataclass(slots=True)
class Segment:
    """A TCP segment without its IP header: what the machine takes and gives.

    ``seq`` and ``ack`` are the 32-bit values of the wire; ``window`` the header's field (not
    scaled); ``options`` scapy's (name, value) pairs in wire order.
    """

    seq: int
    ack: int
    flags: int
    window: int
    options: Sequence[tuple[Any, Any]] = ()
    payload: bytes | memoryview = b""
    #: True for a segment the machine sends again (retransmission, fast retransmit, probe).
    again: bool = False


@dataclass
class Config:
    """What the user may set for a connection; every default is what a Linux peer would do."""

    #: MSS we announce; None: the interface's MTU minus the IP and TCP headers.
    mss: int | None = None
    #: Window scale we offer (RFC 7323, 0-14), None to offer none.
    wscale: int | None = 7
    sack: bool = True
    timestamps: bool = True
    #: The SYN's (or SYN-ACK's) options verbatim, in order, instead of the four above.
    options: Sequence[tuple[Any, Any]] | None = None
    #: Initial sequence number; None: random.
    isn: int | None = None
    #: Receive buffer: the most data held for the application before the window closes.
    rcvbuf: int = 1 << 20
    #: Send buffer: the most data write() queues before it waits.
    sndbuf: int = 1 << 20
    #: A fixed window to announce (the header's field, unscaled) instead of the free buffer.
    window: int | None = None
    min_rto: float = MIN_RTO
    max_retries: int = MAX_RETRIES


@dataclass
class Negotiated:
    """What the handshake agreed on (what the peer sees too)."""

    mss: int = 536  #: the peer's MSS: the largest segment we send, before options
    snd_wscale: int = 0  #: shift of the windows the peer announces
    rcv_wscale: int = 0  #: shift of the windows we announce
    sack: bool = False
    timestamps: bool = False


@dataclass
class Counters:
    """What happened on the connection, for reports and tests."""

    segments_sent: int = 0
    segments_received: int = 0
    retransmits: int = 0
    fast_retransmits: int = 0
    timeouts: int = 0
    window_probes: int = 0
    out_of_order: int = 0
    duplicates: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0


def offered(options: Sequence[tuple[Any, Any]]) -> dict[str, Any]:
    """Which options a SYN's list offers: {"MSS": 1460, "WScale": 7, "SAckOK": b"", ...}."""
    return {name: value for name, value in options if isinstance(name, str)}


@dataclass
class Machine:
    """One connection; make it with ``Machine.connect`` or ``Machine.accept``."""

    config: Config
    version: int  # 4 or 6: the default MSS of a peer that announces none
    local_mss: int  # the MSS this side announces when the config says None
    state: State = State.CLOSED
    now: float = 0.0
    iss: int = 0
    irs: int = 0
    negotiated: Negotiated = field(default_factory=Negotiated)
    counters: Counters = field(default_factory=Counters)
    #: The exception the application's next call raises (refused, reset, timed out).
    error: Exception | None = None
    syn_options: tuple[tuple[Any, Any], ...] = ()
    # -- sending side (absolute sequence numbers: 0 is iss) --
    snd_una: int = 0
    snd_nxt: int = 0
    snd_max: int = 0  # the highest sequence number sent so far
    snd_wnd: int = 0
    snd_wl1: int = -1
    snd_wl2: int = 0
    cwnd: int = 0
    ssthresh: int = 1 << 30
    dupacks: int = 0
    recover: int = -1  # NewReno: snd_max when fast recovery began, -1 outside it
    sndq: bytearray = field(default_factory=bytearray)  # data from snd_una on
    fin_queued: bool = False
    fin_seq: int = -1  # our FIN's sequence number, once queued
    srtt: float | None = None
    rttvar: float = 0.0
    rto: float = INITIAL_RTO
    rtx_deadline: float | None = None
    retries: int = 0
    rtt_seq: int | None = None  # the segment being timed (Karn: never a retransmitted one)
    rtt_time: float = 0.0
    persist_deadline: float | None = None
    persist_backoff: int = 0
    # -- receiving side (absolute: 0 is irs) --
    rcv_nxt: int = 0
    rcv_adv: int = 0  # the right edge of the window last announced
    rcvq: bytearray = field(default_factory=bytearray)  # in order, not read yet
    ooo: dict[int, bytes] = field(default_factory=dict)  # start -> data, out of order
    last_sack: int | None = None  # start of the out-of-order block that grew last
    fin_at: int | None = None  # where the peer's FIN sits, once seen
    eof: bool = False
    ack_due: bool = False
    ts_recent: int = 0
    ts_base: float = 0.0
    ts_offset: int = 0
    time_wait_deadline: float | None = None
    _out: list[Segment] = field(default_factory=list)

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def connect(
        cls, config: Config, version: int, local_mss: int, isn: int, now: float, ts_offset: int
    ) -> Machine:
        """An active open: the machine in SYN-SENT, its SYN waiting in ``poll``."""
        machine = cls(config, version, local_mss)
        machine._open(isn, now, ts_offset)
        machine.state = State.SYN_SENT
        machine.syn_options = (
            tuple(config.options) if config.options is not None else machine._default_options(None)
        )
        stamp = offered(machine.syn_options).get("Timestamp")
        if config.options is not None and isinstance(stamp, tuple | list) and len(stamp) == 2:
            machine.ts_offset = int(stamp[0])  # our clock goes on from the TSval the user chose
        machine._send_syn()
        return machine

    @classmethod
    def accept(
        cls, config: Config, version: int, local_mss: int, isn: int, now: float, ts_offset: int, syn: Segment
    ) -> Machine:
        """A passive open for ``syn``: SYN-RECEIVED, its SYN-ACK waiting in ``poll``."""
        machine = cls(config, version, local_mss)
        machine._open(isn, now, ts_offset)
        machine.state = State.SYN_RECEIVED
        machine.irs = syn.seq
        machine.rcv_nxt = 1
        peer = offered(syn.options)
        machine.syn_options = (
            tuple(config.options) if config.options is not None else machine._default_options(peer)
        )
        machine._agree(peer)
        machine.snd_wnd = syn.window  # (never scaled in a SYN)
        machine._take_timestamp(syn)
        machine._send_syn()
        machine.rcv_adv = 1 + machine._announce()
        return machine

    def _open(self, isn: int, now: float, ts_offset: int) -> None:
        self.now = now
        self.iss = isn & MASK
        self.ts_base = now
        self.ts_offset = ts_offset
        self.snd_una = self.snd_nxt = self.snd_max = 0

    def _default_options(self, peer: dict[str, Any] | None) -> tuple[tuple[Any, Any], ...]:
        """Linux's SYN layout (MSS, SACK-permitted, timestamps, NOP, window scale); a SYN-ACK
        carries only what the SYN offered."""
        config = self.config
        options: list[tuple[Any, Any]] = [("MSS", config.mss or self.local_mss)]
        if config.sack and (peer is None or "SAckOK" in peer):
            options.append(("SAckOK", b""))
        if config.timestamps and (peer is None or "Timestamp" in peer):
            echo = 0 if peer is None else int(peer["Timestamp"][0])
            options.append(("Timestamp", (self._tsval(), echo)))
        elif options[-1][0] == "SAckOK":
            options[-1:] = [("NOP", None), ("NOP", None), ("SAckOK", b"")]
        if config.wscale is not None and (peer is None or "WScale" in peer):
            options += [("NOP", None), ("WScale", config.wscale)]
        return tuple(options)

    def _agree(self, peer: dict[str, Any]) -> None:
        """Negotiation (RFC 7323 2.2, 3.2; RFC 2018): an option holds when both SYNs carry it."""
        ours = offered(self.syn_options)
        agreed = self.negotiated
        mss = peer.get("MSS")
        agreed.mss = mss if isinstance(mss, int) and mss > 0 else DEFAULT_MSS[self.version]
        if isinstance(ours.get("WScale"), int) and isinstance(peer.get("WScale"), int):
            agreed.rcv_wscale = min(ours["WScale"], 14)
            agreed.snd_wscale = min(peer["WScale"], 14)
        agreed.sack = "SAckOK" in ours and "SAckOK" in peer
        agreed.timestamps = "Timestamp" in ours and "Timestamp" in peer
        self.cwnd = min(10 * self.smss, max(2 * self.smss, 14600))  # RFC 6928's initial window

    def _send_syn(self) -> None:
        flags = SYN if self.state is State.SYN_SENT else SYN | ACK
        options = self.syn_options
        if self.config.options is None:  # (options given verbatim go out as given, their TSval too)
            options = tuple(self._stamped(options))
        self._emit(0, flags, options, b"", again=self.snd_max > 0)
        self.snd_nxt = self.snd_max = 1
        self._arm_rtx()

    def _stamped(self, options: Sequence[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
        """``options`` with a fresh TSval in their timestamp (the echo kept; a SYN-ACK's echoes the SYN)."""
        out: list[tuple[Any, Any]] = []
        for name, value in options:
            if name == "Timestamp" and isinstance(value, tuple | list) and len(value) == 2:
                echo = self.ts_recent if self.state is State.SYN_RECEIVED else value[1]
                value = (self._tsval(), echo)
            out.append((name, value))
        return out

    # -- the application's side ------------------------------------------------------------
    @property
    def smss(self) -> int:
        """The sender's MSS: the peer's, less the room our timestamps take (RFC 7323 figure)."""
        return max(1, self.negotiated.mss - (12 if self.negotiated.timestamps else 0))

    @property
    def established(self) -> bool:
        return self.state in _SYNCHRONIZED

    def write_space(self) -> int:
        """How much ``write`` takes now without exceeding the send buffer."""
        if self.state not in _SENDING and self.state not in (State.SYN_SENT, State.SYN_RECEIVED):
            return 0
        return max(0, self.config.sndbuf - len(self.sndq))

    def write(self, data: bytes | memoryview) -> int:
        """Queue ``data`` (as much as the send buffer takes); returns how much was taken."""
        if self.error is not None:
            raise self.error
        if self.fin_queued or self.state not in (*_SENDING, State.SYN_SENT, State.SYN_RECEIVED):
            raise ConnectionClosed(
                "the connection is closed for sending (close() was called, or the peer reset it)"
            )
        taken = min(len(data), self.write_space())
        self.sndq += data[:taken]
        return taken

    def readable(self) -> int:
        """Bytes ready for ``read``."""
        return len(self.rcvq)

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes in order; b"" when none are ready (check ``eof``)."""
        data = bytes(self.rcvq[:size])
        del self.rcvq[:size]
        if data and self.state in _SYNCHRONIZED:
            self._window_update()
        return data

    def close(self) -> None:
        """Send FIN once the queued data is out (a half-close: reading goes on)."""
        if self.state in (State.SYN_SENT, State.CLOSED):
            self._finish(None)
            return
        if not self.fin_queued and self.state in (State.SYN_RECEIVED, *_SENDING):
            self.fin_queued = True
            self.fin_seq = self.snd_una + len(self.sndq)
            if self.state is not State.SYN_RECEIVED:  # (there, the handshake's end moves on to FIN-WAIT-1)
                self.state = State.FIN_WAIT_1 if self.state is State.ESTABLISHED else State.LAST_ACK

    def abort(self) -> None:
        """Send RST and forget the connection (RFC 9293 3.10.5's ABORT)."""
        if self.state in _SYNCHRONIZED or self.state is State.SYN_RECEIVED:
            self._emit(self.snd_nxt, RST | ACK, (), b"")
        self._finish(None)

    @property
    def closed(self) -> bool:
        return self.state is State.CLOSED

    def _finish(self, error: Exception | None) -> None:
        self.state = State.CLOSED
        if error is not None and self.error is None:
            self.error = error
        self.rtx_deadline = self.persist_deadline = self.time_wait_deadline = None

    # -- time -----------------------------------------------------------------------------
    def deadline(self) -> float | None:
        """When ``poll`` must next be called without any segment arriving (None: never)."""
        times = [
            t for t in (self.rtx_deadline, self.persist_deadline, self.time_wait_deadline) if t is not None
        ]
        return min(times) if times else None

    def poll(self, now: float) -> list[Segment]:
        """The segments to send now: timers that fired, data the windows allow, a due ACK."""
        self.now = now
        if self.time_wait_deadline is not None and now >= self.time_wait_deadline:
            self._finish(None)
        if self.rtx_deadline is not None and now >= self.rtx_deadline:
            self._timeout()
        if self.persist_deadline is not None and now >= self.persist_deadline:
            self._probe()
        if self.state in _SYNCHRONIZED:
            self._transmit()
        if self.ack_due:
            self._emit(self.snd_nxt, ACK, (), b"")
        out, self._out = self._out, []
        return out

    def _timeout(self) -> None:
        """RFC 6298 5.4-5.7: back off, resend the earliest segment, start over from snd_una."""
        self.retries += 1
        self.counters.timeouts += 1
        if self.retries > self.config.max_retries:
            error = (
                TCPTimeout("connection timed out: no answer to the SYN")
                if self.state is State.SYN_SENT
                else TCPTimeout(f"connection timed out: {self.retries - 1} retransmissions unanswered")
            )
            self._finish(error)
            return
        self.rto = min(self.rto * 2, MAX_RTO)
        self.rtt_seq = None  # Karn
        if self.state in (State.SYN_SENT, State.SYN_RECEIVED):
            self._send_syn()  # (counted as a retransmission where it is emitted)
            return
        flight = self.snd_max - self.snd_una
        self.ssthresh = max(flight // 2, 2 * self.smss)
        self.cwnd = self.smss
        self.recover = -1
        self.dupacks = 0
        self.snd_nxt = self.snd_una  # go back: slow start resends what was lost
        self.rtx_deadline = None
        self._transmit(again=True)
        if self.rtx_deadline is None:
            self._arm_rtx()

    def _arm_rtx(self) -> None:
        self.rtx_deadline = self.now + self.rto

    def _probe(self) -> None:
        """The persist timer (RFC 9293 3.8.6.1): a byte beyond a zero window, backed off."""
        self.persist_deadline = None
        if self.snd_wnd or self.state not in _SYNCHRONIZED:
            return
        if self.sndq:  # the first unacknowledged byte (RFC 9293 allows a new byte or an old one)
            self._emit(self.snd_una, ACK, (), bytes(self.sndq[:1]), again=True)
            self.counters.window_probes += 1
            self.snd_max = max(self.snd_max, self.snd_una + 1)
        self.persist_backoff += 1
        self.persist_deadline = self.now + min(self.rto * (1 << self.persist_backoff), MAX_RTO)

    # -- sending ----------------------------------------------------------------------------
    def _data_end(self) -> int:
        """The sequence number after the last queued byte (the FIN's, if queued)."""
        return self.snd_una + len(self.sndq)

    def _transmit(self, again: bool = False) -> None:
        """Send what the peer's window and the congestion window allow, a segment at a time."""
        end = self._data_end()
        wnd = min(self.snd_wnd, self.cwnd)
        while True:
            nxt = self.snd_nxt
            usable = self.snd_una + wnd - nxt
            size = min(self.smss, end - nxt, usable)
            if size > 0:
                first = nxt - self.snd_una
                data = bytes(self.sndq[first : first + size])
                is_again = again or nxt < self.snd_max
                flags = ACK | (PSH if nxt + size == end else 0)
                fin = self.fin_queued and nxt + size == end
                self._emit(nxt, flags | (FIN if fin else 0), (), data, again=is_again)
                self.snd_nxt = nxt + size + (1 if fin else 0)
                self._sent_new(nxt, is_again)
                continue
            if self.fin_queued and nxt == end == self.fin_seq and (self.snd_max <= end or again):
                self._emit(nxt, FIN | ACK, (), b"", again=nxt < self.snd_max)
                self.snd_nxt = end + 1
                self._sent_new(nxt, again)
            break
        if (
            self.snd_wnd == 0
            and end > self.snd_una
            and self.snd_max <= self.snd_una
            and self.persist_deadline is None
        ):
            self.persist_backoff = 0
            self.persist_deadline = self.now + self.rto

    def _sent_new(self, start: int, again: bool) -> None:
        self.snd_max = max(self.snd_max, self.snd_nxt)
        if again and self.rtt_seq is not None and self.rtt_seq >= start:
            self.rtt_seq = None  # Karn: a segment sent again times nothing
        elif not again and self.rtt_seq is None:
            self.rtt_seq, self.rtt_time = start, self.now
        if self.rtx_deadline is None:
            self._arm_rtx()

    def _emit(
        self, seq: int, flags: int, options: Sequence[tuple[Any, Any]], payload: bytes, again: bool = False
    ) -> None:
        if flags & SYN == 0:
            options = list(options)
            if self.negotiated.timestamps:
                options += [("NOP", None), ("NOP", None), ("Timestamp", (self._tsval(), self.ts_recent))]
            if flags & ACK and self.negotiated.sack and self.ooo and not flags & RST:
                options += self._sack_option(4 if not self.negotiated.timestamps else 3)
        if flags & ACK:
            self.ack_due = False
        window = self._announce() if flags & RST == 0 else 0
        ack = (self.irs + self.rcv_nxt) & MASK if flags & ACK else 0
        self._out.append(Segment((self.iss + seq) & MASK, ack, flags, window, tuple(options), payload, again))
        self.counters.segments_sent += 1
        if again:
            self.counters.retransmits += 1
        elif payload:
            self.counters.bytes_sent += len(payload)

    def _tsval(self) -> int:
        return (int((self.now - self.ts_base) * 1000) + self.ts_offset) & MASK

    def _sack_option(self, room: int) -> list[tuple[Any, Any]]:
        """RFC 2018 4: the block holding the latest out-of-order segment first, then the others."""
        blocks: list[tuple[int, int]] = []
        for start in sorted(self.ooo):
            end = start + len(self.ooo[start])
            if blocks and start <= blocks[-1][1]:
                blocks[-1] = (blocks[-1][0], max(end, blocks[-1][1]))
            else:
                blocks.append((start, end))
        blocks.sort(
            key=lambda block: not (self.last_sack is not None and block[0] <= self.last_sack < block[1])
        )
        edges: list[int] = []
        for start, end in blocks[:room]:
            edges += [(self.irs + start) & MASK, (self.irs + end) & MASK]
        return [("NOP", None), ("NOP", None), ("SAck", tuple(edges))]

    def _free(self) -> int:
        held = len(self.rcvq) + sum(map(len, self.ooo.values()))
        return max(0, self.config.rcvbuf - held)

    def _announce(self) -> int:
        """The window field: the free buffer, scaled, never pulling the right edge back
        (RFC 9293 3.8.6.2.2)."""
        if self.state in (State.SYN_SENT, State.SYN_RECEIVED):
            return min(self.config.window if self.config.window is not None else self._free(), 0xFFFF)
        shift = self.negotiated.rcv_wscale
        if self.config.window is not None:
            field = self.config.window
        else:
            free = self._free()
            if free < min(self.config.rcvbuf // 2, self.negotiated.mss):  # receiver SWS avoidance
                free = 0
            edge = max(self.rcv_nxt + free, self.rcv_adv)
            field = min((edge - self.rcv_nxt) >> shift, 0xFFFF)
        self.rcv_adv = max(self.rcv_adv, self.rcv_nxt + (field << shift))
        return field

    def _window_update(self) -> None:
        """After a read: announce the window at once when the peer knows less than half the
        buffer and the read opened it by a segment or more (RFC 9293 3.8.6.2.2)."""
        known = self.rcv_adv - self.rcv_nxt
        if known < self.config.rcvbuf // 2 and self._free() - known >= min(
            self.config.rcvbuf // 2, self.negotiated.mss
        ):
            self.ack_due = True

    # -- receiving --------------------------------------------------------------------------
    def on_segment(self, segment: Segment, now: float) -> None:
        """Take one segment of this connection (its checksum already checked)."""
        self.now = now
        self.counters.segments_received += 1
        if self.state is State.SYN_SENT:
            self._in_syn_sent(segment)
        elif self.state is State.SYN_RECEIVED and segment.flags & (SYN | ACK) == SYN:
            if segment.seq == self.irs:  # the SYN again: our SYN-ACK was lost
                self._emit(0, SYN | ACK, self._stamped(self.syn_options), b"", again=True)
        elif self.state is not State.CLOSED:
            self._in_synchronized(segment)

    def _in_syn_sent(self, segment: Segment) -> None:
        flags = segment.flags
        if flags & ACK and segment.ack != (self.iss + 1) & MASK:
            return  # not for our SYN (RFC 9293 would answer with RST: we stay silent)
        if flags & RST:
            if flags & ACK:
                self._finish(ConnectionRefused("connection refused"))
            return
        if not flags & SYN or not flags & ACK:
            return  # a simultaneous open is not supported: the SYN is dropped
        self.irs = segment.seq
        self.rcv_nxt = 1
        self._agree(offered(segment.options))
        self.snd_una = 1
        self.snd_wnd = segment.window  # (never scaled in a SYN-ACK)
        self.snd_wl1, self.snd_wl2 = 0, 1
        self.rcv_adv = 1 + min(self._free(), 0xFFFF)  # what our SYN's window field allowed
        self._take_timestamp(segment)
        if self.retries == 0:
            self._rtt_sample(self.now - self.ts_base)
        self.retries = 0
        self.rtx_deadline = None
        self.state = State.FIN_WAIT_1 if self.fin_queued else State.ESTABLISHED
        self.ack_due = True

    def _unwrap(self, value: int, base: int, origin: int) -> int:
        """A 32-bit sequence number as an absolute one, the nearest to ``base``."""
        delta = ((value - origin - base) & MASK) - (
            1 << 32 if ((value - origin - base) & MASK) >= 1 << 31 else 0
        )
        return base + delta

    def _in_synchronized(self, segment: Segment) -> None:
        flags = segment.flags
        seq = self._unwrap(segment.seq, self.rcv_nxt, self.irs)
        payload = segment.payload
        size = len(payload)
        window = self.rcv_adv - self.rcv_nxt
        # RFC 9293 3.10.7.4 first: is the segment in the window?
        if size == 0:
            acceptable = seq == self.rcv_nxt or (window > 0 and self.rcv_nxt <= seq < self.rcv_nxt + window)
        else:
            acceptable = window > 0 and (
                self.rcv_nxt <= seq < self.rcv_nxt + window
                or self.rcv_nxt <= seq + size - 1 < self.rcv_nxt + window
            )
            if not acceptable and seq + size <= self.rcv_nxt:
                self.counters.duplicates += 1
        if flags & RST:  # RFC 5961 3.2
            if seq == self.rcv_nxt:
                self._finish(
                    ConnectionReset("connection reset by peer")
                    if self.state not in (State.TIME_WAIT, State.LAST_ACK, State.CLOSING)
                    else None
                )
            elif acceptable:
                self._emit(self.snd_nxt, ACK, (), b"")  # challenge ACK
            return
        if not acceptable:
            if flags & ACK:
                self._in_ack(segment, seq, size)  # a zero-window probe's ACK still counts
            self.ack_due = True
            return
        if flags & SYN and self.state is not State.SYN_RECEIVED:  # RFC 5961 4: a challenge ACK
            self.ack_due = True
            return
        if not flags & ACK:
            return
        if self.state is State.SYN_RECEIVED:
            ack = self._unwrap(segment.ack, self.snd_una, self.iss)
            if ack != 1:
                return
            self.snd_una = 1
            self.snd_wl1, self.snd_wl2 = seq, ack
            self.snd_wnd = segment.window << self.negotiated.snd_wscale
            self.rtx_deadline = None
            if self.retries == 0:  # (Karn: not after a SYN-ACK sent again)
                self._rtt_sample(self.now - self.ts_base)
            self.retries = 0
            self.state = State.FIN_WAIT_1 if self.fin_queued else State.ESTABLISHED
        if self.negotiated.timestamps and seq <= self.rcv_nxt:
            self._take_timestamp(segment)
        self._in_ack(segment, seq, size)
        if self.state is State.CLOSED:
            return
        if size:
            self._in_data(seq, payload)
        if flags & FIN:
            self.fin_at = seq + size
            self.ack_due = True
        if self.fin_at is not None and self.rcv_nxt == self.fin_at and not self.eof:
            self.rcv_nxt += 1
            self.eof = True
            self.ack_due = True
            if self.state is State.ESTABLISHED:
                self.state = State.CLOSE_WAIT
            elif self.state is State.FIN_WAIT_1:
                self.state = State.CLOSING
            elif self.state is State.FIN_WAIT_2:
                self._time_wait()
        elif self.state is State.TIME_WAIT and flags & FIN:
            self._time_wait()  # the peer's FIN again: our ACK was lost

    def _take_timestamp(self, segment: Segment) -> None:
        for name, value in segment.options:
            if name == "Timestamp" and isinstance(value, tuple | list) and len(value) == 2:
                self.ts_recent = int(value[0])

    def _in_ack(self, segment: Segment, seq: int, size: int) -> None:
        """RFC 9293 3.10.7.4 fifth, with RFC 5681/6582's congestion control."""
        ack = self._unwrap(segment.ack, self.snd_una, self.iss)
        if ack > self.snd_max:
            self.ack_due = True  # acknowledges what was never sent
            return
        window = segment.window << self.negotiated.snd_wscale
        smss = self.smss
        if ack > self.snd_una:
            acked = ack - self.snd_una
            data_acked = min(acked, len(self.sndq))
            del self.sndq[:data_acked]
            self.snd_una = ack
            self.snd_nxt = max(self.snd_nxt, ack)
            if self.rtt_seq is not None and ack > self.rtt_seq:
                self._rtt_sample(self.now - self.rtt_time)
                self.rtt_seq = None
            self.retries = 0
            self.persist_backoff = 0
            if self.recover >= 0:  # fast recovery
                if ack >= self.recover:
                    self.cwnd = min(self.ssthresh, max(self.snd_max - ack, smss) + smss)
                    self.recover = -1
                else:  # a partial ACK: resend the next hole at once (RFC 6582 3.2 step 5)
                    self.cwnd = max(self.cwnd - acked + smss, smss)
                    self._resend_head()
            elif self.cwnd < self.ssthresh:
                self.cwnd += min(acked, smss)  # slow start (RFC 5681 3.1, with RFC 3465's L = 1 SMSS)
            else:
                self.cwnd += max(1, smss * smss // self.cwnd)  # congestion avoidance
            self.dupacks = 0
            self.rtx_deadline = None if self.snd_una >= self.snd_max else self.now + self.rto
            if self.fin_queued and self.snd_una == self.fin_seq + 1:
                self._our_fin_acked()
        elif (
            ack == self.snd_una
            and size == 0
            and not segment.flags & (SYN | FIN)
            and self.snd_max > self.snd_una
            and window == self.snd_wnd
            and window  # (the answers to zero-window probes are not duplicate ACKs)
        ):
            self.dupacks += 1  # RFC 5681 2's duplicate ACK
            if self.dupacks == 3 and self.recover < 0:
                self.ssthresh = max((self.snd_max - self.snd_una) // 2, 2 * smss)
                self.recover = self.snd_max
                self.counters.fast_retransmits += 1
                self._resend_head()
                self.cwnd = self.ssthresh + 3 * smss
            elif self.dupacks > 3 or self.recover >= 0:
                self.cwnd += smss
        # the send window (RFC 9293: SND.WL1/SND.WL2 keep old segments from setting it)
        if self.snd_wl1 < seq or (self.snd_wl1 == seq and self.snd_wl2 <= ack):
            self.snd_wnd = window
            self.snd_wl1, self.snd_wl2 = seq, ack
            if window:
                self.persist_deadline = None

    def _resend_head(self) -> None:
        """Send the segment at snd_una again (fast retransmit, a NewReno partial ACK)."""
        size = min(self.smss, len(self.sndq))
        if size:
            self._emit(self.snd_una, ACK, (), bytes(self.sndq[:size]), again=True)
        elif self.fin_queued and self.snd_una == self.fin_seq:
            self._emit(self.snd_una, FIN | ACK, (), b"", again=True)
        if self.rtt_seq is not None and self.rtt_seq >= self.snd_una:
            self.rtt_seq = None
        self.rtx_deadline = self.now + self.rto

    def _our_fin_acked(self) -> None:
        if self.state is State.FIN_WAIT_1:
            self.state = State.FIN_WAIT_2
        elif self.state is State.CLOSING:
            self._time_wait()
        elif self.state is State.LAST_ACK:
            self._finish(None)

    def _time_wait(self) -> None:
        self.state = State.TIME_WAIT
        self.rtx_deadline = self.persist_deadline = None
        self.time_wait_deadline = self.now + TIME_WAIT

    def _in_data(self, seq: int, payload: bytes | memoryview) -> None:
        """In order: to the application's queue, with what the out-of-order store now continues."""
        self.ack_due = True
        window_end = self.rcv_adv if self.rcv_adv > self.rcv_nxt else self.rcv_nxt
        if seq < self.rcv_nxt:  # a retransmission overlapping what we have
            payload = payload[self.rcv_nxt - seq :]
            seq = self.rcv_nxt
        if seq + len(payload) > window_end:
            payload = payload[: max(0, window_end - seq)]
        if not payload:
            return
        if seq > self.rcv_nxt:
            self.counters.out_of_order += 1
            held = self.ooo.get(seq)
            if held is None or len(held) < len(payload):
                self.ooo[seq] = bytes(payload)
            self.last_sack = seq
            return
        self.rcvq += payload
        self.rcv_nxt += len(payload)
        self.counters.bytes_received += len(payload)
        while self.ooo:
            joined = False
            for start in sorted(self.ooo):
                if start > self.rcv_nxt:
                    break
                data = self.ooo.pop(start)
                tail = data[self.rcv_nxt - start :]
                if tail:
                    self.rcvq += tail
                    self.rcv_nxt += len(tail)
                    self.counters.bytes_received += len(tail)
                joined = True
            if not joined:
                break

    def _rtt_sample(self, rtt: float) -> None:
        """RFC 6298 2.2-2.3, with a clock granularity of a millisecond."""
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt
        self.rto = min(max(self.config.min_rto, self.srtt + max(0.001, 4 * self.rttvar)), MAX_RTO)
