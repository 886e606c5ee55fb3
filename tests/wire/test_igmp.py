"""igmp.py: IGMPv1, v2 and v3 (RFC 1112, RFC 2236, RFC 3376), checked against tshark and tcpdump.

tcpdump's lines come from the installed tcpdump (on tcpdump's own captures, and on packets built
here or made of random bytes); field values from tshark; the golden report is frame 44 of
tcpdump's capture eapon1.pcap, whose values tshark gives.
"""

from __future__ import annotations

import contextlib
import json
import re
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import (
    IGMP,
    IGMP_MQ,
    IGMP_MR,
    IP,
    DecodeError,
    Ether,
    IGMPv2_LG,
    IGMPv2_MR,
    IGMPv3,
    IGMPv3_MQ,
    IGMPv3_MR,
    IGMPv3_MR_Group,
    IGMPv3gr,
    IGMPv3mq,
    IGMPv3mr,
    Raw,
    TruncatedError,
    Undecoded,
)
from rawnet.cli.common import _jsonable
from rawnet.wire.layer import Layer
from tests.oracle import LINKTYPE_RAW, tcpdump_lines, tshark_fields
from tests.wire.golden import assert_matches_tshark

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
SRC = "198.18.0.1"


def over_ip(message: Layer, dst: str = "224.0.0.1") -> Layer:
    return IP(src=SRC, dst=dst, ttl=1) / message


# -- tcpdump's lines on its own captures ---------------------------------------------------------

#: tcpdump's captures holding IGMP (tcpdump -n -r FILE | grep igmp).
IGMP_CAPTURES = ("IGMP_V1.pcap", "eapon1.pcap", "hoobr_pimv1.pcap", "relts-0x80000000.pcap")


def lines_of(command: list[str], capture: str, *options: str) -> list[str]:
    run = subprocess.run(
        [*command, *options, "-r", str(CORPUS / capture)], capture_output=True, text=True, errors="replace"
    )
    return run.stdout.splitlines()


def corpus_pairs(capture: str, pattern: str, *options: str) -> list[tuple[str, str]]:
    """(tcpdump's line, rawnet's) for each line of tcpdump's that holds ``pattern``."""
    theirs = [line for line in lines_of(["tcpdump", "-n"], capture, *options) if not line[:1].isspace()]
    ours = [line for line in lines_of([sys.executable, "-m", "rawnet", "sniff"], capture, *options)]
    assert len(theirs) == len(ours), capture
    return [
        (tcpdump, line) for tcpdump, line in zip(theirs, ours, strict=True) if re.search(pattern, tcpdump)
    ]


@pytest.mark.tcpdump
@pytest.mark.parametrize("capture", IGMP_CAPTURES)
def test_corpus_lines_are_tcpdumps(capture: str) -> None:
    pairs = corpus_pairs(capture, r": igmp |: mtrace |: mresp ")
    assert pairs
    assert [ours for _, ours in pairs] == [theirs for theirs, _ in pairs]


@pytest.mark.tcpdump
@pytest.mark.parametrize("options", [("-v",), ("-vv",)])
def test_corpus_verbose_lines_are_tcpdumps(options: tuple[str, ...]) -> None:
    for capture in ("IGMP_V1.pcap", "eapon1.pcap"):
        theirs = lines_of(["tcpdump", "-n"], capture, *options)
        ours = lines_of([sys.executable, "-m", "rawnet", "sniff"], capture, *options)
        igmp = re.compile(r"^\s+\S+ > \S+: igmp |proto IGMP")
        assert [line for line in theirs if igmp.search(line)]
        assert [line for line in ours if igmp.search(line)] == [line for line in theirs if igmp.search(line)]


# -- tshark's fields of what rawnet builds ------------------------------------------------------

