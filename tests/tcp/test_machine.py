"""The connection machine driven segment by segment (no I/O): the RFC rules one at a time.

The lab tests (test_connection.py) hold the machine to the kernel's TCP; these pin the rules
whose effect a capture shows only by chance: RFC 6298's timer, fast retransmit, SACK blocks,
RFC 5961's RST checks, sequence numbers wrapping, the persist timer.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet.errors import ConnectionRefused, ConnectionReset, TCPTimeout
from rawnet.tcp.machine import ACK, FIN, PSH, RST, SYN, Config, Machine, Segment, State

ISS, IRS = 1000, 5000
MASK = 0xFFFFFFFF


PEER = (("MSS", 1000), ("SAckOK", b""), ("NOP", None), ("WScale", 0))


def opened(
    config: Config | None = None,
    *,
    iss: int = ISS,
    irs: int = IRS,
    window: int = 65535,
    options: tuple = PEER,
) -> Machine:
    """A machine after the handshake (no timestamps, so segments carry no clock)."""
    machine = Machine.connect(config or Config(timestamps=False), 4, 1460, iss, 0.0, 0)
    [syn] = machine.poll(0.0)
    assert syn.flags == SYN and syn.seq == iss
    machine.on_segment(Segment(irs, (iss + 1) & MASK, SYN | ACK, window, options), 0.05)
    [ack] = machine.poll(0.05)
    assert ack.flags == ACK and ack.ack == (irs + 1) & MASK and machine.state is State.ESTABLISHED
    return machine


def test_default_syn_options_are_linuxs_layout() -> None:
    machine = Machine.connect(Config(), 4, 1460, ISS, 0.0, 77)
    [syn] = machine.poll(0.0)
    names = [name for name, _ in syn.options]
    assert names == ["MSS", "SAckOK", "Timestamp", "NOP", "WScale"]
    assert dict(syn.options)["Timestamp"] == (77, 0) and dict(syn.options)["WScale"] == 7


def test_options_hold_only_when_both_sides_offer_them() -> None:
    machine = opened(Config(), options=(("MSS", 1200),))
    agreed = machine.negotiated
    assert (agreed.mss, agreed.snd_wscale, agreed.rcv_wscale, agreed.sack, agreed.timestamps) == (
        1200,
        0,
        0,
        False,
        False,
    )


def test_rst_to_the_syn_is_refused_and_a_stray_one_is_ignored() -> None:
    machine = Machine.connect(Config(), 4, 1460, ISS, 0.0, 0)
    machine.poll(0.0)
    machine.on_segment(Segment(0, ISS + 5, RST | ACK, 0), 0.01)  # does not acknowledge our SYN
    assert machine.state is State.SYN_SENT
    machine.on_segment(Segment(0, ISS + 1, RST | ACK, 0), 0.01)
    assert isinstance(machine.error, ConnectionRefused)


def test_the_syn_is_sent_again_on_rfc_6298s_backed_off_timer_then_given_up() -> None:
    machine = Machine.connect(Config(max_retries=3), 4, 1460, ISS, 0.0, 0)
    machine.poll(0.0)
    times = []
    while machine.error is None:
        at = machine.deadline()
        assert at is not None
        times.append(at)
        machine.poll(at)
    assert times == [1.0, 3.0, 7.0, 15.0]  # 1 s, then doubled each time
    assert machine.counters.retransmits == 3  # (each SYN sent again counted once)
    assert isinstance(machine.error, TCPTimeout)


def test_rto_follows_rfc_6298() -> None:
    machine = opened(Config(timestamps=False, min_rto=0.0))
    assert machine.srtt == pytest.approx(0.05) and machine.rttvar == pytest.approx(0.025)
    assert machine.rto == pytest.approx(0.05 + 4 * 0.025)
    machine.write(b"x" * 100)
    [data] = machine.poll(1.0)
    machine.on_segment(Segment(IRS + 1, data.seq + 100, ACK, 65535), 1.03)  # a 30 ms sample
    rttvar = 0.75 * 0.025 + 0.25 * abs(0.05 - 0.03)
    srtt = 0.875 * 0.05 + 0.125 * 0.03
    assert machine.srtt == pytest.approx(srtt) and machine.rttvar == pytest.approx(rttvar)
    assert machine.rto == pytest.approx(srtt + 4 * rttvar)
    assert opened().rto == 1.0  # the RFC's floor of 1 s by default


def test_three_duplicate_acks_resend_the_hole_at_once() -> None:
    machine = opened(Config(timestamps=False, min_rto=0.2))
    machine.write(bytes(10_000))
    sent = machine.poll(0.1)
    assert [len(each.payload) for each in sent] == [1000] * 10  # the initial window: 10 segments
    first = sent[0].seq
    for _ in range(2):
        machine.on_segment(Segment(IRS + 1, first, ACK, 65535), 0.11)
        assert not [each for each in machine.poll(0.11) if each.payload]
    machine.on_segment(Segment(IRS + 1, first, ACK, 65535), 0.12)
    again = [each for each in machine.poll(0.12) if each.payload]
    assert again[0].seq == first and again[0].again
    assert machine.counters.fast_retransmits == 1


def test_out_of_order_data_is_held_reported_in_sack_blocks_and_delivered_in_order() -> None:
    machine = opened()
    base = IRS + 1
    machine.on_segment(Segment(base + 100, ISS + 1, ACK, 65535, (), b"b" * 100), 0.1)
    machine.on_segment(Segment(base + 300, ISS + 1, ACK, 65535, (), b"d" * 100), 0.1)
    [ack] = machine.poll(0.1)
    assert ack.ack == base  # a duplicate ACK for the hole
    sack = dict(ack.options)["SAck"]
    assert sack == ((base + 300) & MASK, (base + 400) & MASK, (base + 100) & MASK, (base + 200) & MASK)
    assert machine.read(1000) == b""
    machine.on_segment(Segment(base, ISS + 1, ACK, 65535, (), b"a" * 100), 0.2)
    machine.on_segment(Segment(base + 200, ISS + 1, ACK | PSH, 65535, (), b"c" * 100), 0.2)
    assert machine.read(1000) == b"a" * 100 + b"b" * 100 + b"c" * 100 + b"d" * 100
    [ack] = machine.poll(0.2)
    assert ack.ack == base + 400 and "SAck" not in dict(ack.options)


def test_sequence_numbers_wrap_past_2_to_the_32() -> None:
    machine = opened(iss=MASK - 10, irs=MASK - 20)
    machine.write(b"y" * 50)
    [data] = machine.poll(0.1)
    assert data.seq == (MASK - 10 + 1) & MASK
    machine.on_segment(
        Segment((MASK - 20 + 1) & MASK, (MASK - 10 + 51) & MASK, ACK, 65535, (), b"z" * 40), 0.2
    )
    assert machine.read(100) == b"z" * 40 and machine.snd_una == 51
    [ack] = machine.poll(0.2)
    assert ack.ack == (MASK - 20 + 41) & MASK


def test_rst_checks_of_rfc_5961() -> None:
    machine = opened()
    machine.on_segment(Segment(IRS + 1 + 500, ISS + 1, RST, 0), 0.1)  # in the window, not exact
    [challenge] = machine.poll(0.1)
    assert challenge.flags == ACK and machine.state is State.ESTABLISHED
    machine.on_segment(Segment(IRS + 1 + (1 << 22), ISS + 1, RST, 0), 0.1)  # beyond the 1 MiB window
    assert machine.poll(0.1) == [] and machine.state is State.ESTABLISHED
    machine.on_segment(Segment(IRS + 1, ISS + 1, RST, 0), 0.1)
    assert isinstance(machine.error, ConnectionReset) and machine.closed


def test_a_zero_window_is_probed_with_backoff_and_resumed() -> None:
    machine = opened(Config(timestamps=False, min_rto=0.2), window=0)
    machine.write(b"q" * 3000)
    assert machine.poll(0.1) == []
    probes = []
    for _ in range(3):
        at = machine.deadline()
        assert at is not None
        [probe] = machine.poll(at)
        assert len(probe.payload) == 1 and probe.seq == ISS + 1
        probes.append(at)
        machine.on_segment(Segment(IRS + 1, ISS + 1, ACK, 0), at + 0.01)  # still closed
    assert probes[2] - probes[1] > probes[1] - probes[0]  # backed off
    machine.on_segment(Segment(IRS + 1, ISS + 1, ACK, 65535), 5.0)
    sent = machine.poll(5.0)
    assert b"".join(bytes(each.payload) for each in sent) == b"q" * 3000


def test_close_both_ways() -> None:
    machine = opened()
    machine.close()
    [fin] = machine.poll(0.1)
    assert fin.flags == FIN | ACK and machine.state is State.FIN_WAIT_1
    machine.on_segment(Segment(IRS + 1, fin.seq + 1, ACK, 65535), 0.2)
    assert machine.state is State.FIN_WAIT_2
    machine.on_segment(Segment(IRS + 1, fin.seq + 1, FIN | ACK, 65535), 0.3)
    [ack] = machine.poll(0.3)
    assert ack.ack == IRS + 2 and machine.state is State.TIME_WAIT and machine.eof
    machine.poll(10.0)
    assert machine.closed and machine.error is None


_OPTIONS = st.sampled_from(
    [
        (),
        (("Timestamp", (5, 6)),),
        (("SAck", (1, 2)),),
        (("MSS", 0), ("WScale", 200)),
        (("Timestamp", "odd"),),
        ((99, b"\x01"),),
    ]
)
_SEGMENTS = st.lists(
    st.tuples(
        st.integers(-70_000, 70_000),  # seq, near the peer's next
        st.integers(-70_000, 70_000),  # ack, near ours
        st.integers(0, 0xFF),
        st.integers(0, 0xFFFF),
        _OPTIONS,
        st.binary(max_size=3000),
        st.floats(0, 5),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(_SEGMENTS, st.binary(max_size=5000), st.booleans())
def test_any_segments_keep_the_machine_consistent(segments: list, data: bytes, close: bool) -> None:
    """Whatever a peer sends, the machine raises nothing, never acknowledges beyond what it
    received in order, and never counts as acknowledged what it did not send."""
    machine = opened(Config(min_rto=0.2))
    machine.write(data)
    if close:
        machine.close()
    now, received = 0.1, 0
    for seq, ack, flags, window, options, payload, step in segments:
        now += step
        segment = Segment((IRS + 1 + seq) & MASK, (ISS + 1 + ack) & MASK, flags, window, options, payload)
        machine.on_segment(segment, now)
        for out in machine.poll(now):
            assert 0 <= out.seq <= MASK and 0 <= out.window <= 0xFFFF
        received += len(machine.read(1 << 20))
        assert machine.snd_una <= machine.snd_max
        assert received == machine.counters.bytes_received <= machine.rcv_nxt
