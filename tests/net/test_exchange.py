"""The exchange engine against the kernel of a lab peer: rounds and retries, deadlines, duplicates,
send errors, the stop event. What b received is read back from its own UDP sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from rawnet import ICMP, IP, UDP, Layer
from rawnet.errors import SendError
from rawnet.net.exchange import Exchange, Interrupted, Query
from rawnet.net.lab import Lab
from rawnet.net.links import layer3_link
from rawnet.net.sendrecv import sr


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        yield made


def datagram(lab: Lab, dport: int, payload: bytes) -> Layer:
    return IP(src=lab["a"].ipv4, dst=lab["b"].ipv4) / UDP(sport=43000 + len(payload), dport=dport) / payload


@contextmanager
def bound(lab: Lab, answer: Callable[[bytes, int], int]) -> Iterator[tuple[int, list[bytes]]]:
    """A UDP socket in b: for the n-th arrival of a payload it sends ``answer(payload, n)`` copies
    back; yields its port and the payloads received, in order."""
    sock = lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((lab["b"].ipv4, 0))
    number = sock.getsockname()[1]
    got: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.05)
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(2048)
            except TimeoutError:
                continue
            got.append(data)
            for _ in range(answer(data, got.count(data))):
                sock.sendto(data, peer)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield number, got
    finally:
        time.sleep(0.1)
        stop.set()
        thread.join()
        sock.close()


def test_a_positive_retry_sends_the_unanswered_that_many_more_times(lab: Lab) -> None:
    with bound(lab, lambda data, n: 0) as (dport, got):
        ans, unans = sr(datagram(lab, dport, b"silent"), netns=lab["a"].netns, timeout=0.2, retry=2)
        assert (len(ans), len(unans)) == (0, 1)
    assert got == [b"silent"] * 3


def test_a_negative_retry_resends_until_that_many_rounds_in_a_row_bring_nothing_new(lab: Lab) -> None:
    # "late" is answered on its 2nd arrival, "never" never: round 2 brings an answer, so two
    # rounds without one must follow it (scapy's retry=-2); the old code sent nothing at all.
    with bound(lab, lambda data, n: int(data == b"late" and n == 2)) as (dport, got):
        probes = [datagram(lab, dport, b"late"), datagram(lab, dport, b"never")]
        ans, unans = sr(probes, netns=lab["a"].netns, timeout=0.3, retry=-2)
    assert [bytes(query[UDP].payload.load) for query, _ in ans] == [b"late"]
    assert [bytes(query[UDP].payload.load) for query in unans] == [b"never"]
    assert (got.count(b"late"), got.count(b"never")) == (2, 4)


def test_multi_takes_every_answer_until_the_timeout(lab: Lab) -> None:
    with bound(lab, lambda data, n: 2) as (dport, _):
        once = sr(datagram(lab, dport, b"twice"), netns=lab["a"].netns, timeout=0.5)
        every = sr(datagram(lab, dport, b"twice"), netns=lab["a"].netns, timeout=0.5, multi=True)
    assert len(once[0]) == 1 and len(every[0]) == 2
    assert every[0][0].query is every[0][1].query and not every[1]


def test_paced_probes_expire_at_their_deadline_and_a_second_answer_is_a_duplicate(lab: Lab) -> None:
    events: list[tuple[str, int]] = []
    with bound(lab, lambda data, n: 2 if data == b"echo" else 0) as (dport, _):
        probes = [datagram(lab, dport, b"echo"), datagram(lab, dport, b"mute")]
        with Exchange(
            layer3_link(probes, netns=lab["a"].netns),
            duplicates=8,
            on_answer=lambda query, reply: events.append(("answer", query.number)),
            on_duplicate=lambda query, reply: events.append(("duplicate", query.number)),
            on_expire=lambda query: events.append(("expired", query.number)),
        ) as exchange:
            started = time.perf_counter()
            exchange.paced(
                lambda index: exchange.send(Query(probes[index], number=index), timeout=0.3),
                count=2,
                interval=0.1,
            )
            took = time.perf_counter() - started
    assert sorted(events) == [("answer", 0), ("duplicate", 0), ("expired", 1)]
    assert 0.38 < took < 0.8  # the second probe left at 0.1 s and waited its 0.3 s
    assert exchange.pending == 0 and (exchange.sent, exchange.answered) == (2, 1)


def test_a_send_error_raises_or_goes_to_on_send_error(lab: Lab) -> None:
    unroutable = IP(src=lab["a"].ipv4, dst="198.51.100.1") / UDP(dport=9)  # no route in the lab
    link = layer3_link([unroutable], netns=lab["a"].netns)
    with (
        Exchange(link) as exchange,
        pytest.raises(SendError, match=r"no route to 198\.51\.100\.1: see `ip route`"),
    ):
        exchange.send(Query(unroutable))
    failed: list[SendError] = []
    link = layer3_link([unroutable], netns=lab["a"].netns)
    with Exchange(link, on_send_error=lambda query, error: failed.append(error)) as exchange:
        assert exchange.send(Query(unroutable)) is False
        assert exchange.pending == 0 and exchange.sent == 0
    assert isinstance(failed[0], OSError) and failed[0].errno is not None


def test_the_stop_event_ends_a_wait(lab: Lab) -> None:
    stop = threading.Event()
    probe = datagram(lab, 9, b"x")
    with Exchange(layer3_link([probe], netns=lab["a"].netns), stop=stop) as exchange:
        threading.Timer(0.1, stop.set).start()
        started = time.perf_counter()
        with pytest.raises(Interrupted):
            exchange.wait_until(started + 5)
    assert time.perf_counter() - started < 0.5


def test_max_pending_drops_the_oldest_probe(lab: Lab) -> None:
    expired: list[int] = []
    probes = [datagram(lab, 9, bytes([index])) for index in range(3)]
    with Exchange(
        layer3_link(probes, netns=lab["a"].netns),
        max_pending=2,
        on_expire=lambda query: expired.append(query.number),
    ) as exchange:
        for index, probe in enumerate(probes):
            exchange.send(Query(probe, number=index), timeout=5)
        assert expired == [0] and exchange.pending == 2


# -- probes given as bytes (Query.from_wire: ping -f's) -----------------------------------------------
NOBODY = "198.18.1.99"  # in the pair's subnet; no host has it


def _from_wire(probe: Layer, number: int, built: list[int]) -> Query:
    def build() -> Layer:
        built.append(number)
        return probe.copy()

    return Query.from_wire(bytes(probe), build, number)


def _echo(lab: Lab, dst: str, seq: int) -> Layer:
    return IP(src=lab["a"].ipv4, dst=dst, id=0) / ICMP(id=0x4242, seq=seq) / b"rawnet"


def test_echoes_given_as_bytes_are_answered_by_their_destination_and_built_only_when_asked(lab: Lab) -> None:
    built: list[int] = []
    # the oldest waits for the same id and seq as the next, sent to nobody: b's reply is not its
    queries = [_from_wire(_echo(lab, dst, seq), n, built) for n, (dst, seq) in enumerate(
        [(NOBODY, 5), (lab["b"].ipv4, 5), (lab["b"].ipv4, 6)]
    )]  # fmt: skip
    expired: list[int] = []
    link = layer3_link([_echo(lab, NOBODY, 5)], netns=lab["a"].netns)
    with Exchange(link, on_expire=lambda query: expired.append(query.number)) as exchange:
        for query in queries:
            exchange.send(query, timeout=0.5)
        exchange.settle()
    assert expired == [0] and [len(query.replies) for query in queries] == [0, 1, 1]
    assert built == []  # (sent as bytes, answered from the reply's bytes)
    reply = queries[1].replies[0]
    assert (reply.src, reply[ICMP].type, reply[ICMP].seq) == (lab["b"].ipv4, 0, 5)  # type: ignore[attr-defined]
    assert queries[1].packet.sent_time == queries[1].sent_time is not None and built == [1]
    assert bytes(queries[1].packet) == queries[1].wire and 0 < queries[1].rtt(reply) < 0.5


def test_a_second_echo_reply_to_a_probe_given_as_bytes_is_a_duplicate(lab: Lab) -> None:
    events: list[tuple[str, int]] = []
    probe = _echo(lab, lab["b"].ipv4, 9)
    with (
        Exchange(
            layer3_link([probe], netns=lab["a"].netns), duplicates=4,
            on_answer=lambda query, reply: events.append(("answer", query.number)),
            on_duplicate=lambda query, reply: events.append(("duplicate", query.number)),
            # (the lab's own IPv6 chatter, router solicitations, is "other" too: not counted)
            on_other=lambda reply, reasons: ICMP in reply and events.append(("other", reply[ICMP].seq)),
        ) as exchange,
        lab.socket("b", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as raw,
    ):  # fmt: skip
        exchange.send(_from_wire(probe, 1, []), timeout=1)
        exchange.settle()
        for seq in (9, 10):  # b's kernel answered seq 9 once; a copy of its answer, then one to nothing
            raw.sendto(bytes(ICMP(type=0, id=0x4242, seq=seq) / b"rawnet"), (lab["a"].ipv4, 0))
        exchange.wait_until(time.perf_counter() + 0.3)
    assert events == [("answer", 1), ("duplicate", 1), ("other", 10)]


def test_a_probe_given_as_bytes_of_another_kind_is_matched_by_the_rule(lab: Lab) -> None:
    built: list[int] = []
    probe = datagram(lab, 9, b"closed")  # b's kernel: port unreachable, quoting it
    with Exchange(layer3_link([probe], netns=lab["a"].netns)) as exchange:
        query = _from_wire(probe, 3, built)
        assert built == [3]  # (its bucket is read from the built packet)
        exchange.send(query, timeout=1)
        exchange.settle()
    assert query.answer is not None and (query.answer[ICMP].type, query.answer[ICMP].code) == (3, 3)
