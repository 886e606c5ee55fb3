"""transmit(): what leaves "a" of a lab pair, as "b" receives it (a tcpdump capture in b, read back
here with its kernel time stamps), for both methods, layer 2 and layer 3, paced and flat out.

The stream is a stand-in for rawnet.stream.Stream: one template frame whose payload carries the
frame's index (8 bytes, big-endian, after a magic word), made in blocks with numpy. Every packet
is IP protocol 253 (RFC 3692's experiments) between the lab's addresses in 198.18.0.0/15.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from rawnet import IP, Ether, IPv6
from rawnet.errors import InputError, InterfaceError, PacketTooBigError, RawnetError
from rawnet.net.lab import Lab
from rawnet.net.sockets import RawSocket
from rawnet.net.transmit import BLOCK, Counters, Report, _Mmsg, _Plan, _Ring, _Shared, transmit
from tests.privilege import without

MAGIC = b"RAWNETTX"
EXPERIMENT = 253  # IP protocol number for experiments (RFC 3692)
ROOT = Path(__file__).resolve().parents[2]


class CountingStream:
    """Frames of one template, frame i carrying i (8 bytes big-endian) at ``at``."""

    def __init__(self, template: bytes, layer2: bool, at: int, count: int | None = None) -> None:
        self.frame_size = len(template)
        self.layer2 = layer2
        self.count = count
        self.template = np.frombuffer(template, np.uint8)
        self.at = at

    def frames(self, start: int, n: int) -> npt.NDArray[np.uint8]:
        out = np.empty((n, self.frame_size), np.uint8)
        out[:] = self.template
        indexes = np.arange(start, start + n, dtype=">u8").view(np.uint8).reshape(n, 8)
        out[:, self.at : self.at + 8] = indexes
        return out


class FillingStream(CountingStream):
    """The same frames, also written in place: frames_into(out, start), which transmit() prefers."""

    def frames_into(self, out: npt.NDArray[np.uint8], start: int) -> None:
        n = len(out)
        out[:] = self.template
        out[:, self.at : self.at + 8] = np.arange(start, start + n, dtype=">u8").view(np.uint8).reshape(n, 8)


def make_stream(
    lab: Lab, kind: str, size: int = 60, count: int | None = None, *, filling: bool = False
) -> CountingStream:
    """An "ethernet", "ipv4" or "ipv6" stream a -> b of ``size``-byte frames (packets at layer 3)."""
    a, b = lab["a"], lab["b"]
    link = Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
    if kind == "ipv6":
        network = IPv6(src=a.ipv6, dst=b.ipv6, nh=EXPERIMENT, hlim=64)
    else:
        network = IP(src=a.ipv4, dst=b.ipv4, proto=EXPERIMENT, id=7, ttl=64)
    head = bytes(link / network) if kind == "ethernet" else bytes(network)
    payload = MAGIC + bytes(size - len(head) - len(MAGIC))
    frame = bytes(link / network / payload) if kind == "ethernet" else bytes(network / payload)
    assert len(frame) == size
    made = FillingStream if filling else CountingStream
    return made(frame, kind == "ethernet", len(head) + len(MAGIC), count)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        yield made


class Capture:
    """tcpdump in b, inbound protocol-253 packets on its veth, with nanosecond kernel time stamps."""

    def __init__(self, lab: Lab, path: Path) -> None:
        self.path = path
        self.process = lab.popen(
            "b",
            [
                "tcpdump", "-i", lab["b"].interfaces["a"].name, "-Q", "in", "-w", str(path), "-U",
                "--immediate-mode", "-B", "32768", "-s", "2048", "--time-stamp-precision=nano",
                "-Z", "root", "-n",
                f"ip proto {EXPERIMENT} or ip6 proto {EXPERIMENT}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        assert self.process.stderr is not None
        ready, _, _ = select.select([self.process.stderr], [], [], 5)
        assert ready, "tcpdump did not start"
        self.process.stderr.readline()

    def packets(self, expected: int, timeout: float = 10) -> list[tuple[int, bytes]]:
        """(time stamp in ns, bytes) of every packet, once ``expected`` are in (or ``timeout``) and
        the line has been quiet for a moment; tcpdump must have dropped none."""
        deadline = time.monotonic() + timeout
        while len(read_pcap(self.path)) < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # anything beyond the expected
        self.process.terminate()
        _, errors = self.process.communicate(timeout=10)
        assert "\n0 packets dropped by kernel" in errors, errors
        return read_pcap(self.path)


def read_pcap(path: Path) -> list[tuple[int, bytes]]:
    """A nanosecond pcap file's records (a record still being written is left out)."""
    data = path.read_bytes() if path.exists() else b""
    if len(data) < 24:
        return []
    assert struct.unpack_from("<I", data)[0] == 0xA1B23C4D
    records, at = [], 24
    while at + 16 <= len(data):
        seconds, nanoseconds, length, _ = struct.unpack_from("<IIII", data, at)
        if at + 16 + length > len(data):
            break
        records.append((seconds * 1_000_000_000 + nanoseconds, data[at + 16 : at + 16 + length]))
        at += 16 + length
    return records