BUILT = {
    "v1_query": (over_ip(IGMP_MQ(mrcode=0)), {"igmp.version": ["1"], "igmp.type": ["0x11"]}),
    "v2_query": (
        over_ip(IGMP_MQ(gaddr="239.1.2.3")),
        {"igmp.version": ["2"], "igmp.max_resp": ["20"], "igmp.maddr": ["239.1.2.3"]},
    ),
    "v1_report": (over_ip(IGMP_MR(gaddr="239.1.2.3"), "239.1.2.3"), {"igmp.type": ["0x12"]}),
    "v2_report": (
        over_ip(IGMPv2_MR(gaddr="239.1.2.3"), "239.1.2.3"),
        {"igmp.version": ["2"], "igmp.type": ["0x16"], "igmp.maddr": ["239.1.2.3"]},
    ),
    "leave": (over_ip(IGMPv2_LG(gaddr="239.1.2.3"), "224.0.0.2"), {"igmp.type": ["0x17"]}),
    "generic": (over_ip(IGMP(type=0x16, gaddr="239.9.9.9"), "239.9.9.9"), {"igmp.maddr": ["239.9.9.9"]}),
    "v3_query": (
        over_ip(IGMPv3_MQ(gaddr="239.1.2.3", s=1, qrv=2, qqic=125, srcaddrs=["192.0.2.1", "192.0.2.2"])),
        {
            "igmp.version": ["3"],
            "igmp.max_resp": ["20"],
            "igmp.maddr": ["239.1.2.3"],
            "igmp.s": ["1"],
            "igmp.qrv": ["2"],
            "igmp.qqic": ["125"],
            "igmp.num_src": ["2"],
            "igmp.saddr": ["192.0.2.1", "192.0.2.2"],
        },
    ),
    "v3_report": (
        over_ip(
            IGMPv3_MR(
                records=[
                    IGMPv3_MR_Group(rtype=1, maddr="239.1.1.1", srcaddrs=["192.0.2.9"], auxdata=b"abcdef"),
                    IGMPv3_MR_Group(maddr="239.1.1.2"),
                ]
            ),
            "224.0.0.22",
        ),
        {
            "igmp.version": ["3"],
            "igmp.type": ["0x22"],
            "igmp.num_grp_recs": ["2"],
            "igmp.record_type": ["1", "4"],
            "igmp.aux_data_len": ["2", "0"],
            "igmp.num_src": ["1", "0"],
            "igmp.maddr": ["239.1.1.1", "239.1.1.2"],
            "igmp.saddr": ["192.0.2.9"],
            "igmp.aux_data": ["61:62:63:64:65:66:00:00"],
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
    assert seen["igmp.checksum.status"] == ["1"]  # (tshark's "good")
    assert not any(int(severity) >= 0x600000 for severity in seen.get("_ws.expert.severity", []))
    decoded = IP.decode(bytes(packet))
    message = decoded[IGMP]
    assert type(message) is type(packet[IGMP]) or name == "generic"
    assert seen["igmp.checksum"] == [f"0x{message.chksum:04x}"]
    assert decoded.verify() == []


@pytest.mark.tcpdump
def test_built_messages_are_tcpdumps_lines() -> None:
    packets = [packet for packet, _ in BUILT.values()]
    for options in ((), ("-v",), ("-vv",)):
        verbose = len(options[0]) - 1 if options else 0
        expected = tcpdump_lines([bytes(packet) for packet in packets], LINKTYPE_RAW, *options)
        ours = "\n".join(packet.summary(verbose) for packet in packets).splitlines()
        assert ours == expected, options


# -- building -----------------------------------------------------------------------------------


def test_counts_lengths_and_defaults_are_computed() -> None:
    report = IGMPv3_MR(records=[IGMPv3_MR_Group(maddr="239.1.1.1", srcaddrs=["1.2.3.4"], auxdata=b"ab")])
    wire = bytes(report)
    assert wire[6:8] == b"\x00\x01"  # numgrp
    assert wire[8:16] == bytes([4, 1, 0, 1, 239, 1, 1, 1])  # to_ex, 1 word of aux data, 1 source
    assert wire[16:] == bytes([1, 2, 3, 4]) + b"ab\0\0"
    assert report.numgrp is None and report.records[0].numsrc is None  # (the user's layers unchanged)
    assert bytes(IGMP())[:2] == b"\x11\x14" and bytes(IGMP(type=0x16))[:2] == b"\x16\x00"  # scapy's mrcode
    assert bytes(IGMPv3_MQ(srcaddrs=["1.1.1.1"]))[10:] == b"\x00\x01\x01\x01\x01\x01"
    assert (IGMPv3mq, IGMPv3mr, IGMPv3gr) == (IGMPv3_MQ, IGMPv3_MR, IGMPv3_MR_Group)  # scapy's contrib names


def test_a_value_set_by_the_user_is_sent_as_set_and_verify_reports_it() -> None:
    packet = over_ip(IGMPv3_MR(numgrp=3, chksum=0x1234, records=[IGMPv3_MR_Group()]))
    decoded = IP.decode(bytes(packet), lenient=True)
    assert isinstance(decoded.payload, Undecoded)  # (3 records announced, 1 there)
    packet = over_ip(IGMPv2_MR(chksum=0x1234, gaddr="239.1.1.1"))
    problems = IP.decode(bytes(packet)).verify()
    assert [(problem.field, problem.found) for problem in problems] == [("chksum", 0x1234)]


def test_records_are_copied_in_and_out() -> None:
    record = IGMPv3_MR_Group(maddr="239.1.1.1")
    report = IGMPv3_MR(records=[record])
    record.maddr = "239.2.2.2"
    assert report.records[0].maddr == "239.1.1.1"
    report.records[0].maddr = "239.3.3.3"  # (a copy: set the list anew to change it)
    assert report.records[0].maddr == "239.1.1.1"
    with pytest.raises(Exception, match="IGMPv3_MR_Group"):
        IGMPv3_MR(records=[IGMP()])


def test_v3_messages_have_no_igmp_fields_they_lack() -> None:
    report = IGMPv3_MR()
    assert isinstance(report, IGMP) and isinstance(report, IGMPv3)
    assert [field.name for field in IGMPv3_MR.fields_desc] == [
        "type", "reserved", "chksum", "flags", "numgrp", "records"
    ]  # fmt: skip
    with pytest.raises(AttributeError):
        _ = report.gaddr


def test_show_and_field_values() -> None:
    packet = IP.decode(bytes(BUILT["v3_report"][0]))
    text = packet.show(dump=True)
    assert text is not None and "records" in text and "239.1.1.2" in text
    values = packet[IGMPv3_MR].field_values()
    assert values["numgrp"] == 2 and values["records"][0].srcaddrs == ["192.0.2.9"]
    as_json = json.loads(json.dumps(values, default=_jsonable))  # (rawnet decode --json's form)
    assert as_json["records"][0] == {
        "layer": "IGMPv3_MR_Group",
        "fields": {
            "rtype": 1,
            "auxdlen": 2,
            "numsrc": 1,
            "maddr": "239.1.1.1",
            "srcaddrs": ["192.0.2.9"],
            "auxdata": "6162636465660000",
        },
    }


# -- decoding -----------------------------------------------------------------------------------

# tcpdump's eapon1.pcap, frame 44: IGMPv3 report from 169.254.67.194, one record
# (tcpdump -v: "[gaddr 239.255.255.250 to_ex, 0 source(s)]"), IP options (RA).
GOLDEN_REPORT = bytes.fromhex(
    "46000028" "38c00000" "01021e39" "a9fe43c2" "e0000016" "94040000"
    "2200ea03" "00000001" "04000000" "effffffa"
)  # fmt: skip


def test_golden_report_decodes_to_tsharks_values() -> None:
    packet = IP.decode(GOLDEN_REPORT)
    report = packet[IGMPv3_MR]
    assert (report.numgrp, report.chksum) == (1, 0xEA03)
    (record,) = report.records
    assert (record.rtype, record.maddr, record.numsrc, record.srcaddrs) == (4, "239.255.255.250", 0, [])
    assert packet.verify() == [] and bytes(packet) == GOLDEN_REPORT
    assert packet.summary() == "IP 169.254.67.194 > 224.0.0.22: igmp v3 report, 1 group record(s)"


@pytest.mark.tshark
def test_golden_report_is_what_the_comment_says() -> None:
    (seen,) = tshark_fields([GOLDEN_REPORT], LINKTYPE_RAW)
    assert seen["igmp.maddr"] == ["239.255.255.250"] and seen["igmp.record_type"] == ["4"]


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        (b"\x11\x00" + bytes(6), IGMP_MQ),
        (b"\x11\x64" + bytes(8), IGMP_MQ),  # (10 bytes: v2, with a 2-byte payload)
        (b"\x11\x64" + bytes(10), IGMPv3_MQ),  # (RFC 3376 7.1: 12 bytes or more, v3)
        (b"\x12\x00" + bytes(6), IGMP_MR),
        (b"\x16\x00" + bytes(6), IGMPv2_MR),
        (b"\x17\x00" + bytes(6), IGMPv2_LG),
        (b"\x22\x00" + bytes(6), IGMPv3_MR),
        (b"\x13\x00" + bytes(6), IGMP),
    ],
)
def test_the_class_comes_from_type_and_length(message: bytes, cls: type[IGMP]) -> None:
    assert type(IGMP.decode(message)) is cls


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (b"\x16\x00\x00", "3 bytes left, a message needs 8"),
        (b"\x11\x64" + bytes(8) + b"\x00\x02" + bytes(4), "2 sources need 20 bytes, 16 left"),
        (b"\x22" + bytes(5) + b"\x00\x01" + bytes(4), "4 bytes left, a group record needs 8"),
        (b"\x22" + bytes(5) + b"\x00\x01" + b"\x01\x01\x00\x01" + bytes(8), "need 16 bytes, 12 left"),
    ],
)
def test_each_length_check(message: bytes, reason: str) -> None:
    with pytest.raises(TruncatedError, match=reason):
        IGMP.decode(message)


