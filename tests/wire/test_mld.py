"""mld.py: MLDv1 and MLDv2 (RFC 2710, RFC 3810), checked against tshark and tcpdump.

tcpdump's lines come from the installed tcpdump (on tcpdump's own captures, and on packets built
here or made of random bytes); field values from tshark; the golden report is frame 2 of
tcpdump's capture icmpv6.pcap.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import (
    DecodeError,
    Ether,
    ICMPv6,
    ICMPv6MLDMultAddrRec,
    ICMPv6MLDone,
    ICMPv6MLQuery,
    ICMPv6MLQuery2,
    ICMPv6MLReport,
    ICMPv6MLReport2,
    IPv6,
    Raw,
)
from rawnet.wire.layer import Layer
from tests.oracle import LINKTYPE_RAW, tcpdump_lines, tshark_fields
from tests.wire.golden import assert_matches_tshark
from tests.wire.test_igmp import cut_capture_lines

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
SRC = "fe80::1"

# -- tcpdump's lines on its own captures ---------------------------------------------------------

#: tcpdump's captures holding MLD (tcpdump -n -r FILE | grep "multicast listener").
MLD_CAPTURES = ("icmpv6.pcap", "babel.pcap")
#: What tcpdump -v prints of a hop-by-hop header, which ipv6ext.py's line does not show yet.
_HOP_BY_HOP_OPTIONS = re.compile(r" \(rtalert: 0x[0-9a-f]+\) \(padn\)")


def lines_of(command: list[str], capture: str, *options: str) -> list[str]:
    run = subprocess.run(
        [*command, *options, "-r", str(CORPUS / capture)], capture_output=True, text=True, errors="replace"
    )
    return [line for line in run.stdout.splitlines() if "multicast listener" in line]


@pytest.mark.tcpdump
@pytest.mark.parametrize("capture", MLD_CAPTURES)
@pytest.mark.parametrize("options", [(), ("-v",), ("-vv",)])
def test_corpus_lines_are_tcpdumps(capture: str, options: tuple[str, ...]) -> None:
    theirs = lines_of(["tcpdump", "-n"], capture, *options)
    ours = lines_of([sys.executable, "-m", "rawnet", "sniff"], capture, *options)
    assert theirs
    assert ours == [_HOP_BY_HOP_OPTIONS.sub("", line) for line in theirs]


# -- tshark's fields of what rawnet builds ------------------------------------------------------

BUILT = {
    "query": (
        IPv6(src=SRC) / ICMPv6MLQuery(),
        {"icmpv6.type": ["130"], "icmpv6.mld.maximum_response_delay": ["10000"], "ipv6.dst": ["ff02::1"]},
    ),
    "report": (
        IPv6(src=SRC, dst="ff02::fb") / ICMPv6MLReport(mladdr="ff02::fb"),
        {"icmpv6.type": ["131"], "icmpv6.mld.multicast_address": ["ff02::fb"], "ipv6.hlim": ["1"]},
    ),
    "done": (
        IPv6(src=SRC) / ICMPv6MLDone(mladdr="ff02::fb"),
        {"icmpv6.type": ["132"], "icmpv6.mld.multicast_address": ["ff02::fb"], "ipv6.dst": ["ff02::2"]},
    ),
    "query2": (
        IPv6(src=SRC)
        / ICMPv6MLQuery2(mladdr="ff02::fb", S=1, QRV=2, QQIC=60, sources=["fe80::2", "fe80::3"]),
        {
            "icmpv6.mld.maximum_response_code": ["10000"],
            "icmpv6.mld.multicast_address": ["ff02::fb"],
            "icmpv6.mld.flag.s": ["1"],
            "icmpv6.mld.flag.qrv": ["2"],
            "icmpv6.mld.qqi": ["60"],
            "icmpv6.mld.nb_sources": ["2"],
            "icmpv6.mld.source_address": ["fe80::2", "fe80::3"],
        },
    ),
    "report2": (
        IPv6(src=SRC)
        / ICMPv6MLReport2(
            records=[
                ICMPv6MLDMultAddrRec(rtype=2, dst="ff02::fb", sources=["fe80::2"], auxdata=b"abcd"),
                ICMPv6MLDMultAddrRec(dst="ff05::1:3"),
            ]
        ),
        {
            "ipv6.dst": ["ff02::16"],
            "icmpv6.type": ["143"],
            "icmpv6.mldr.nb_mcast_records": ["2"],
            "icmpv6.mldr.mar.record_type": ["2", "4"],
            "icmpv6.mldr.mar.aux_data_len": ["1", "0"],
            "icmpv6.mldr.mar.nb_sources": ["1", "0"],
            "icmpv6.mldr.mar.multicast_address": ["ff02::fb", "ff05::1:3"],
            "icmpv6.mldr.mar.source_address": ["fe80::2"],
            "icmpv6.mldr.mar.auxiliary_data": ["61:62:63:64"],
        },
    ),
}


@pytest.fixture(scope="module")
def tshark() -> dict[str, dict[str, list[str]]]:
    fields = tshark_fields([bytes(packet) for packet, _ in BUILT.values()], LINKTYPE_RAW)
    return dict(zip(BUILT, fields, strict=True))


@pytest.mark.tshark
@pytest.mark.parametrize("name", list(BUILT))
def test_built_messages_match_tshark(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    packet, expected = BUILT[name]
    seen = tshark[name]
    assert_matches_tshark(expected, seen)
    assert seen["icmpv6.checksum.status"] == ["1"]  # (tshark's "good")
    assert "_ws.expert.severity" not in seen
    decoded = IPv6.decode(bytes(packet))
    assert type(decoded.payload) is type(packet.payload)
    assert seen["icmpv6.checksum"] == [f"0x{decoded.payload.cksum:04x}"]
    assert decoded.verify() == []


@pytest.mark.tcpdump
def test_built_messages_are_tcpdumps_lines() -> None:
    packets = [packet for packet, _ in BUILT.values()]
    for verbose in (0, 1, 2):
        options = ("-" + "v" * verbose,) if verbose else ()
        expected = tcpdump_lines([bytes(packet) for packet in packets], LINKTYPE_RAW, *options)
        assert "\n".join(packet.summary(verbose) for packet in packets).splitlines() == expected


# -- building and decoding ----------------------------------------------------------------------


def test_counts_and_lengths_are_computed() -> None:
    report = ICMPv6MLReport2(
        records=[ICMPv6MLDMultAddrRec(dst="ff02::fb", sources=["fe80::2"], auxdata=b"ab")]
    )
    wire = bytes(report)
    assert wire[6:8] == b"\x00\x01"
    assert wire[8:12] == bytes([4, 1, 0, 1])  # to_ex, one 32-bit word of aux data (RFC 3810), 1 source
    assert wire[-4:] == b"ab\0\0" and len(wire) == 8 + 20 + 16 + 4
    assert bytes(ICMPv6MLQuery2(sources=["fe80::2"]))[26:28] == b"\x00\x01"
    assert report.records_number is None and report.records[0].auxdata_len is None


def test_the_class_comes_from_type_and_length() -> None:
    def decoded(message: Layer) -> Layer:
        return IPv6.decode(bytes(IPv6(src=SRC) / message)).payload

    assert type(decoded(ICMPv6MLQuery())) is ICMPv6MLQuery
    assert type(decoded(ICMPv6MLQuery2())) is ICMPv6MLQuery2  # (RFC 3810 8.1: 28 bytes or more)
    assert type(decoded(ICMPv6MLReport2())) is ICMPv6MLReport2
    assert type(decoded(ICMPv6(type=131) / Raw(bytes(10)))) is ICMPv6  # (too short: the generic one)
    query2 = decoded(ICMPv6MLQuery2(sources=["fe80::2"]))
    assert query2.sources == ["fe80::2"] and query2.sources_number == 1
    assert [field.name for field in ICMPv6MLReport2.fields_desc] == [
        "type", "res", "cksum", "reserved", "records_number", "records"
    ]  # fmt: skip


# tcpdump's icmpv6.pcap, frame 2: an MLDv2 report ("[gaddr ff02::db8:1122:3344 to_ex, 0 source(s)]"),
# after a hop-by-hop header (router alert).
GOLDEN_REPORT = bytes.fromhex(
    "6000000000240001" "fe80000000000000021517fffecce546" "ff020000000000000000000000000016"
    "3a00050200000100" "8f001fc500000001" "04000000" "ff020000000000000000" "0db811223344"
)  # fmt: skip


def test_golden_report_decodes_to_tsharks_values() -> None:
    packet = IPv6.decode(GOLDEN_REPORT)
    report = packet[ICMPv6MLReport2]
    (record,) = report.records
    assert (record.rtype, record.dst, record.sources_number) == (4, "ff02::db8:1122:3344", 0)
    assert packet.verify() == [] and bytes(packet) == GOLDEN_REPORT
    (seen,) = tshark_fields([GOLDEN_REPORT], LINKTYPE_RAW)
    assert seen["icmpv6.mldr.mar.multicast_address"] == ["ff02::db8:1122:3344"]
    assert seen["icmpv6.checksum"] == [f"0x{report.cksum:04x}"]


# -- Hypothesis ---------------------------------------------------------------------------------

ADDRESSES = st.builds(lambda n: str(ipaddress.IPv6Address(n)), st.integers(0, 2**128 - 1))
RECORDS = st.lists(
    st.builds(
        ICMPv6MLDMultAddrRec,
        rtype=st.integers(0, 255),
        dst=ADDRESSES,
        sources=st.lists(ADDRESSES, max_size=2),
        auxdata=st.binary(max_size=9),
    ),
    max_size=3,
)
MESSAGES = st.one_of(
    st.builds(ICMPv6MLQuery, mrd=st.integers(0, 0xFFFF), mladdr=ADDRESSES),
    st.builds(ICMPv6MLReport, mladdr=ADDRESSES),
    st.builds(ICMPv6MLDone, mladdr=ADDRESSES),
    st.builds(
        ICMPv6MLQuery2,
        mrd=st.integers(0, 0xFFFF),
        mladdr=ADDRESSES,
        S=st.integers(0, 1),
        QRV=st.integers(0, 7),
        QQIC=st.integers(0, 255),
        sources=st.lists(ADDRESSES, max_size=3),
    ),
    st.builds(ICMPv6MLReport2, records=RECORDS),
)


@given(MESSAGES)
def test_build_then_decode_round_trips(message: ICMPv6) -> None:
    packet = IPv6(src=SRC) / message
    wire = bytes(packet)
    decoded = IPv6.decode(wire)
    assert type(decoded.payload) is type(message)
    assert bytes(decoded) == wire and decoded.verify() == []
    assert IPv6.decode(bytes(decoded)) == decoded


@pytest.mark.tcpdump
@settings(max_examples=100, deadline=None)  # (tcpdump runs per example)
@given(st.lists(MESSAGES, min_size=1, max_size=15), st.sampled_from([0, 1, 2]))
def test_summaries_of_built_messages_are_tcpdumps(messages: list[ICMPv6], verbose: int) -> None:
    packets = [IPv6(src=SRC) / message for message in messages]
    options = ("-" + "v" * verbose,) if verbose else ()
    expected = tcpdump_lines([bytes(packet) for packet in packets], LINKTYPE_RAW, *options)
    assert "\n".join(packet.summary(verbose) for packet in packets).splitlines() == expected


BODIES = st.one_of(
    st.binary(max_size=70),
    st.builds(
        lambda head, count, rest: head + count.to_bytes(2, "big") + rest,
        st.binary(min_size=2, max_size=2),
        st.integers(0, 4),
        st.binary(max_size=90),
    ),
)


@pytest.mark.tcpdump
@settings(max_examples=100, deadline=None)  # (tcpdump runs per example)
@given(st.lists(st.tuples(st.sampled_from([130, 131, 132, 143]), BODIES), min_size=1, max_size=15))
def test_verbose_summaries_of_random_messages_are_tcpdumps(messages: list[tuple[int, bytes]]) -> None:
    frames = [
        bytes(IPv6(src=SRC, dst="ff02::1", hlim=1) / ICMPv6(type=kind) / Raw(body)) for kind, body in messages
    ]
    for verbose in (1, 2):
        expected = tcpdump_lines(frames, LINKTYPE_RAW, "-" + "v" * verbose)
        ours = "\n".join(IPv6.decode(frame, lenient=True).summary(verbose) for frame in frames)
        assert ours.splitlines() == expected


def test_a_report_answers_a_query_as_scapys() -> None:
    assert ICMPv6MLReport2().answers(ICMPv6MLQuery2()) is True
    assert ICMPv6MLReport().answers(ICMPv6MLQuery()) is True
    assert ICMPv6MLReport().answers(ICMPv6MLDone()) is False


def test_mutated_reports_raise_only_decode_error() -> None:
    # (every single-byte change of a report with records, and every cut: tcpdump's line still made)
    valid = bytes(BUILT["report2"][0])
    for at in range(40, len(valid)):
        for value in (0, 1, 0x7F, 0xFF):
            data = valid[:at] + bytes([value]) + valid[at + 1 :]
            for frame in (data, data[:at]):
                with contextlib.suppress(DecodeError):
                    IPv6.decode(frame).summary(2)
                lenient = IPv6.decode(frame, lenient=True)
                lenient.summary(2)
                lenient.show(dump=True)
                lenient.verify()
                assert bytes(lenient) == frame


@pytest.mark.tcpdump
@pytest.mark.parametrize("options", [(), ("-v",), ("-vv",)])
def test_lines_of_messages_the_capture_cut_are_tcpdumps(tmp_path: Path, options: tuple[str, ...]) -> None:
    ether = Ether(src="02:00:00:00:00:01", dst="33:33:00:00:00:16")
    frames = [bytes(ether / packet) for packet, _ in BUILT.values()]
    keep = [size for frame in frames for size in range(54, len(frame) + 1, 5)]
    frames = [frame for frame in frames for _ in range(54, len(frame) + 1, 5)]
    theirs, ours = cut_capture_lines(tmp_path / "cut.pcap", frames, keep, *options)
    assert len(theirs) >= len(frames) and ours == theirs