@contextlib.contextmanager
def capture(lab: Lab, tmp_path: Path) -> Iterator[Capture]:
    made = Capture(lab, tmp_path / "b.pcap")
    try:
        yield made
    finally:
        if made.process.poll() is None:
            made.process.kill()
            made.process.communicate()


def indexes(stream: CountingStream, packets: list[tuple[int, bytes]]) -> list[int]:
    """The index each captured packet carries (layer 3 streams: the capture has an Ethernet header)."""
    at = stream.at + (0 if stream.layer2 else 14)
    return [int.from_bytes(data[at : at + 8], "big") for _, data in packets]


def send(lab: Lab, stream: CountingStream, **options: object) -> Report:
    interface = options.pop("interface", lab["a"].interfaces["b"].name if stream.layer2 else None)
    return transmit(stream, interface=interface, netns=lab["a"].netns, **options)  # type: ignore[arg-type]


# -- what leaves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "method", "filling"),
    [
        ("ethernet", "mmsg", False),
        ("ethernet", "ring", False),
        ("ipv4", "mmsg", False),
        ("ipv6", "mmsg", False),
        ("ethernet", "mmsg", True),
        ("ethernet", "ring", True),
        ("ipv6", "mmsg", True),
    ],
)
def test_the_bytes_on_the_wire_are_the_streams_frames_in_order(
    lab: Lab, tmp_path: Path, kind: str, method: str, filling: bool
) -> None:
    count = 3 * BLOCK[method] + 7  # several blocks and a short one (the ring: across its end)
    stream = make_stream(lab, kind, 100, filling=filling)
    with capture(lab, tmp_path) as tcpdump:
        report = send(lab, stream, count=count, method=method)
        packets = tcpdump.packets(count)
    assert (report.sent, report.errors, report.method, report.error) == (count, 0, method, None)
    expected = stream.frames(0, count)
    assert len(packets) == count
    for index, (_, data) in enumerate(packets):
        # Layer 3: b's capture adds the Ethernet header; the kernel filled the IPv4 total length
        # and checksum, which the stream had right already, so the packet is unchanged.
        assert (data if stream.layer2 else data[14:]) == expected[index].tobytes(), index


def test_layer_3_sends_to_each_packets_own_destination_and_counts_refusals(lab: Lab) -> None:
    stream = make_stream(lab, "ipv4")
    frame = bytearray(stream.template.tobytes())
    frame[16:20] = socket.inet_aton("198.19.255.1")  # no route in the lab: every send is refused
    unroutable = CountingStream(bytes(frame), False, stream.at)
    report = send(lab, unroutable, count=10)
    assert (report.sent, report.errors) == (0, 10)
    assert report.error is not None and "no route to 198.19.255.1" in report.error


# -- pacing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [1_000, 10_000, 100_000])
def test_the_rate_the_receiver_sees_is_within_one_percent(lab: Lab, tmp_path: Path, rate: int) -> None:
    count = rate + 1  # one second between the first arrival and the last
    stream = make_stream(lab, "ethernet")
    with capture(lab, tmp_path) as tcpdump:
        report = send(lab, stream, count=count, rate=rate)
        packets = tcpdump.packets(count)
    assert report.sent == len(packets) == count
    seconds = (packets[-1][0] - packets[0][0]) / 1e9
    measured = (count - 1) / seconds
    assert abs(measured / rate - 1) < 0.01, measured
    assert abs(report.rate / rate - 1) < 0.01, report