# -- Hypothesis: round trips, tcpdump on random messages, bad input -------------------------------

ADDRESSES = st.builds(lambda n: ".".join(str(b) for b in n.to_bytes(4, "big")), st.integers(0, 2**32 - 1))
BYTE = st.integers(0, 255)
RECORDS = st.lists(
    st.builds(
        IGMPv3_MR_Group,
        rtype=BYTE,
        maddr=ADDRESSES,
        srcaddrs=st.lists(ADDRESSES, max_size=3),
        auxdata=st.binary(max_size=9),
    ),
    max_size=3,
)
MESSAGES = st.one_of(
    st.builds(IGMP_MQ, mrcode=BYTE, gaddr=ADDRESSES),
    st.builds(IGMP_MR, gaddr=ADDRESSES),
    st.builds(IGMPv2_MR, gaddr=ADDRESSES),
    st.builds(IGMPv2_LG, gaddr=ADDRESSES),
    st.builds(
        IGMPv3_MQ,
        mrcode=BYTE,
        gaddr=ADDRESSES,
        s=st.integers(0, 1),
        qrv=st.integers(0, 7),
        qqic=BYTE,
        srcaddrs=st.lists(ADDRESSES, max_size=4),
    ),
    st.builds(IGMPv3_MR, records=RECORDS),
)


