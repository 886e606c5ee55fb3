"""sctp.py: the SCTP common header, its CRC32c and chunks, checked against scapy's bytes, tshark
(the checksum verified as CRC32c) and tcpdump's lines, on built packets and on tcpdump's captures."""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rawnet
from rawnet import (
    ICMP,
    IP,
    SCTP,
    DecodeError,
    Ether,
    ICMPv6DestUnreach,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    MalformedError,
    Raw,
    SCTPChunkAbort,
    SCTPChunkCookieAck,
    SCTPChunkCookieEcho,
    SCTPChunkData,
    SCTPChunkError,
    SCTPChunkHeartbeatAck,
    SCTPChunkHeartbeatReq,
    SCTPChunkInit,
    SCTPChunkInitAck,
    SCTPChunkParamAdaptationLayer,
    SCTPChunkParamChunkList,
    SCTPChunkParamCookiePreservative,
    SCTPChunkParamECNCapable,
    SCTPChunkParamFwdTSN,
    SCTPChunkParamHeartbeatInfo,
    SCTPChunkParamHostname,
    SCTPChunkParamIPv4Addr,
    SCTPChunkParamIPv6Addr,
    SCTPChunkParamRandom,
    SCTPChunkParamRequestedHMACFunctions,
    SCTPChunkParamStateCookie,
    SCTPChunkParamSupportedAddrTypes,
    SCTPChunkParamSupportedExtensions,
    SCTPChunkParamUnknown,
    SCTPChunkSACK,
    SCTPChunkShutdown,
    SCTPChunkShutdownAck,
    SCTPChunkShutdownComplete,
    SCTPChunkUnknown,
    TruncatedError,
)
from rawnet.net.pcap import PcapReader
from rawnet.wire.layer import Layer
from rawnet.wire.registry import LAYERS, SCTP_CHUNK
from rawnet.wire.sctp import crc32c
from rawnet.wire.tcpdump import summary
from tests.oracle import LINKTYPE_RAW, tshark_fields, write_pcap

needs_tshark = pytest.mark.tshark
needs_tcpdump = pytest.mark.tcpdump

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
SRC, DST = "198.18.0.1", "198.18.0.2"


def ip(**fields: object) -> IP:
    return IP(src=SRC, dst=DST, **fields)  # type: ignore[arg-type]


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


def tcpdump_of(frames: list[bytes], folder: Path, *options: str) -> list[str]:
    path = folder / "frames.pcap"
    write_pcap(path, frames, LINKTYPE_RAW)
    return tcpdump_packets(path, *options)


def write_cut_pcap(path: Path, frames: list[tuple[bytes, int]]) -> None:
    """An Ethernet pcap of each frame as a capture keeps its first bytes (frame, bytes kept)."""
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for number, (frame, kept) in enumerate(frames):
            out.write(struct.pack("<IIII", 1_700_000_000 + number, 0, kept, len(frame)) + frame[:kept])


def numbered_packets(path: Path, *options: str) -> list[str]:
    """tcpdump -# -n -t's text of each packet (its number tells a packet's first line)."""
    run = subprocess.run(
        ["tcpdump", "-#", "-n", "-t", *options, "-r", str(path)], capture_output=True, text=True
    )
    packets: list[str] = []
    for line in run.stdout.removesuffix("\n").split("\n"):
        first = _NUMBERED.match(line)
        if first:
            packets.append(first.group(1))
        else:
            packets[-1] += "\n" + line
    return packets


_NUMBERED = re.compile(r"^ *\d+  (.*)$")


def decoded(frame: bytes) -> Layer:
    return (IP if frame[0] >> 4 == 4 else IPv6).decode(frame, lenient=True)


# -- CRC32c -----------------------------------------------------------------------------------


def test_crc32c_check_values() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the CRC catalogue's check value for CRC-32C
    assert crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 B.4: 32 bytes of zeros
    assert crc32c(b"\xff" * 32) == 0x62A8AB43  # RFC 3720 B.4: 32 bytes of ones
    assert crc32c(bytes(range(32))) == 0x46DD794E  # RFC 3720 B.4: incrementing bytes


