"""ntp.py: NTP packets, control and private messages over UDP port 123, checked against scapy's
bytes, tshark's fields and tcpdump's lines (built packets and tcpdump's captures)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rawnet import (
    ICMP,
    IP,
    NTP,
    UDP,
    DecodeError,
    Ether,
    FieldValueError,
    ICMPv6DestUnreach,
    IPv6,
    NTPControl,
    NTPHeader,
    NTPPrivate,
    Raw,
)
from rawnet.cli.payloads import NTP_REQUEST
from rawnet.net.pcap import PcapReader
from rawnet.wire.layer import Layer
from rawnet.wire.ntp import NTP_BASETIME
from rawnet.wire.tcpdump import summary
from tests.oracle import LINKTYPE_RAW, tcpdump_lines, tshark_fields, write_pcap
from tests.wire.test_sctp import numbered_packets, write_cut_pcap

needs_tshark = pytest.mark.tshark
needs_tcpdump = pytest.mark.tcpdump

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"

# scapy 2.8.0's bytes for NTPHeader(leap=0, version=4, mode=4, stratum=2, poll=6, precision=-20,
# delay=0.5, dispersion=1.25, id="10.0.0.1", ref=3900000000.5, orig=3900000001.25,
# recv=3900000002.75, sent=3900000003.125), and for NTPControl(op_code=2, sequence=7, association_id=3).
SCAPY_SERVER = bytes.fromhex(
    "240206ec00008000000140000a000001e875470080000000e875470140000000e8754702c0000000e875470320000000"
)
SCAPY_CONTROL = bytes.fromhex("160200070000000300000000")


def server() -> NTPHeader:
    return NTPHeader(
        leap=0,
        version=4,
        mode=4,
        stratum=2,
        poll=6,
        precision=-20,
        delay=0.5,
        dispersion=1.25,
        id="10.0.0.1",
        ref=3900000000.5,
        orig=3900000001.25,
        recv=3900000002.75,
        sent=3900000003.125,
    )


def test_header_builds_as_scapy_does() -> None:
    assert bytes(server()) == SCAPY_SERVER
    assert bytes(NTPControl(op_code=2, sequence=7, association_id=3)) == SCAPY_CONTROL


def test_fields_read_back_as_scapy_shows_them() -> None:
    header = NTP.decode(SCAPY_SERVER)
    assert isinstance(header, NTPHeader)
    assert (header.leap, header.version, header.mode, header.stratum) == (0, 4, 4, 2)
    assert (header.poll, header.precision, header.delay, header.dispersion) == (6, -20, 0.5, 1.25)
    assert header.id == "10.0.0.1" and header.ref_id == b"\n\0\0\x01"
    assert (header.ref, header.orig, header.recv, header.sent) == (
        3900000000.5,
        3900000001.25,
        3900000002.75,
        3900000003.125,
    )
    assert bytes(header) == SCAPY_SERVER and header.verify() == []


def test_orig_and_sent_left_none_are_the_time_of_the_build() -> None:
    before = time.time() + NTP_BASETIME
    header = NTP.decode(bytes(NTPHeader()))
    assert before - 1 <= header.sent <= time.time() + NTP_BASETIME + 1 and header.orig == header.sent
    assert (header.stratum, header.poll, header.id) == (2, 10, "127.0.0.1")  # scapy's defaults


def test_reference_id_as_text() -> None:
    header = NTPHeader(stratum=1)
    header.ref_id = b"GPS"
    assert header.ref_id == b"GPS" and bytes(header)[12:16] == b"GPS\0"


def test_the_scan_probe_is_an_ntp_client_request() -> None:
    assert bytes.fromhex("e3") + bytes(47) == NTP_REQUEST
    request = NTP.decode(NTP_REQUEST)
    assert isinstance(request, NTPHeader) and (request.leap, request.version, request.mode) == (3, 4, 3)


def test_modes_decode_into_their_classes() -> None:
    control = NTP.decode(bytes(NTPControl(response=1, op_code=1, data=b"status=0615", authenticator=b"\0")))
    assert isinstance(control, NTPControl)
    assert (control.response, control.op_code, control.count) == (1, 1, 11)
    assert (control.data, control.authenticator) == (b"status=0615", b"\0")
    private = NTP.decode(bytes(NTPPrivate(request_code=42, nb_items=1, data=b"item")))
    assert isinstance(private, NTPPrivate) and (private.request_code, private.data) == (42, b"item")


def test_udp_port_123_carries_ntp() -> None:
    packet = IP.decode(bytes(IP() / UDP(sport=40000, dport=123) / server() / b"mac!"))
    assert isinstance(packet[UDP].payload, NTPHeader)
    assert isinstance(packet[NTPHeader].payload, Raw) and packet[Raw].load == b"mac!"


def test_bad_values_and_short_messages() -> None:
    with pytest.raises(FieldValueError):
        NTPHeader(poll=200)
    with pytest.raises(FieldValueError):
        NTPHeader(delay=-1)
    for data in (b"", b"\x23" * 47, b"\x16" + bytes(10), b"\x16" + bytes(9) + b"\0\x05" + b"ab", b"\x17\0\0"):
        with pytest.raises(DecodeError):
            NTP.decode(data)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=120))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    try:
        message = NTP.decode(data)
    except DecodeError:
        return
    assert bytes(message) == data
    assert isinstance(message.fields, dict)


@needs_tshark
def test_tshark_reads_the_fields() -> None:
    packets = [
        Ether() / IP() / UDP(sport=123, dport=123) / server(),
        Ether() / IP() / UDP(sport=40000, dport=123) / NTPControl(op_code=2, sequence=7, association_id=3),
    ]
    fields, control = tshark_fields([bytes(packet) for packet in packets])
    header = server()
    assert fields["ntp.flags"] == ["0x24"] and fields["ntp.stratum"] == ["2"] and fields["ntp.ppoll"] == ["6"]
    assert int(fields["ntp.precision"][0]) == header.precision & 0xFF  # (tshark: the byte as sent)
    # tshark gives the short formats' raw numbers, and the timestamps as dates
    assert int(fields["ntp.rootdelay"][0]) == header.delay * 65536 == 32768
    assert int(fields["ntp.rootdispersion"][0]) == header.dispersion * 65536 == 81920
    assert fields["ntp.refid"] == ["0a:00:00:01"]
    assert fields["ntp.reftime"] == ["Aug  2, 2023 21:20:00.500000000 UTC"]
    sent = time.gmtime(header.sent - NTP_BASETIME)
    assert fields["ntp.xmt"] == [
        f"{time.strftime('%b', sent)} {sent.tm_mday:2}, {time.strftime('%Y %H:%M:%S', sent)}.125000000 UTC"
    ]
    assert not any(key.startswith(("_ws.expert", "_ws.malformed")) for key in fields), fields
    assert control["ntp.flags"] == ["0x16"] and control["ntp.ctrl.flags2.opcode"] == ["2"]
    assert control["ntp.ctrl.sequence"] == ["7"] and control["ntp.ctrl.associd"] == ["3"]
    assert control["ntp.ctrl.count"] == ["0"]


@needs_tcpdump
def test_lines_match_tcpdump() -> None:
    packets: list[Layer] = [
        IP(src="198.18.0.1", dst="198.18.0.2")
        / UDP(sport=123, dport=123)
        / NTPHeader(mode=mode, version=version)
        for mode in range(6)
        for version in (1, 3, 4, 7)
    ]
    packets += [
        IP() / UDP(sport=40000, dport=123) / NTPControl(data=b"abc"),
        IP() / UDP(sport=123, dport=40000) / NTPPrivate(data=b"abcd"),
        IP() / UDP(sport=40000, dport=123) / server() / b"extension",
        IPv6() / UDP(sport=123, dport=123) / NTPHeader(mode=4),
    ]
    frames = [bytes(packet) for packet in packets]
    mine = [summary((IP if frame[0] >> 4 == 4 else IPv6).decode(frame)) for frame in frames]
    assert mine == tcpdump_lines(frames, LINKTYPE_RAW, "-n")


def tcpdump_packets(path: Path, *options: str) -> list[str]:
    """tcpdump -n -t's text of each packet in a capture, continuation lines included."""
    run = subprocess.run(["tcpdump", "-n", "-t", *options, "-r", str(path)], capture_output=True, text=True)
    packets: list[str] = []
    for line in run.stdout.removesuffix("\n").split("\n"):
        if packets and (not line or line[0].isspace()):  # (a blank line: a text ending in a newline)
            packets[-1] += "\n" + line
        elif line:
            packets.append(line)
    return packets