@given(MESSAGES)
def test_build_then_decode_round_trips(message: IGMP) -> None:
    packet = over_ip(message)
    wire = bytes(packet)
    decoded = IP.decode(wire)
    assert type(decoded.payload) is type(message)
    assert bytes(decoded) == wire and decoded.verify() == []
    assert IP.decode(bytes(decoded)) == decoded
    assert decoded.summary() == packet.summary()


@pytest.mark.tcpdump
@settings(max_examples=100, deadline=None)  # (tcpdump runs per example)
@given(st.lists(MESSAGES, min_size=1, max_size=15), st.sampled_from([0, 1, 2]))
def test_summaries_of_built_messages_are_tcpdumps(messages: list[IGMP], verbose: int) -> None:
    packets = [over_ip(message) for message in messages]
    options = ("-" + "v" * verbose,) if verbose else ()
    expected = tcpdump_lines([bytes(packet) for packet in packets], LINKTYPE_RAW, *options)
    assert "\n".join(packet.summary(verbose) for packet in packets).splitlines() == expected


# Random bytes after an IP header: tcpdump's text and rawnet's agree, whatever the bytes (DVMRP's
# and PIMv1's too, which IGMP carries).
BODIES = st.one_of(
    st.binary(max_size=40),
    st.builds(
        lambda kind, body: bytes([kind]) + body,
        st.sampled_from([0x11, 0x12, 0x13, 0x14, 0x16, 0x17, 0x22, 0x1E, 0x1F, 0x30]),
        st.binary(max_size=40),
    ),
    st.builds(
        lambda head, count, rest: b"\x22" + head + count.to_bytes(2, "big") + rest,
        st.binary(min_size=5, max_size=5),
        st.integers(0, 3),
        st.binary(max_size=40),
    ),
)


