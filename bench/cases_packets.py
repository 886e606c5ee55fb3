"""Packet cases of the benchmark: build, change-and-rebuild, decode; one small function per tool.

Every tool gets the same packet, with each field that the tools default differently (IP id and
TTL, TCP ack and window) set explicitly, and each case checks that all tools give the same result
before anything is timed. Peers take what they take naturally: rawnet, scapy and impacket get
addresses as text, dpkt and the struct baseline get them as bytes (converted once, outside the
loop), which only flatters the peers.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness import Op

# The packet, the same for every tool.
ETH_SRC = "02:00:00:00:00:01"
ETH_DST = "02:00:00:00:00:02"
IP_SRC = "198.18.0.1"
IP_DST = "198.18.0.2"
IP_ID = 1
IP_TTL = 64
SPORT = 55968
DPORT = 80
SEQ = 1
ACK = 1
FLAGS = "PA"
FLAG_BITS = 0x18  # PSH | ACK
WINDOW = 64
PAYLOAD = bytes(range(64))

#: The frame every tool must build. tshark 4.x decodes it as Ether / IPv4 (id 1, TTL 64,
#: header checksum 0xee67 [correct]) / TCP 55968 > 80 [PSH, ACK] seq 1 ack 1 win 64
#: (checksum 0x642e [correct]) / 64 bytes 00 01 .. 3f.
GOLDEN = bytes.fromhex(
    "020000000002020000000001080045000068000100004006ee67c6120001c6120002"
    "daa00050000000010000000150180040642e0000"
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
)

#: A sequence number used to check that a rebuild really recomputes the checksums.
CHECK_SEQ = 0x89ABCDEF

# Field values as bytes, for the tools that want bytes.
_ETH_SRC_BYTES = bytes.fromhex(ETH_SRC.replace(":", ""))
_ETH_DST_BYTES = bytes.fromhex(ETH_DST.replace(":", ""))
_IP_SRC_BYTES = socket.inet_aton(IP_SRC)
_IP_DST_BYTES = socket.inet_aton(IP_DST)

ETHERTYPE_IPV4 = 0x0800
IPPROTO_TCP = 6
TOOLS = ("rawnet", "scapy", "dpkt", "impacket", "struct")


@dataclass(frozen=True)
class Target:
    """A goal of the issue: rawnet's rate at least ``minimum`` times ``peer``'s."""

    peer: str
    minimum: float
    text: str


#: The targets: the packet core's (at least 5x dpkt for a build and a decode, strict or lenient,
#: and 10x for a rebuild), and the first issue's floor (never below a third of hand-written struct).
STRUCT_FLOOR = Target("struct", 1 / 3, "at least 1/3 of struct")
TARGETS = (Target("dpkt", 5.0, "at least 5x dpkt"), STRUCT_FLOOR)
REBUILD_TARGETS = (Target("dpkt", 10.0, "at least 10x dpkt"), STRUCT_FLOOR)


@dataclass(frozen=True)
class Case:
    """One kind of work: a factory per tool making its op, and a check that all ops agree."""

    key: str
    title: str
    factories: Mapping[str, Callable[[], Op]]
    check: Callable[[Mapping[str, Op]], None]
    targets: tuple[Target, ...] = field(default=TARGETS)


def checksums_valid(frame: bytes) -> bool:
    """Whether the IPv4 header and TCP checksums of an Ether/IPv4(no options)/TCP frame add up."""
    ip_header = frame[14:34]
    segment = frame[34:]
    pseudo = _IP_PSEUDO.pack(frame[26:30], frame[30:34], IPPROTO_TCP, len(segment))
    # One's complement sum of all words (checksum included) is 0xFFFF, i.e. 0 modulo 0xFFFF.
    return int.from_bytes(ip_header, "big") % 0xFFFF == 0 == int.from_bytes(pseudo + segment, "big") % 0xFFFF


def _expect(ops: Mapping[str, Op], argument: int, expected: Any, what: str) -> None:
    for tool, op in ops.items():
        got = op(argument)
        if got != expected:
            raise AssertionError(f"{what}: {tool} gave {got!r}, expected {expected!r}")


# --- 1. build a fresh packet ------------------------------------------------------------------


def build_rawnet() -> Op:
    from rawnet import IP, TCP, Ether

    def op(_: int) -> bytes:
        return bytes(
            Ether(src=ETH_SRC, dst=ETH_DST)
            / IP(src=IP_SRC, dst=IP_DST, id=IP_ID, ttl=IP_TTL)
            / TCP(sport=SPORT, dport=DPORT, seq=SEQ, ack=ACK, flags=FLAGS, window=WINDOW)
            / PAYLOAD
        )

    return op


def build_rawnet_stack() -> Op:
    from rawnet import IP, TCP, Ether, stack

    def op(_: int) -> bytes:
        return bytes(
            stack(
                Ether(src=ETH_SRC, dst=ETH_DST),
                IP(src=IP_SRC, dst=IP_DST, id=IP_ID, ttl=IP_TTL),
                TCP(sport=SPORT, dport=DPORT, seq=SEQ, ack=ACK, flags=FLAGS, window=WINDOW),
                PAYLOAD,
            )
        )

    return op


def build_scapy() -> Op:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    def op(_: int) -> bytes:
        return bytes(
            Ether(src=ETH_SRC, dst=ETH_DST)
            / IP(src=IP_SRC, dst=IP_DST, id=IP_ID, ttl=IP_TTL)
            / TCP(sport=SPORT, dport=DPORT, seq=SEQ, ack=ACK, flags=FLAGS, window=WINDOW)
            / PAYLOAD
        )

    return op


def _dpkt_packet(seq: int) -> Any:
    from dpkt.ethernet import Ethernet
    from dpkt.ip import IP
    from dpkt.tcp import TCP

    segment = TCP(sport=SPORT, dport=DPORT, seq=seq, ack=ACK, flags=FLAG_BITS, win=WINDOW, data=PAYLOAD)
    datagram = IP(src=_IP_SRC_BYTES, dst=_IP_DST_BYTES, id=IP_ID, ttl=IP_TTL, p=IPPROTO_TCP, data=segment)
    return Ethernet(src=_ETH_SRC_BYTES, dst=_ETH_DST_BYTES, type=ETHERTYPE_IPV4, data=datagram)


def build_dpkt() -> Op:
    import dpkt  # noqa: F401 - fail here, not inside the timed loop, when dpkt is missing

    def op(_: int) -> bytes:
        return bytes(_dpkt_packet(SEQ))

    return op


def _impacket_packet(seq: int) -> Any:
    from impacket.ImpactPacket import IP, TCP, Data, Ethernet

    frame = Ethernet()
    frame.set_ether_shost(_ETH_SRC_BYTES)
    frame.set_ether_dhost(_ETH_DST_BYTES)
    datagram = IP()
    datagram.set_ip_src(IP_SRC)
    datagram.set_ip_dst(IP_DST)
    datagram.set_ip_id(IP_ID)
    datagram.set_ip_ttl(IP_TTL)
    segment = TCP()
    segment.set_th_sport(SPORT)
    segment.set_th_dport(DPORT)
    segment.set_th_seq(seq)
    segment.set_th_ack(ACK)
    segment.set_th_flags(FLAG_BITS)
    segment.set_th_win(WINDOW)
    segment.contains(Data(PAYLOAD))
    datagram.contains(segment)
    frame.contains(datagram)
    return frame


def build_impacket() -> Op:
    import impacket.ImpactPacket  # noqa: F401 - fail here, not inside the timed loop

    def op(_: int) -> bytes:
        return _impacket_packet(SEQ).get_packet()

    return op


# The struct baseline: what a careful programmer writes by hand for exactly this packet.
_FRAME = struct.Struct("!6s6sH BBHHHBBH4s4s HHIIBBHHH")  # Ether, IPv4 without options, TCP
_IP_PSEUDO = struct.Struct("!4s4sxBH")
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_IP_START, _IP_CHECKSUM, _TCP_START, _TCP_SEQ, _TCP_CHECKSUM = 14, 24, 34, 38, 50


def _struct_frame(seq: int) -> bytearray:
    """The frame with both checksums filled in, one's complement sums done in pure Python."""
    segment_length = 20 + len(PAYLOAD)
    # fmt: off
    frame = bytearray(_FRAME.pack(
        _ETH_DST_BYTES, _ETH_SRC_BYTES, ETHERTYPE_IPV4,
        0x45, 0, 20 + segment_length, IP_ID, 0, IP_TTL, IPPROTO_TCP, 0, _IP_SRC_BYTES, _IP_DST_BYTES,
        SPORT, DPORT, seq, ACK, 5 << 4, FLAG_BITS, WINDOW, 0, 0,
    ))
    # fmt: on
    frame += PAYLOAD
    _fill_checksums(frame, segment_length)
    return frame