def test_a_burst_goes_back_to_back_and_the_average_holds(lab: Lab, tmp_path: Path) -> None:
    stream = make_stream(lab, "ethernet")
    with capture(lab, tmp_path) as tcpdump:
        send(lab, stream, count=100, rate=1000, burst=10)  # ten bursts of ten, 10 ms apart
        times = [stamp for stamp, _ in tcpdump.packets(100)]
    assert len(times) == 100
    starts = times[::10]
    # each burst on the schedule (the first one's time + 10 ms each): a wake-up the shared machine
    # makes late (1 ms seen) is not carried over to the bursts after it
    late = [(start - starts[0]) / 1e6 - 10 * j for j, start in enumerate(starts)]
    assert all(abs(ms) < 2.0 for ms in late), late
    assert abs((starts[-1] - starts[0]) / 1e6 - 90) < 0.9
    spreads = [(times[start + 9] - times[start]) / 1e6 for start in range(0, 100, 10)]
    assert sorted(spreads)[5] < 1.0, spreads  # (the median burst: well under a millisecond)


# -- limits, workers, stopping --------------------------------------------------------------------


def test_a_duration_with_a_rate_sends_exactly_its_deadlines(lab: Lab, tmp_path: Path) -> None:
    stream = make_stream(lab, "ethernet")
    with capture(lab, tmp_path) as tcpdump:
        report = send(lab, stream, duration=0.5, rate=2000)
        packets = tcpdump.packets(1000)
    assert report.sent == len(packets) == 1000
    assert indexes(stream, packets) == list(range(1000))


def test_a_duration_alone_ends_the_run_on_time(lab: Lab, tmp_path: Path) -> None:
    stream = make_stream(lab, "ethernet")
    with capture(lab, tmp_path) as tcpdump:
        report = send(lab, stream, duration=0.3, rate=20_000, burst=50)
        packets = tcpdump.packets(report.sent)
    assert report.sent == len(packets) and 0.29 < report.seconds < 0.32
    report = send(lab, stream, duration=0.2)  # flat out
    assert report.sent > 1000 and 0.19 < report.seconds < 0.3


def test_the_streams_own_count_and_count_whichever_is_first(lab: Lab) -> None:
    assert send(lab, make_stream(lab, "ethernet", count=300), count=500).sent == 300
    assert send(lab, make_stream(lab, "ethernet", count=300), count=200).sent == 200
    assert send(lab, make_stream(lab, "ethernet"), count=0).sent == 0


@pytest.mark.parametrize("method", ["mmsg", "ring"])
def test_two_workers_send_every_index_once(lab: Lab, tmp_path: Path, method: str) -> None:
    count = 5 * BLOCK[method] + 123
    stream = make_stream(lab, "ethernet")
    with capture(lab, tmp_path) as tcpdump:
        report = send(lab, stream, count=count, workers=2, method=method)
        packets = tcpdump.packets(count)
    assert (report.sent, report.errors, report.workers) == (count, 0, 2)
    assert sorted(indexes(stream, packets)) == list(range(count))


def test_two_workers_share_a_rate(lab: Lab, tmp_path: Path) -> None:
    stream = make_stream(lab, "ethernet")
    with capture(lab, tmp_path) as tcpdump:
        report = send(lab, stream, count=4001, rate=4000, workers=2)
        packets = tcpdump.packets(4001)
    assert sorted(indexes(stream, packets)) == list(range(4001))
    seconds = (packets[-1][0] - packets[0][0]) / 1e9
    assert abs(4000 / seconds / 4000 - 1) < 0.01 and report.sent == 4001


@pytest.mark.parametrize(("total", "workers"), [(0, 2), (511, 2), (512, 2), (5000, 2), (5000, 3), (99, 1)])
def test_the_workers_shares_add_up(total: int, workers: int) -> None:
    plan = _Plan(rate=None, block=512, burst=1, workers=workers, total=total, duration_ns=None)
    assert sum(plan.share(worker) or 0 for worker in range(workers)) == total


def test_a_stop_event_ends_the_run_with_a_report_and_progress_sees_it(lab: Lab, tmp_path: Path) -> None:
    stream = make_stream(lab, "ethernet")
    stop = threading.Event()
    seen: list[Counters] = []
    threading.Timer(0.5, stop.set).start()
    with capture(lab, tmp_path) as tcpdump:
        report = send(lab, stream, rate=10_000, workers=2, stop=stop, progress=seen.append)
        packets = tcpdump.packets(report.sent)
    assert report.interrupted and 4000 < report.sent < 7000
    assert len(packets) == report.sent
    assert 3 <= len(seen) <= 10 and seen[-1].sent == report.sent
    assert all(earlier.sent <= later.sent for earlier, later in itertools.pairwise(seen))