@pytest.mark.tcpdump
@settings(max_examples=100, deadline=None)  # (tcpdump runs per example)
@given(st.lists(BODIES, min_size=1, max_size=15), st.sampled_from([0, 1, 2]))
def test_summaries_of_random_messages_are_tcpdumps(bodies: list[bytes], verbose: int) -> None:
    frames = [bytes(IP(src=SRC, dst="224.0.0.1", proto=2) / Raw(body)) for body in bodies]
    options = ("-" + "v" * verbose,) if verbose else ()
    expected = tcpdump_lines(frames, LINKTYPE_RAW, *options)
    ours = "\n".join(IP.decode(frame, lenient=True).summary(verbose) for frame in frames)
    assert ours.splitlines() == expected


@given(st.binary(max_size=120))
def test_arbitrary_bytes_raise_only_decode_error(data: bytes) -> None:
    try:
        message = IGMP.decode(data)
    except DecodeError:
        return
    assert len(bytes(message)) == len(data)
    for layer in message.layers():
        layer.field_values()
    decoded = IP.decode(bytes(IP(src=SRC, dst="224.0.0.1", proto=2) / Raw(data)), lenient=True)
    decoded.summary(2)


def test_a_record_count_far_past_the_end_is_refused_at_once() -> None:
    message = b"\x22" + bytes(5) + b"\xff\xff" + bytes(8) * 3
    with pytest.raises(TruncatedError):
        IGMP.decode(message)
    frame = Ether(src="02:00:00:00:00:01", dst="01:00:5e:00:00:16") / IP(src=SRC, dst="224.0.0.22", proto=2)
    frame = frame / Raw(message)
    assert "igmp v3 report, 65535 group record(s)" in Ether.decode(bytes(frame), lenient=True).summary()


def test_positional_bytes_decode_as_the_class_called() -> None:
    wire = bytes(IGMPv3_MR(records=[IGMPv3_MR_Group(maddr="239.1.1.1")]))
    assert IGMPv3_MR(wire).records[0].maddr == "239.1.1.1"  # (scapy's IGMPv3_MR(data))
    generic = IGMP(wire)
    assert type(generic) is IGMP and bytes(generic) == wire and generic.payload is not None
    assert type(IGMP.decode(wire)) is IGMPv3_MR  # (the decoder chooses by type)
    assert IGMPv2_MR(bytes(IGMPv2_MR(gaddr="192.0.2.1")), gaddr="192.0.2.2").gaddr == "192.0.2.2"
    with pytest.raises(TruncatedError):
        IGMP(b"\x16\x00")


def test_a_report_answers_a_query_as_scapys() -> None:
    # (scapy 2.8: IGMP.answers; at the IP layer a report to the group answers no query to 224.0.0.1)
    assert IGMPv2_MR(gaddr="239.1.1.1").answers(IGMP_MQ()) is True
    assert IGMPv3_MR().answers(IGMPv3_MQ()) is True
    assert IGMP_MQ().answers(IGMP_MR()) is False
    query, report = over_ip(IGMP_MQ()), IP(src="198.18.0.2", dst="224.0.0.1") / IGMPv2_MR(gaddr="239.1.1.1")
    assert report.answers(query) == 0