def _fill_checksums(frame: bytearray, segment_length: int) -> None:
    # int.from_bytes(data) % 0xFFFF is the one's complement sum of the 16-bit words (2**16 = 1
    # modulo 0xFFFF); its negation modulo 0xFFFF is the checksum (RFC 1071), 0 for a sum of 0xFFFF.
    # Even lengths only (an odd one would need a zero byte appended): true of this frame.
    ip_sum = int.from_bytes(frame[_IP_START:_TCP_START], "big")
    _U16.pack_into(frame, _IP_CHECKSUM, -ip_sum % 0xFFFF)
    pseudo = _IP_PSEUDO.pack(_IP_SRC_BYTES, _IP_DST_BYTES, IPPROTO_TCP, segment_length)
    tcp_sum = int.from_bytes(pseudo, "big") + int.from_bytes(frame[_TCP_START:], "big")
    _U16.pack_into(frame, _TCP_CHECKSUM, -tcp_sum % 0xFFFF)


def build_struct() -> Op:
    def op(_: int) -> bytes:
        return bytes(_struct_frame(SEQ))

    return op


def _check_build(ops: Mapping[str, Op]) -> None:
    _expect(ops, 0, GOLDEN, "build")


BUILD = Case(
    "build",
    "build Ether/IPv4/TCP(PA)/64 B, checksums computed, fresh objects",
    {
        "rawnet": build_rawnet,
        "scapy": build_scapy,
        "dpkt": build_dpkt,
        "impacket": build_impacket,
        "struct": build_struct,
    },
    _check_build,
)