# -- building ---------------------------------------------------------------------------------

# scapy 2.8.0's bytes for the same packet (IP / SCTP / INIT with three parameters / DATA).
SCAPY_INIT = bytes.fromhex(
    "4500006000010000408466170a0000010a0000020001000200000005ac74b516010000280000007b000005dc000a"
    "ffff000000010005000801020304000c000800050006800000040003001500000007000000010000000068656c6c"
    "6f000000"
)


def test_init_and_data_build_as_scapy_does() -> None:
    packet = (
        IP(src="10.0.0.1", dst="10.0.0.2")
        / SCTP(sport=1, dport=2, tag=5)
        / SCTPChunkInit(
            init_tag=123,
            a_rwnd=1500,
            n_out_streams=10,
            n_in_streams=65535,
            init_tsn=1,
            params=[
                SCTPChunkParamIPv4Addr(addr="1.2.3.4"),
                SCTPChunkParamSupportedAddrTypes(addr_type_list=[5, 6]),
                SCTPChunkParamUnknown(type=0x8000),
            ],
        )
        / SCTPChunkData(beginning=1, ending=1, tsn=7, stream_seq=1, data=b"hello")
    )
    assert bytes(packet) == SCAPY_INIT


# scapy 2.8.0's bytes for an INIT with the parameters Linux sends and a few more.
SCAPY_PARAMS = bytes.fromhex(
    "01000078112233440001a000000affff5566778880000004c0000004800800070fc180008002002400010203040506"
    "0708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f8003000680c100008004000800010003000c00080005"
    "000600090008000003e8c006000800000007000b0008686f7374"
)


def init_with_params() -> SCTPChunkInit:
    return SCTPChunkInit(
        init_tag=0x11223344,
        a_rwnd=106496,
        n_out_streams=10,
        n_in_streams=65535,
        init_tsn=0x55667788,
        params=[
            SCTPChunkParamECNCapable(),
            SCTPChunkParamFwdTSN(),
            SCTPChunkParamSupportedExtensions(),
            SCTPChunkParamRandom(random=bytes(range(32))),
            SCTPChunkParamChunkList(chunk_list=[0x80, 0xC1]),
            SCTPChunkParamRequestedHMACFunctions(HMAC_functions_list=[1, 3]),
            SCTPChunkParamSupportedAddrTypes(addr_type_list=["IPv4", "IPv6"]),
            SCTPChunkParamCookiePreservative(sug_cookie_inc=1000),
            SCTPChunkParamAdaptationLayer(indication=7),
            SCTPChunkParamHostname(hostname=b"host"),
        ],
    )


def test_parameters_build_as_scapy_does_and_decode_back() -> None:
    assert bytes(init_with_params()) == SCAPY_PARAMS
    params = SCTPChunkInit.decode(SCAPY_PARAMS).params
    assert [type(param) for param in params] == [type(param) for param in init_with_params().params]
    assert params == init_with_params().params
    assert params[2].supported_extensions == [0x0F, 0xC1, 0x80] and params[6].addr_type_list == [5, 6]


def test_answers_as_scapy_does() -> None:
    init = ip() / SCTP(sport=5000, dport=80) / SCTPChunkInit()
    init_ack = IP(src=DST, dst=SRC) / SCTP(sport=80, dport=5000) / SCTPChunkInitAck()
    abort = IP(src=DST, dst=SRC) / SCTP(sport=81, dport=5000) / SCTPChunkAbort()
    assert init_ack.answers(init) and init < init_ack and init.hashret() == init_ack.hashret()
    assert not abort.answers(init) and not init.answers(init)