def verbose_examples() -> list[Layer]:
    header = NTPHeader(stratum=1, orig=0, sent=0)
    header.ref_id = b"G\x01\xc1"
    examples: list[Layer] = [
        server(),
        NTPHeader(
            leap=3,
            stratum=0,
            poll=-6,
            delay=1.3,
            dispersion=0.01,
            orig=3900000001.7,
            recv=3900000001.2,
            sent=3900000003.125,
            ref=100.5,
        ),
        NTPHeader(leap=1, stratum=1, poll=40, orig=3900000001.7, recv=3900000002.2, sent=3900000001.7),
        NTPHeader(leap=2, stratum=62, orig=3900000001, recv=3900000001, sent=0),
        NTPHeader(stratum=63, orig=0, sent=0),
        header,
        NTPControl(response=1, more=1, op_code=2, status=0x615, data=b"abc"),
        NTPControl(err=1, op_code=31),
        NTPPrivate(data=b"abc"),
    ]
    examples += [
        NTPHeader(stratum=16, orig=0, sent=0) / (b"\0\0\0\5" + bytes(size)) for size in (0, 16, 20, 10)
    ]
    return examples


@needs_tcpdump
@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_lines_match_tcpdump(tmp_path: Path, verbose: int) -> None:
    packets = [
        IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=123, dport=123) / one for one in verbose_examples()
    ]
    packets.append(IPv6(src="::1", dst="::2") / UDP(sport=123, dport=123) / NTPHeader(mode=4, orig=0, sent=0))
    frames = [bytes(packet) for packet in packets]
    path = tmp_path / "ntp.pcap"
    write_pcap(path, frames, LINKTYPE_RAW)
    mine = [summary((IP if frame[0] >> 4 == 4 else IPv6).decode(frame), verbose) for frame in frames]
    assert mine == tcpdump_packets(path, "-" + "v" * verbose)