# --- 2. change the TCP seq of an existing packet and rebuild it -------------------------------
# Each tool starts from a packet that was already serialised once (as one that has been sent),
# so that a tool caching or freezing its checksums would be caught by the check.


def rebuild_rawnet() -> Op:
    from rawnet import IP, TCP, Ether

    packet = (
        Ether(src=ETH_SRC, dst=ETH_DST)
        / IP(src=IP_SRC, dst=IP_DST, id=IP_ID, ttl=IP_TTL)
        / TCP(sport=SPORT, dport=DPORT, seq=SEQ, ack=ACK, flags=FLAGS, window=WINDOW)
        / PAYLOAD
    )
    bytes(packet)
    segment = packet[TCP]

    def op(seq: int) -> bytes:
        segment.seq = seq
        return bytes(packet)

    return op


def rebuild_scapy() -> Op:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    # chksum left None: scapy computes it into the output at every build, never into the field.
    packet = (
        Ether(src=ETH_SRC, dst=ETH_DST)
        / IP(src=IP_SRC, dst=IP_DST, id=IP_ID, ttl=IP_TTL)
        / TCP(sport=SPORT, dport=DPORT, seq=SEQ, ack=ACK, flags=FLAGS, window=WINDOW)
        / PAYLOAD
    )
    bytes(packet)
    segment = packet[TCP]

    def op(seq: int) -> bytes:
        segment.seq = seq
        return bytes(packet)

    return op


def rebuild_dpkt() -> Op:
    frame = _dpkt_packet(SEQ)
    bytes(frame)
    datagram = frame.data
    segment = datagram.data

    def op(seq: int) -> bytes:
        segment.seq = seq
        # dpkt writes the checksums it computes back into the fields and computes only zeroes.
        segment.sum = 0
        datagram.sum = 0
        return bytes(frame)

    return op


def rebuild_impacket() -> Op:
    frame = _impacket_packet(SEQ)
    frame.get_packet()
    datagram = frame.child()
    segment = datagram.child()

    def op(seq: int) -> bytes:
        segment.set_th_seq(seq)
        # get_packet() turns automatic checksums off once it has filled them in.
        datagram.auto_checksum = 1
        segment.auto_checksum = 1
        return frame.get_packet()

    return op


def rebuild_struct() -> Op:
    frame = _struct_frame(SEQ)
    segment_length = len(frame) - _TCP_START

    def op(seq: int) -> bytes:
        _U32.pack_into(frame, _TCP_SEQ, seq)
        frame[_IP_CHECKSUM : _IP_CHECKSUM + 2] = frame[_TCP_CHECKSUM : _TCP_CHECKSUM + 2] = b"\0\0"
        _fill_checksums(frame, segment_length)
        return bytes(frame)

    return op