def test_checksum_is_crc32c_least_significant_byte_first() -> None:
    wire = bytes(SCTP(sport=7, dport=9, tag=0x01020304) / SCTPChunkCookieAck())
    crc = crc32c(wire[:8] + bytes(4) + wire[12:])
    assert wire[8:12] == crc.to_bytes(4, "little")
    assert SCTP.decode(wire).chksum == int.from_bytes(wire[8:12], "big")  # (as scapy reads it)
    assert bytes(SCTP(chksum=0x1234) / SCTPChunkCookieAck())[8:12] == bytes.fromhex("00001234")


def test_lengths_count_the_value_and_padding_follows() -> None:
    wire = bytes(SCTPChunkData(data=b"abc"))
    assert wire[2:4] == (16 + 3).to_bytes(2, "big") and len(wire) == 20 and wire[-1:] == b"\0"
    # RFC 9260 3.2: a chunk's length counts its parameters' padding, but the last one's
    init = SCTPChunkInit(
        params=[SCTPChunkParamStateCookie(cookie=b"12345"), SCTPChunkParamHostname(hostname=b"ab")]
    )
    assert bytes(init)[2:4] == (20 + 12 + 6).to_bytes(2, "big") and len(bytes(init)) == 40


def test_sack_counts_its_lists() -> None:
    sack = SCTPChunkSACK(cumul_tsn_ack=10, a_rwnd=5, gap_ack_list=["1:2", (4, 5)], dup_tsn_list=[7])
    decoded_sack = SCTPChunkSACK.decode(bytes(sack))
    assert (decoded_sack.n_gap_ack, decoded_sack.n_dup_tsn, decoded_sack.len) == (2, 1, 16 + 12)
    assert decoded_sack.gap_ack_list == ["1:2", "4:5"] and decoded_sack.dup_tsn_list == [7]


CHUNKS: list[Layer] = [
    SCTPChunkData(unordered=1, beginning=1, tsn=99, stream_id=3, stream_seq=4, proto_id=46, data=b"x" * 9),
    SCTPChunkInit(init_tag=1, a_rwnd=65535, n_out_streams=2, n_in_streams=3, init_tsn=4),
    SCTPChunkInitAck(
        init_tag=5,
        a_rwnd=1000,
        n_out_streams=1,
        n_in_streams=1,
        init_tsn=9,
        params=[SCTPChunkParamStateCookie(cookie=b"cookie!"), SCTPChunkParamIPv6Addr(addr="2001:db8::1")],
    ),
    SCTPChunkSACK(cumul_tsn_ack=8, a_rwnd=4096, gap_ack_list=["2:3"], dup_tsn_list=[5, 6]),
    SCTPChunkHeartbeatReq(params=[SCTPChunkParamHeartbeatInfo(data=b"when")]),
    SCTPChunkHeartbeatAck(params=[SCTPChunkParamHeartbeatInfo(data=b"then!")]),
    SCTPChunkAbort(TCB=1, error_causes=bytes.fromhex("000c0004")),
    SCTPChunkShutdown(cumul_tsn_ack=77),
    SCTPChunkShutdownAck(),
    SCTPChunkError(error_causes=bytes.fromhex("00010008000a0000")),
    SCTPChunkCookieEcho(cookie=b"cookie!"),
    SCTPChunkCookieAck(),
    SCTPChunkShutdownComplete(TCB=1),
    SCTPChunkUnknown(type=0xC0, data=b"\0\0\0\x09"),
]


@pytest.mark.parametrize("chunk", CHUNKS, ids=lambda chunk: type(chunk).__name__)
def test_each_chunk_decodes_back(chunk: Layer) -> None:
    packet = ip() / SCTP(sport=5000, dport=5001, tag=42) / chunk
    wire = bytes(packet)
    back = IP.decode(wire)
    assert type(back[SCTP].payload) is type(chunk)
    assert bytes(back) == wire and back.verify() == []
    for field in chunk.fields_desc:
        given = chunk.getfieldval(field.name)
        if given is not None:
            assert back[type(chunk)].getfieldval(field.name) == given, field.name