SENDER = """
import json, sys
from tests.net.test_transmit import CountingStream
from rawnet.net.transmit import transmit
template, at, interface, netns = bytes.fromhex(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
said = []
def progress(counters):
    if counters.sent and not said:
        said.append(print("sending", flush=True))
report = transmit(CountingStream(template, True, at), interface=interface, netns=netns, workers=2,
                  rate=50_000, progress=progress)
print(json.dumps(report.__dict__), flush=True)
"""


def test_sigint_ends_every_worker_with_a_report(lab: Lab) -> None:
    stream = make_stream(lab, "ethernet")
    argv = [
        sys.executable, "-c", SENDER, stream.template.tobytes().hex(), str(stream.at),
        lab["a"].interfaces["b"].name, lab["a"].netns,
    ]  # fmt: skip
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    process = subprocess.Popen(
        argv, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "sending\n"
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole process group, workers included
        out, errors = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0 and "Traceback" not in errors, errors
    report = json.loads(out)
    assert report["interrupted"] and report["sent"] > 0 and report["workers"] == 2
    assert not in_session(process.pid)  # no worker left behind


def in_session(session: int) -> list[int]:
    """The processes of session ``session`` still alive (zombies included)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if int(fields[3]) == session:  # (state, ppid, pgrp, session)
                    found.append(int(entry.name))
    return found


# -- errors ---------------------------------------------------------------------------------------


def test_a_layer_2_stream_needs_an_interface(lab: Lab) -> None:
    with pytest.raises(InputError, match=r"layer-2 stream .* needs an interface"):
        transmit(make_stream(lab, "ethernet"), netns=lab["a"].netns, count=1)


def test_a_ring_sends_layer_2_only_and_methods_are_named(lab: Lab) -> None:
    with pytest.raises(InputError, match="TX ring sends layer-2 frames"):
        send(lab, make_stream(lab, "ipv4"), method="ring", count=1)
    with pytest.raises(InputError, match="qdisc_bypass is a packet socket's"):
        send(lab, make_stream(lab, "ipv4"), qdisc_bypass=True, count=1)
    with pytest.raises(InputError, match="unknown transmit method 'fast'"):
        send(lab, make_stream(lab, "ipv4"), method="fast", count=1)
    with pytest.raises(InputError, match="a rate is a positive number"):
        send(lab, make_stream(lab, "ipv4"), rate=0, count=1)


def test_frames_longer_than_the_mtu_are_refused_before_sending(lab: Lab) -> None:
    with pytest.raises(PacketTooBigError, match=r"frames of 1515 bytes are longer than .* \(MTU 1500 \+ 14"):
        send(lab, make_stream(lab, "ethernet", 1515), count=1)


def test_an_interface_that_is_not_there(lab: Lab) -> None:
    with pytest.raises(InterfaceError, match="no interface named 'nope0'"):
        send(lab, make_stream(lab, "ethernet"), interface="nope0", count=1)


class BrokenStream(CountingStream):
    def frames(self, start: int, n: int) -> npt.NDArray[np.uint8]:
        if start >= 1000:
            raise ValueError("no frame 1000")
        return super().frames(start, n)


def test_a_stream_that_fails_in_a_worker_is_an_error_of_the_run(lab: Lab) -> None:
    stream = make_stream(lab, "ethernet")
    broken = BrokenStream(stream.template.tobytes(), True, stream.at)
    # (worker 1's first block starts at frame 1000, worker 0's second at 2000: both fail, and
    # which one is first depends on how the two processes are scheduled)
    with pytest.raises(RawnetError, match=r"worker [01] failed: ValueError: no frame 1000"):
        send(lab, broken, count=5000, workers=2, rate=20_000)


WITHOUT_PRIVILEGE = """
import sys
from rawnet import errors
from rawnet.net.transmit import transmit
from tests.net.test_transmit import CountingStream
try:
    transmit(CountingStream(bytes(60), True, 20), interface=sys.argv[1], netns=sys.argv[2], count=1)
except errors.PrivilegeError as error:
    print(error)
    sys.exit(3)
"""


def test_without_cap_net_raw_the_error_says_how_to_fix_it(lab: Lab) -> None:
    argv = without("net_raw", [sys.executable, "-c", WITHOUT_PRIVILEGE, lab["a"].interfaces["b"].name])
    argv.append(lab["a"].netns)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    result = subprocess.run(argv, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=30)
    assert result.returncode == 3, result.stderr
    assert "needs CAP_NET_RAW" in result.stdout


def rx_packets(lab: Lab, host: str, interface: str) -> int:
    return int(lab.run(host, ["cat", f"/sys/class/net/{interface}/statistics/rx_packets"], check=True).stdout)


def test_auto_sends_with_sendmmsg_on_a_veth_and_with_the_ring_elsewhere(lab: Lab) -> None:
    stream = make_stream(lab, "ethernet")
    assert send(lab, stream, count=10).method == "mmsg"
    assert send(lab, make_stream(lab, "ipv4"), count=10).method == "mmsg"
    # An ifb device in a: it counts the frames sent to it in rx_packets and drops them.
    made = lab.run("a", ["ip", "link", "add", "sink0", "numtxqueues", "2", "type", "ifb"])
    assert made.returncode == 0, made.stderr
    try:
        lab.run("a", ["ip", "link", "set", "sink0", "up"], check=True)
        before = rx_packets(lab, "a", "sink0")
        report = send(lab, stream, interface="sink0", count=5000, workers=2, qdisc_bypass=True)
        assert (report.method, report.sent, report.errors) == ("ring", 5000, 0)
        assert rx_packets(lab, "a", "sink0") - before == 5000
    finally:
        lab.run("a", ["ip", "link", "del", "sink0"])


def test_layer_3_can_be_bound_to_an_interface(lab: Lab) -> None:
    veth = lab["a"].interfaces["b"].name
    assert send(lab, make_stream(lab, "ipv4"), count=10, interface=veth).sent == 10
    with pytest.raises(InterfaceError, match="no interface named 'nope0'"):
        send(lab, make_stream(lab, "ipv6"), count=10, interface="nope0")


@pytest.mark.parametrize("method", ["ring", "mmsg"])
def test_frames_the_kernel_refuses_are_counted_and_the_sender_goes_on(lab: Lab, method: str) -> None:
    # Past transmit()'s own check of the MTU: the senders themselves, with frames of 1600 bytes.
    stream = make_stream(lab, "ethernet", 1600)
    veth, peer = lab["a"].interfaces["b"].name, lab["b"].interfaces["a"].name
    shared = _Shared(1)
    with RawSocket.l2(veth, 0, netns=lab["a"].netns) as raw:
        sender: _Ring | _Mmsg = (
            _Ring(raw.socket, stream, 64) if method == "ring" else _Mmsg(raw.socket, stream, None, veth, 64)
        )
        try:
            assert sender.send(0, 40, shared) == (0, 40)  # longer than a's MTU: refused
            assert sender.error is not None and "longer than the MTU" in sender.error
            lab.run("a", ["ip", "link", "set", veth, "mtu", "1600"], check=True)
            assert sender.send(40, 40, shared) == (0, 40)  # b's veth drops them: ENOBUFS
            lab.run("b", ["ip", "link", "set", peer, "mtu", "1600"], check=True)
            assert sender.send(80, 40, shared) == (40, 0)  # (the ring: refilled where the kernel waits)
            last = 100 if method == "ring" else 64  # (the ring: across its end; mmsg: a whole block)
            assert sender.send(120, last, shared) == (last, 0)
        finally:
            lab.run("a", ["ip", "link", "set", veth, "mtu", "1500"], check=True)
            lab.run("b", ["ip", "link", "set", peer, "mtu", "1500"], check=True)


def test_a_worker_killed_is_an_error_of_the_run(lab: Lab) -> None:
    killed: list[int] = []

    def kill_a_worker(counters: Counters) -> None:
        if not killed:
            worker = next(pid for pid in children_of(os.getpid()))
            os.kill(worker, signal.SIGKILL)
            killed.append(worker)

    with pytest.raises(RawnetError, match=r"worker [01] was killed by signal 9"):
        send(lab, make_stream(lab, "ethernet"), rate=1000, duration=5, workers=2, progress=kill_a_worker)
    assert killed and not children_of(os.getpid())


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == parent:
                    found.append(int(entry.name))
    return found