@needs_tcpdump
@pytest.mark.parametrize("capture", ["ntp-time.pcap", "ntp-time-ef.pcap"])
def test_corpus_lines_match_tcpdump(capture: str) -> None:
    path = CORPUS / capture
    for verbose in (0, 1, 2):
        options = ["-" + "v" * verbose] if verbose else []
        assert [summary(packet, verbose) for packet in PcapReader(path)] == tcpdump_packets(path, *options)


@needs_tcpdump
def test_captures_cut_short_print_as_tcpdump_prints_them(tmp_path: Path) -> None:
    frame = bytes(Ether() / IP() / UDP(sport=123, dport=123) / server())
    path = tmp_path / "cut.pcap"
    # (from the first byte of the message on: a capture that keeps none of it is UDP's)
    write_cut_pcap(path, [(frame, kept) for kept in range(43, len(frame) + 1)])
    for verbose in (0, 1, 2):
        expected = numbered_packets(path, *(["-" + "v" * verbose] if verbose else []))
        assert [summary(packet, verbose) for packet in PcapReader(path)] == expected


@needs_tcpdump
@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_quoted_in_icmp_errors_as_tcpdump_prints_them(tmp_path: Path, verbose: int) -> None:
    inner = bytes(IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=123, dport=123) / server())
    inner6 = bytes(IPv6(src="::2", dst="::1") / UDP(sport=123, dport=123) / server())
    packets: list[Layer] = [
        IP(src="198.18.0.1", dst="198.18.0.2") / ICMP(type=3, code=3) / inner[:size]
        for size in (28, 29, 40, 60, 76)
    ]
    packets += [
        IPv6(src="::1", dst="::2") / ICMPv6DestUnreach(code=4) / inner6[:size] for size in (48, 49, 60, 96)
    ]
    frames = [bytes(packet) for packet in packets]
    path = tmp_path / "quotes.pcap"
    write_pcap(path, frames, LINKTYPE_RAW)
    mine = [
        summary((IP if frame[0] >> 4 == 4 else IPv6).decode(frame, lenient=True), verbose) for frame in frames
    ]
    assert mine == tcpdump_packets(path, *(["-" + "v" * verbose] if verbose else []))


@needs_tcpdump
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    headers=st.lists(
        st.builds(
            NTPHeader,
            leap=st.integers(0, 3),
            version=st.integers(0, 7),
            mode=st.integers(0, 5),
            stratum=st.integers(0, 255),
            poll=st.integers(-128, 127),
            sent=st.floats(0, 2**32 - 1),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_random_headers_print_as_tcpdump_prints_them(headers: list[NTPHeader]) -> None:
    frames = [
        bytes(IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=5000, dport=123) / header)
        for header in headers
    ]
    assert [summary(IP.decode(frame)) for frame in frames] == tcpdump_lines(frames, LINKTYPE_RAW, "-n")
    for frame in frames:
        assert bytes(IP.decode(frame)) == frame