def test_params_read_as_layers() -> None:
    init = SCTPChunkInit.decode(bytes(CHUNKS[2]))
    cookie, address = init.params
    assert isinstance(cookie, SCTPChunkParamStateCookie) and cookie.cookie == b"cookie!" and cookie.len == 11
    assert isinstance(address, SCTPChunkParamIPv6Addr) and address.addr == "2001:db8::1"


def test_command_rebuilds_the_packet_parameters_included() -> None:
    packet = SCTP(sport=1) / init_with_params() / SCTPChunkSACK(gap_ack_list=["1:3"])
    command = packet.command()
    assert command.startswith("SCTP(sport=1)/SCTPChunkInit(init_tag=287454020, ")
    assert "params=[SCTPChunkParamECNCapable(" in command
    assert bytes(eval(command, vars(rawnet))) == bytes(packet)


def test_unknown_chunk_and_parameter_are_kept_raw() -> None:
    wire = bytes(SCTP() / SCTPChunkUnknown(type=0x99, flags=3, data=b"abcde") / SCTPChunkCookieAck())
    back = SCTP.decode(wire)
    chunk = back[SCTPChunkUnknown]
    assert (chunk.type, chunk.flags, chunk.len, chunk.data) == (0x99, 3, 9, b"abcde")
    assert isinstance(chunk.payload, SCTPChunkCookieAck)
    init = SCTPChunkInit.decode(bytes(SCTPChunkInit(params=[bytes.fromhex("4321000601020000")])))
    (param,) = init.params
    assert isinstance(param, SCTPChunkParamUnknown) and (param.type, param.data) == (0x4321, b"\1\2")


def test_verify_reports_wrong_checksum_and_length() -> None:
    wire = bytearray(bytes(ip() / SCTP() / SCTPChunkData(data=b"abcd")))
    wire[20 + 8] ^= 0xFF
    problems = IP.decode(bytes(wire)).verify()
    assert [(problem.layer, problem.field) for problem in problems] == [("sctp", "chksum")]
    bad_length = ip() / SCTP() / SCTPChunkData(len=19, data=b"abcd")
    assert [(problem.field, problem.expected) for problem in bad_length.verify()] == [("len", 20)]


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "error"),
    [
        (bytes.fromhex("00000000"), MalformedError),  # length 0: it would never advance
        (bytes.fromhex("00000003"), MalformedError),  # under the chunk header
        (bytes.fromhex("0003000c00000000"), TruncatedError),  # past the end
        (bytes.fromhex("00000008") + bytes(4), MalformedError),  # DATA under its 16-byte header
        (bytes.fromhex("03000010") + bytes(8) + bytes.fromhex("0001 0000"), MalformedError),  # gaps past
        (bytes.fromhex("010000180000000100000001000100010000000100050010"), TruncatedError),  # param past
        (bytes.fromhex("010000180000000100000001000100010000000100050002"), MalformedError),  # param < 4
        (b"\x00", TruncatedError),
    ],
)
def test_bad_chunks_raise_a_decode_error(chunks: bytes, error: type[DecodeError]) -> None:
    with pytest.raises(error):
        SCTP.decode(bytes(12) + chunks)
    lenient = SCTP.decode(bytes(12) + chunks, lenient=True)
    assert bytes(lenient) == bytes(12) + chunks


def test_many_chunks_stop_at_the_nesting_limit_and_still_print() -> None:
    packet: Layer = ip() / SCTP(sport=1, dport=2)
    for _ in range(100):
        packet = packet / SCTPChunkCookieAck()
    wire = bytes(packet)
    with pytest.raises(DecodeError):  # (rawnet's bound on nested layers: chunks are layers)
        IP.decode(wire)
    lenient = IP.decode(wire, lenient=True)
    assert bytes(lenient) == wire
    assert summary(lenient).endswith(", (100) [COOKIE ACK] ")


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    try:
        packet = SCTP.decode(data)
    except DecodeError:
        return
    for layer in packet.layers():
        assert isinstance(layer.fields, dict)  # every field reads
    assert len(bytes(packet)) <= len(data) + 3  # (at most the last chunk's padding is added)
    assert summary(ip() / packet)