def _check_rebuild(ops: Mapping[str, Op]) -> None:
    changed = {tool: op(CHECK_SEQ) for tool, op in ops.items()}
    for tool, frame in changed.items():
        if not checksums_valid(frame) or frame != changed["struct"]:
            raise AssertionError(f"rebuild: {tool} gave {frame.hex()}, expected {changed['struct'].hex()}")
    if _U32.unpack_from(changed["struct"], _TCP_SEQ)[0] != CHECK_SEQ:
        raise AssertionError("rebuild: the struct baseline did not set the sequence number")
    _expect(ops, SEQ, GOLDEN, "rebuild back to the first seq")


REBUILD = Case(
    "rebuild",
    "change TCP seq on an existing packet and rebuild it, checksums recomputed",
    {
        "rawnet": rebuild_rawnet,
        "scapy": rebuild_scapy,
        "dpkt": rebuild_dpkt,
        "impacket": rebuild_impacket,
        "struct": rebuild_struct,
    },
    _check_rebuild,
    REBUILD_TARGETS,
)


# --- 3. decode, read IP src as text and TCP dport ---------------------------------------------


def decode_rawnet() -> Op:
    from rawnet import IP, TCP, Ether

    def op(_: int) -> tuple[str, int]:
        packet = Ether.decode(GOLDEN)
        return packet[IP].src, packet[TCP].dport

    return op


def decode_rawnet_lenient() -> Op:
    from rawnet import IP, TCP, Ether

    def op(_: int) -> tuple[str, int]:
        packet = Ether.decode(GOLDEN, lenient=True)
        return packet[IP].src, packet[TCP].dport

    return op


def decode_scapy() -> Op:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether

    def op(_: int) -> tuple[str, int]:
        packet = Ether(GOLDEN)
        return packet[IP].src, packet[TCP].dport

    return op


def decode_dpkt() -> Op:
    from dpkt.ethernet import Ethernet

    inet_ntoa = socket.inet_ntoa

    def op(_: int) -> tuple[str, int]:
        datagram = Ethernet(GOLDEN).data
        return inet_ntoa(datagram.src), datagram.data.dport

    return op


def decode_impacket() -> Op:
    from impacket.ImpactDecoder import EthDecoder

    decoder = EthDecoder()

    def op(_: int) -> tuple[str, int]:
        datagram = decoder.decode(GOLDEN).child()
        return datagram.get_ip_src(), datagram.child().get_th_dport()

    return op


def decode_struct() -> Op:
    inet_ntoa = socket.inet_ntoa
    unpack_u16 = _U16.unpack_from

    def op(_: int) -> tuple[str, int]:
        frame = GOLDEN
        if len(frame) < _TCP_START or unpack_u16(frame, 12)[0] != ETHERTYPE_IPV4:
            raise ValueError("not an IPv4 frame")
        version_ihl = frame[_IP_START]
        tcp_start = _IP_START + (version_ihl & 0x0F) * 4
        if version_ihl >> 4 != 4 or frame[_IP_START + 9] != IPPROTO_TCP or len(frame) < tcp_start + 20:
            raise ValueError("not a whole IPv4/TCP header")
        return inet_ntoa(frame[26:30]), unpack_u16(frame, tcp_start + 2)[0]

    return op


def _check_decode(ops: Mapping[str, Op]) -> None:
    _expect(ops, 0, (IP_SRC, DPORT), "decode")


DECODE = Case(
    "decode",
    "decode the frame, read IP src (as text) and TCP dport",
    {
        "rawnet": decode_rawnet,
        "scapy": decode_scapy,
        "dpkt": decode_dpkt,
        "impacket": decode_impacket,
        "struct": decode_struct,
    },
    _check_decode,
)

# The same work with rawnet's other ways of doing it (its peers do it as in the cases above).
BUILD_STACK = Case(
    "build-stack",
    "the build case with stack(Ether(...), IP(...), TCP(...), payload) for the /s",
    {**BUILD.factories, "rawnet": build_rawnet_stack},
    _check_build,
)
DECODE_LENIENT = Case(
    "decode-lenient",
    "the decode case with Ether.decode(frame, lenient=True) (peers: their only decode)",
    {**DECODE.factories, "rawnet": decode_rawnet_lenient},
    _check_decode,
)

CASES = (BUILD, BUILD_STACK, REBUILD, DECODE, DECODE_LENIENT)