# -- hostile input: only DecodeError, no hang, nothing allocated beyond the input ---------------------


def walk(packet: Layer) -> None:
    """Touch everything a user can (tests/wire/test_bad_input.py's walk)."""
    for layer in packet.layers():
        layer.field_values()
    for verbose in (0, 1, 2):
        packet.summary(verbose)
    packet.show(dump=True)
    packet.verify()
    bytes(packet)


VALID_REPORT = bytes(BUILT["v3_report"][0])


@given(
    edits=st.lists(
        st.tuples(st.sampled_from(["flip", "insert", "delete"]), st.integers(0, 200), st.integers(0, 255)),
        min_size=1,
        max_size=6,
    )
)
def test_mutated_reports_raise_only_decode_error(edits: list[tuple[str, int, int]]) -> None:
    data = bytearray(VALID_REPORT)
    for kind, where, value in edits:
        where = 20 + where % max(len(data) - 20, 1)  # (the IGMP message, after the IP header)
        if kind == "flip" and where < len(data):
            data[where] ^= value or 1
        elif kind == "insert":
            data.insert(where, value)
        elif where < len(data):
            del data[where]
    with contextlib.suppress(DecodeError):
        walk(IP.decode(bytes(data)))
    lenient = IP.decode(bytes(data), lenient=True)
    walk(lenient)
    assert bytes(lenient) == bytes(data)


def test_counts_past_the_end_do_not_allocate_them() -> None:
    # 65535 records announced, the first with 65535 sources and 255 words of aux data, in 16 bytes
    message = b"\x22\x00\x00\x00\x00\x00\xff\xff" + b"\x01\xff\xff\xff\xef\x00\x00\x01"
    query = b"\x11\x64\x00\x00\xef\x00\x00\x01\x00\x00\xff\xff"
    frames = [bytes(IP(src=SRC, dst="224.0.0.1", proto=2) / Raw(body)) for body in (message, query)]
    tracemalloc.start()
    try:
        for _ in range(50):
            for frame in frames:
                with contextlib.suppress(DecodeError):
                    walk(IP.decode(frame))
                walk(IP.decode(frame, lenient=True))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024, peak


def cut_capture_lines(
    path: Path, frames: list[bytes], keep: list[int], *options: str
) -> tuple[list[str], list[str]]:
    """tcpdump's and rawnet sniff's lines for ``frames`` captured with only ``keep`` bytes of each."""
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))  # (Ethernet)
        for number, (frame, kept) in enumerate(zip(frames, keep, strict=True)):
            out.write(struct.pack("<IIII", 1_700_000_000 + number, 0, kept, len(frame)) + frame[:kept])
    command = (["tcpdump", "-n"], [sys.executable, "-m", "rawnet", "sniff"])
    theirs, ours = (
        subprocess.run([*tool, *options, "-r", str(path)], capture_output=True, text=True) for tool in command
    )
    return theirs.stdout.splitlines(), ours.stdout.splitlines()


@pytest.mark.tcpdump
@pytest.mark.parametrize("options", [(), ("-v",), ("-vv",)])
def test_lines_of_messages_the_capture_cut_are_tcpdumps(tmp_path: Path, options: tuple[str, ...]) -> None:
    ether = Ether(src="02:00:00:00:00:01", dst="01:00:5e:00:00:16")
    frames = [bytes(ether / packet) for packet, _ in BUILT.values()]
    keep = [size for frame in frames for size in range(34, len(frame) + 1, 3)]
    frames = [frame for frame in frames for _ in range(34, len(frame) + 1, 3)]
    theirs, ours = cut_capture_lines(tmp_path / "cut.pcap", frames, keep, *options)
    assert len(theirs) >= len(frames) and ours == theirs