# -- oracles ------------------------------------------------------------------------------------


@needs_tshark
def test_tshark_decodes_every_chunk_with_the_checksum_good() -> None:
    packets = [Ether() / ip() / SCTP(sport=5000, dport=5001, tag=42) / chunk for chunk in CHUNKS]
    packets.append(Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / SCTP(sport=1, dport=2) / CHUNKS[0])
    packets.append(Ether() / ip() / SCTP(sport=5000, dport=5001) / init_with_params())
    seen = tshark_fields([bytes(packet) for packet in packets])
    for packet, fields in zip(packets, seen, strict=True):
        sctp = packet[SCTP]
        chunk = sctp.payload
        assert fields["sctp.checksum.status"] == ["1"], fields  # good (CRC32c)
        assert fields["sctp.srcport"] == [str(sctp.sport)] and fields["sctp.dstport"] == [str(sctp.dport)]
        assert int(fields["sctp.verification_tag"][0], 16) == sctp.tag
        assert fields["sctp.chunk_type"] == [str(chunk.type)]
        assert fields["sctp.chunk_length"] == [str(SCTP.decode(bytes(sctp)).payload.len)]
        assert not any(key.startswith(("_ws.expert", "_ws.malformed")) for key in fields), fields
    data, init_ack, sack, init = seen[0], seen[2], seen[3], seen[-1]
    assert init["sctp.parameter_type"] == [
        "0x8000",
        "0xc000",
        "0x8008",
        "0x8002",
        "0x8003",
        "0x8004",
        "0x000c",
        "0x0009",
        "0xc006",
        "0x000b",
    ]
    assert init["sctp.parameter_length"] == ["4", "4", "7", "36", "6", "8", "8", "8", "8", "8"]
    assert init["sctp.parameter_cookie_preservative_incr"] == ["1000"]
    assert init["sctp.parameter_supported_address_type"] == ["5", "6"]
    assert data["sctp.data_tsn_raw"] == ["99"] and data["sctp.data_sid"] == ["0x0003"]
    assert data["sctp.data_ssn"] == ["4"] and data["sctp.data_payload_proto_id"] == ["46"]
    assert (data["sctp.data_u_bit"], data["sctp.data_b_bit"], data["sctp.data_e_bit"]) == (
        ["1"],
        ["1"],
        ["0"],
    )
    assert init_ack["sctp.initack_initiate_tag"] == ["0x00000005"] and init_ack["sctp.initack_credit"] == [
        "1000"
    ]
    assert init_ack["sctp.parameter_type"] == ["0x0007", "0x0006"]
    assert init_ack["sctp.parameter_ipv6_address"] == ["2001:db8::1"]
    assert sack["sctp.sack_cumulative_tsn_ack_raw"] == ["8"] and sack["sctp.sack_a_rwnd"] == ["4096"]
    assert sack["sctp.sack_gap_block_start"] == ["2"] and sack["sctp.sack_duplicate_tsn"] == ["5", "6"]


