"""tcpdump's lines for packets cut short, against tcpdump itself.

Records whose capture kept fewer bytes than the wire carried (caplen < wirelen: a snapshot length)
are decoded with ``decode_captured`` and must print as ``tcpdump -n -S -t -r`` (and -v) prints
them: from the headers that are there, sizes as the headers say, "[|tcp]"-style markers where a
header is cut. Frames kept whole whose lengths say more, or less, than there is are malformed: they
still decode strictly, and print with tcpdump's words for them.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rawnet import ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest, IPv6
from rawnet.errors import TruncatedError
from rawnet.wire import ARP, IPOption_RR, Layer, Undecoded
from rawnet.wire.layer import CUT

needs_tcpdump = pytest.mark.tcpdump

ETHER = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
V4 = {"src": "198.18.0.1", "dst": "198.18.0.2"}
V6 = {"src": "2001:db8::1", "dst": "2001:db8::2"}
TCP_OPTIONS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (5, 6)), ("NOP", None), ("SAck", (1, 2))]
ENDING_EOL = [("Timestamp", (5, 6)), ("EOL", None)]  # (an end-of-list option, then padding)


def write_records(path: Path, records: Sequence[tuple[bytes, int]], linktype: int = 1) -> None:
    """A pcap of (bytes kept, length on the wire) records."""
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for number, (data, wirelen) in enumerate(records):
            out.write(struct.pack("<IIII", 1_700_000_000 + number, 0, len(data), wirelen) + data)


def tcpdump_text(records: Sequence[tuple[bytes, int]], *options: str, linktype: int = 1) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cut.pcap"
        write_records(path, records, linktype)
        result = subprocess.run(
            ["tcpdump", "-n", "-S", "-t", *options, "-r", str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
    return result.stdout


def ours(records: Sequence[tuple[bytes, int]], verbose: int = 0, raw: bool = False) -> str:
    def first(data: bytes) -> type[Layer]:
        return Ether if not raw else IPv6 if data[0] >> 4 == 6 else IP

    return "".join(
        first(data).decode_captured(data, wirelen).summary(verbose) + "\n" for data, wirelen in records
    )


def packets() -> dict[str, Layer]:
    return {
        "tcp": ETHER / IP(**V4) / TCP(sport=40000, dport=40001, flags="PA", seq=1, ack=1) / (b"x" * 100),
        "tcp options": ETHER
        / IP(**V4)
        / TCP(sport=40000, dport=40001, flags="S", seq=7, options=TCP_OPTIONS)
        / (b"y" * 30),
        "tcp eol": ETHER / IP(**V4) / TCP(sport=1, dport=40001, flags="S", options=ENDING_EOL) / (b"y" * 9),
        "udp": ETHER / IP(**V4) / UDP(sport=40000, dport=40001) / (b"x" * 100),
        "icmp": ETHER / IP(**V4) / ICMP(id=1, seq=1) / (b"x" * 100),
        "source quench": ETHER / IP(**V4) / ICMP(type=4) / IP(**V4) / UDP(sport=7, dport=9) / (b"x" * 40),
        "ip options": ETHER
        / IP(**V4, options=[IPOption_RR(["198.18.0.9", "198.18.0.8"])])
        / UDP(sport=7, dport=9)
        / (b"z" * 20),
        "tcp6": ETHER / IPv6(**V6) / TCP(sport=40000, dport=40001, flags="A", seq=1, ack=9) / (b"x" * 100),
        "udp6": ETHER / IPv6(**V6) / UDP(sport=40000, dport=40001) / (b"x" * 100),
        "icmp6": ETHER / IPv6(**V6) / ICMPv6EchoRequest(id=1, seq=1) / (b"x" * 100),
    }


@needs_tcpdump
@pytest.mark.parametrize("name", list(packets()))
def test_every_cut_point_prints_as_tcpdump(name: str) -> None:
    # each cut from the end of the Ethernet header to past the transport header (IP header,
    # transport header, options, payload), plus the whole frame
    frame = bytes(packets()[name])
    records = [(frame[:cut], len(frame)) for cut in range(14, min(len(frame), 14 + 96))]
    records.append((frame, len(frame)))
    assert ours(records) == tcpdump_text(records)
    if name != "ip options":  # (-v's text for IPv4 options the capture cut is not tcpdump's yet)
        assert ours(records, verbose=1) == tcpdump_text(records, "-v")


@needs_tcpdump
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(
        st.tuples(
            st.sampled_from(list(packets())),
            st.integers(0, 600),  # payload size
            st.integers(0, 120),  # bytes kept after the Ethernet header
            st.integers(0, 3),  # raw IP (no link header) when 0
        ),
        min_size=1,
        max_size=20,
    )
)
def test_random_cuts_print_as_tcpdump(cuts: list[tuple[str, int, int, int]]) -> None:
    on_ether: list[tuple[bytes, int]] = []
    raw_ip: list[tuple[bytes, int]] = []
    for name, size, kept, raw in cuts:
        packet = packets()[name]
        frame = bytes(packet.payload.copy() / (b"p" * size)) if raw == 0 else bytes(packet / (b"p" * size))
        if raw == 0:
            raw_ip.append((frame[: max(kept, 1)], len(frame)))  # (tcpdump: no line for an empty record)
        else:
            on_ether.append((frame[: 14 + kept], len(frame)))
    assert ours(on_ether) == tcpdump_text(on_ether)
    assert ours(raw_ip, raw=True) == tcpdump_text(raw_ip, linktype=101)


def with_length(frame: bytes, at: int, length: int) -> bytes:
    return frame[:at] + length.to_bytes(2, "big") + frame[at + 2 :]


@needs_tcpdump
def test_lengths_that_disagree_with_the_frame_print_as_tcpdump() -> None:
    # kept whole (caplen == wirelen): IPv4 total length and IPv6 payload length 0, shorter than
    # the transport's header, or longer than the frame; tcpdump's words for each
    frames = []
    for name in ("tcp", "udp", "icmp", "tcp6", "udp6", "icmp6"):
        frame = bytes(packets()[name])
        at = 16 if name[-1] != "6" else 18
        header = 20 if at == 16 else 0
        for length in (0, header + 5, header + 30, header + 400):
            frames.append(with_length(frame, at, length))
        frames.append(with_length(frame, at, 10) if at == 16 else frame[:40])  # below the IPv4 header
    records = [(frame, len(frame)) for frame in frames]
    lines = ours(records)
    assert lines == tcpdump_text(records)
    assert "IP bad-len 0\n" in lines and "IP bad-len 10\n" in lines
    assert "ICMP6, length 0 (invalid)\n" in lines and "truncated-udp 5\n" in lines
    assert ": IP truncated-ip - 262 bytes missing! " not in lines  # (no "IP" twice)
    assert "IP truncated-ip - 280 bytes missing! 198.18.0.1.40000 > 198.18.0.2.40001: Flags [P.]" in lines


def test_a_cut_capture_decodes_what_is_there_and_a_malformed_frame_stays_undecoded() -> None:
    frame = bytes(packets()["udp"])  # 14 + 20 + 8 + 100
    cut = Ether.decode_captured(frame[:60], len(frame))
    assert isinstance(cut[UDP], UDP) and cut[UDP].len == 108 and cut[IP].len == 128
    assert all(layer._mode & CUT for layer in cut.layers()) and cut.wirelen == len(frame)
    assert cut.verify() == []  # (lengths past the cut are the capture's, not wrong)
    assert cut.summary() == "IP 198.18.0.1.40000 > 198.18.0.2.40001: UDP, length 100"
    # the same bytes as a whole frame: its total length says more than there is
    whole = Ether.decode_captured(frame[:60], 60)
    assert isinstance(whole.payload, Undecoded) and "total length 128" in whole.payload.reason
    with pytest.raises(TruncatedError):
        Ether.decode(frame[:60])
    with pytest.raises(TruncatedError):
        Ether.decode_captured(frame[:60], 60, lenient=False)
    assert whole.summary() == (
        "IP truncated-ip - 82 bytes missing! 198.18.0.1.40000 > 198.18.0.2.40001: UDP, length 100"
    )


@needs_tcpdump
def test_a_cut_arp_message_shows_its_length_on_the_wire() -> None:
    frame = bytes(ETHER / ARP(psrc="198.18.0.1", pdst="198.18.0.2") / (b"\0" * 18))
    records = [(frame[:42], 1514), (frame[:30], 600), (frame, len(frame))]
    assert ours(records) == tcpdump_text(records)
    assert "length 1500" in ours(records)