# Packets tcpdump prints in each of its ways: every chunk, several in one packet, short chunks
# ("bogus chunk length"), bad lengths, a header cut short, IPv6, ForCES ports and PPIDs.
ODD: list[Layer] = [
    ip() / SCTP(sport=1, dport=2) / SCTPChunkData(len=12),
    ip() / SCTP(sport=1, dport=2) / SCTPChunkData(len=3),
    ip() / SCTP(sport=1, dport=2) / SCTPChunkInit(len=8),
    ip() / SCTP(sport=1, dport=2) / SCTPChunkSACK(n_gap_ack=3, gap_ack_list=["1:2"]),
    ip() / SCTP(sport=1, dport=2) / SCTPChunkSACK(len=18, n_gap_ack=3, gap_ack_list=["1:2"]),
    ip() / SCTP(sport=1, dport=2) / SCTPChunkCookieEcho(len=70, cookie=b"abc"),
    ip() / SCTP(sport=1, dport=2) / b"\x00\x00",
    ip() / SCTP(sport=1, dport=2),
    ip(proto=132) / Raw(b"\0\1\0\2\0\0"),
    ip() / SCTP(sport=6704, dport=2) / SCTPChunkHeartbeatReq() / SCTPChunkCookieAck(),
    ip()
    / SCTP(sport=1, dport=6706)
    / SCTPChunkData(beginning=1, ending=1, data=b"\x10\x0f\x00\x06" + bytes(20)),
    ip() / SCTP(sport=1, dport=2) / SCTPChunkData(proto_id=21, data=b"\x10\x14\x00\x06" + bytes(20)),
    IPv6(src="::1", dst="::2") / SCTP(sport=1, dport=2) / SCTPChunkCookieAck(),
    ip() / SCTP(sport=1, dport=2) / SCTPChunkUnknown(type=0x40) / SCTPChunkUnknown(type=0xC1),
]


@needs_tcpdump
def test_lines_match_tcpdump(tmp_path: Path) -> None:
    packets = [ip() / SCTP(sport=5000, dport=5001) / chunk for chunk in CHUNKS]
    packets.append(ip() / SCTP(sport=5000, dport=5001) / CHUNKS[0] / CHUNKS[3] / CHUNKS[11])
    # after IPv6 extension headers tcpdump leaves the addresses out of TCP's and UDP's lines, not SCTP's
    packets.append(IPv6(src="::1", dst="::2") / IPv6ExtHdrDestOpt() / SCTP(sport=1, dport=2) / CHUNKS[11])
    packets.append(IPv6(src="::1", dst="::2") / IPv6ExtHdrFragment(m=1) / SCTP(sport=1, dport=2) / CHUNKS[11])
    frames = [bytes(packet) for packet in packets + ODD]
    assert [summary(decoded(frame)) for frame in frames] == tcpdump_of(frames, tmp_path)


@needs_tcpdump
@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_lines_match_tcpdump(tmp_path: Path, verbose: int) -> None:
    packets = [ip() / SCTP(sport=5000, dport=5001) / chunk for chunk in CHUNKS]
    packets.append(ip() / SCTP(sport=5000, dport=5001) / CHUNKS[1] / CHUNKS[0] / CHUNKS[3])
    packets.append(ip() / SCTP(sport=5000, dport=5001) / SCTPChunkData(proto_id=3, data=b"m3"))
    frames = [bytes(packet) for packet in packets + ODD]
    expected = tcpdump_of(frames, tmp_path, "-" + "v" * verbose)
    assert [summary(decoded(frame), verbose) for frame in frames] == expected


@needs_tcpdump
@pytest.mark.parametrize("capture", ["forces1.pcap", "forces2.pcap", "forces3.pcap"])
def test_corpus_lines_match_tcpdump(capture: str) -> None:
    path = CORPUS / capture
    for verbose in (0, 1, 2):
        options = ["-" + "v" * verbose] if verbose else []
        assert [summary(packet, verbose) for packet in PcapReader(path)] == tcpdump_packets(path, *options)


@needs_tcpdump
def test_captures_cut_short_print_as_tcpdump_prints_them(tmp_path: Path) -> None:
    frame = bytes(
        Ether()
        / ip()
        / SCTP(sport=1, dport=6704)
        / SCTPChunkInit(init_tag=1)
        / SCTPChunkData(beginning=1, data=b"\x10\x0f\x00\x06" + bytes(20))
        / SCTPChunkSACK(gap_ack_list=["1:2"], dup_tsn_list=[9])
    )
    path = tmp_path / "cut.pcap"
    write_cut_pcap(path, [(frame, kept) for kept in range(34, len(frame) + 1)])
    for verbose in (0, 1, 2):
        expected = numbered_packets(path, *(["-" + "v" * verbose] if verbose else []))
        assert [summary(packet, verbose) for packet in PcapReader(path)] == expected


@needs_tcpdump
@pytest.mark.parametrize("verbose", [0, 1, 2])
def test_quoted_in_icmp_errors_as_tcpdump_prints_them(tmp_path: Path, verbose: int) -> None:
    inner = bytes(IP(src=DST, dst=SRC) / SCTP(sport=1, dport=2) / SCTPChunkInit(init_tag=5))
    inner6 = bytes(IPv6(src="::2", dst="::1") / SCTP(sport=1, dport=2) / SCTPChunkInit())
    packets: list[Layer] = [ip() / ICMP(type=3, code=2) / inner[:size] for size in (20, 22, 28, 36, 40, 52)]
    packets += [
        IPv6(src="::1", dst="::2") / ICMPv6DestUnreach(code=4) / inner6[:size]
        for size in (40, 44, 52, 60, 72)
    ]
    frames = [bytes(packet) for packet in packets]
    expected = tcpdump_of(frames, tmp_path, *(["-" + "v" * verbose] if verbose else []))
    assert [summary(decoded(frame), verbose) for frame in frames] == expected


_ports = st.integers(0, 65535).filter(lambda port: port not in (6704, 6705, 6706))
_ppids = st.integers(0, 0xFFFFFFFF).filter(lambda ppid: ppid not in (21, 22, 23))
_u32 = st.integers(0, 0xFFFFFFFF)
_chunks = st.one_of(
    st.builds(
        SCTPChunkData,
        unordered=st.integers(0, 1),
        beginning=st.integers(0, 1),
        ending=st.integers(0, 1),
        tsn=_u32,
        stream_id=st.integers(0, 65535),
        stream_seq=st.integers(0, 65535),
        proto_id=_ppids,
        data=st.binary(min_size=1, max_size=20),
    ),
    st.builds(
        SCTPChunkInit,
        init_tag=_u32,
        a_rwnd=_u32,
        n_out_streams=st.integers(0, 65535),
        n_in_streams=st.integers(0, 65535),
        init_tsn=_u32,
    ),
    st.builds(
        SCTPChunkSACK,
        cumul_tsn_ack=_u32,
        a_rwnd=_u32,
        gap_ack_list=st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 65535)), max_size=3),
        dup_tsn_list=st.lists(_u32, max_size=3),
    ),
    st.builds(SCTPChunkShutdown, cumul_tsn_ack=_u32),
    st.builds(SCTPChunkCookieEcho, cookie=st.binary(max_size=9)),
    st.builds(
        SCTPChunkUnknown,
        type=st.integers(0, 255).filter(lambda kind: kind not in LAYERS.table(SCTP_CHUNK)),
        data=st.binary(max_size=6),
    ),
    st.just(SCTPChunkShutdownAck()),
)


@needs_tcpdump
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    packets=st.lists(
        st.tuples(_ports, _ports, _u32, st.lists(_chunks, min_size=1, max_size=3)), min_size=1, max_size=8
    )
)
def test_random_packets_print_as_tcpdump_prints_them(
    tmp_path: Path, packets: list[tuple[int, int, int, list[Layer]]]
) -> None:
    frames = []
    for sport, dport, tag, chunks in packets:
        packet: Layer = ip() / SCTP(sport=sport, dport=dport, tag=tag)
        for chunk in chunks:
            packet = packet / chunk
        frames.append(bytes(packet))
    assert [summary(decoded(frame)) for frame in frames] == tcpdump_of(frames, tmp_path)
    for frame in frames:
        assert bytes(IP.decode(frame)) == frame


def test_sctp_alone_has_a_line() -> None:
    assert summary(SCTP(sport=1, dport=2) / SCTPChunkCookieAck()).startswith("SCTP ?.1 > ?.2: sctp")
