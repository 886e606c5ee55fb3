"""Which reply answers which probe: the rules sr(), srp() and the probe commands share.

Pure logic on decoded packets (no sockets): a reply answers a probe by protocol (ICMP echo id
and seq, TCP ports and sequence numbers, UDP and SCTP ports, the target of a neighbour advertisement,
ARP's addresses), and an ICMP or ICMPv6 error answers the datagram it quotes (its addresses,
protocol, IPv4 id and first transport bytes: ports, echo id and seq). Each rule says why a
candidate does not match, for sr()'s debug output. probe_key and reply_keys sort both sides
into buckets (scapy's hashret idea), so that a reply is compared with the few probes it could
answer: a reply answering a probe by these rules always shares its key.
"""

from __future__ import annotations

import struct
from collections.abc import Hashable
from typing import Any

from rawnet.errors import RawnetError
from rawnet.wire import (
    ARP,
    ICMP,
    IP,
    SCTP,
    TCP,
    UDP,
    ICMPv6,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
    Layer,
    Raw,
)

_ICMP_ERRORS = (3, 4, 5, 11, 12)
_ICMPV6_ERRORS = (1, 2, 3, 4)
_TCP_SYN, _TCP_FIN, _TCP_RST, _TCP_ACK = 0x02, 0x01, 0x04, 0x10
_EXTENSIONS = (
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
    IPv6ExtHdrFragment,
)
_TCP, _UDP, _ICMP, _ICMPV6, _SCTP = 6, 17, 1, 58, 132
_ECHO_REQUEST, _ECHOV6_REQUEST = 8, 128
_ECHO_REPLY, _ECHOV6_REPLY = 0, 129


def network_layer(packet: Layer) -> Layer:
    """The IP or IPv6 layer of ``packet`` (a RawnetError when it has none)."""
    for layer in packet.layers():
        if isinstance(layer, IP | IPv6):
            return layer
    raise RawnetError("sr() and send() work at layer 3: the packet needs an IP or IPv6 layer")


def answers(reply: Layer, probe: Layer, *, any_source: bool = False) -> str:
    """'' when ``reply`` answers ``probe``, else why not (sr's debug explains rejections with it).

    ``any_source``: a reply may come from another address than the probe's destination (a probe
    sent to a broadcast address is answered by the hosts that heard it: ping -b).
    """
    sent, got = network_layer(probe), network_layer(reply)
    if isinstance(sent, IPv6) is not isinstance(got, IPv6):
        return "not the probe's IP version"
    error = quoted_datagram(got)
    if error is not None:  # an ICMP error: it answers the probe it quotes
        return _quotes(network_layer(error), sent)
    if ICMPv6ND_NS in probe:  # sent to a multicast group: the advertisement names the target
        if ICMPv6ND_NA not in reply:
            return "not a neighbour advertisement"
        return "" if reply[ICMPv6ND_NA].tgt == probe[ICMPv6ND_NS].tgt else "about another target"
    if got.src != sent.dst and not any_source:  # type: ignore[attr-defined]
        return f"from {got.src}, the probe went to {sent.dst}"  # type: ignore[attr-defined]
    if TCP in probe:
        if TCP not in reply:
            return "not TCP"
        a, b = probe[TCP], reply[TCP]
        if (b.sport, b.dport) != (a.dport, a.sport):
            return "other TCP ports"
        return _tcp_answers(b, a)
    if UDP in probe:
        if UDP not in reply:
            return "not UDP"
        a2, b2 = probe[UDP], reply[UDP]
        return "" if (b2.sport, b2.dport) == (a2.dport, a2.sport) else "other UDP ports"
    if SCTP in probe:  # (scapy's SCTP.answers: the ports swapped, whatever the chunks)
        if SCTP not in reply:
            return "not SCTP"
        a5, b5 = probe[SCTP], reply[SCTP]
        return "" if (b5.sport, b5.dport) == (a5.dport, a5.sport) else "other SCTP ports"
    if ICMP in probe and probe[ICMP].type == 8:
        if ICMP not in reply or reply[ICMP].type != 0:
            return "not an ICMP echo reply"
        a3, b3 = probe[ICMP], reply[ICMP]
        return "" if (a3.id, a3.seq) == (b3.id, b3.seq) else "another echo's id or seq"
    if ICMPv6EchoRequest in probe:
        if ICMPv6EchoReply not in reply:
            return "not an ICMPv6 echo reply"
        a4, b4 = probe[ICMPv6EchoRequest], reply[ICMPv6EchoReply]
        return "" if (a4.id, a4.seq) == (b4.id, b4.seq) else "another echo's id or seq"
    return "no rule matches this protocol"


def _tcp_answers(reply: Any, probe: Any) -> str:
    """'' when the segment ``reply`` answers ``probe`` by its sequence numbers (RFC 9293 3.10.7).

    An ACK must acknowledge a point of the probe's sequence space (its seq up to the end of its
    data, SYN and FIN); a RST without ACK answers a probe with ACK by carrying the probe's ack.
    """
    flags, sent = int(reply.flags), int(probe.flags)
    if flags & _TCP_ACK:
        seq = probe.seq
        span = len(probe._build_payload(None)) + bool(sent & _TCP_SYN) + bool(sent & _TCP_FIN)
        if (reply.ack - seq) % 2**32 > span:
            return f"ack {reply.ack} is outside the probe's seq {seq}..{(seq + span) % 2**32}"
        return ""
    if flags & _TCP_RST:
        if sent & _TCP_ACK and reply.seq != probe.ack:
            return f"a RST with seq {reply.seq}, not the probe's ack {probe.ack}"
        return ""
    return "neither ACK nor RST"


def _quotes(quoted: Any, sent: Any) -> str:
    """'' when the datagram an ICMP error quotes is the probe ``sent``, else why not."""
    if isinstance(quoted, IPv6) is not isinstance(sent, IPv6):  # (a quote is an IPerror or IPerror6)
        return "the ICMP error quotes another IP version"
    if (quoted.src, quoted.dst) != (sent.src, sent.dst):
        return "the ICMP error quotes another datagram"
    if isinstance(sent, IP):
        if quoted.proto != sent.proto:
            return f"the ICMP error quotes protocol {int(quoted.proto)}, the probe is {int(sent.proto)}"
        if sent.id and quoted.id != sent.id:  # (id 0: the kernel picked one, raw(7))
            return f"the ICMP error quotes IP id {quoted.id}, the probe has {sent.id}"
    elif quoted.nh != sent.nh:
        return f"the ICMP error quotes next header {int(quoted.nh)}, the probe has {int(sent.nh)}"
    head, original = _transport_head(quoted), _transport_head(sent)
    return "" if head[: len(original)] == original[: len(head)] else "the quoted transport header differs"


def _transport_head(network: Layer) -> bytes:
    """The first 8 bytes after the IP header, as built (what an ICMP error quotes at least)."""
    wire = bytes(network)
    start = (wire[0] & 15) * 4 if isinstance(network, IP) else 40
    return wire[start : start + 8]


def quoted_datagram(reply: Layer) -> Layer | None:
    """The datagram an ICMP or ICMPv6 error quotes, or None."""
    if ICMP in reply and reply[ICMP].type in _ICMP_ERRORS:
        return reply[ICMP].payload
    if ICMPv6 in reply and reply[ICMPv6].type in _ICMPV6_ERRORS:
        return reply[ICMPv6].payload
    return None


def answers_frame(reply: Layer, probe: Layer) -> str:
    """'' when ``reply`` answers ``probe`` at layer 2 (ARP, or whatever their IP layers say)."""
    if ARP in probe:
        if ARP not in reply:
            return "not ARP"
        asked, told = probe[ARP], reply[ARP]
        if int(told.op) != 2:
            return "not an ARP reply"
        return "" if told.psrc == asked.pdst else f"about {told.psrc}, not {asked.pdst}"
    return answers(reply, probe)


# -- buckets ----------------------------------------------------------------------------------------


def probe_key(probe: Layer) -> Hashable | None:
    """The bucket of replies that may answer ``probe`` (None: any reply may; compare them all)."""
    try:
        if ARP in probe:
            return "arp", str(probe[ARP].pdst)
        return _datagram_key(network_layer(probe))
    except (RawnetError, IndexError, AttributeError, ValueError, TypeError):
        return None


def reply_keys(reply: Layer) -> tuple[Hashable, ...]:
    """The buckets of the probes ``reply`` may answer (by the rules of answers and answers_frame)."""
    try:
        quoted = quoted_datagram(reply)
        if quoted is not None:
            return (_datagram_key(network_layer(quoted)),)
        keys: list[Hashable] = []
        for layer in reply.layers():
            if isinstance(layer, TCP | UDP | SCTP):
                keys.append(("port", _ported(layer), layer.dport, layer.sport))
            elif isinstance(layer, ICMP) and layer.type == 0:
                keys.append(("echo", _ICMP, layer.id, layer.seq))
            elif isinstance(layer, ICMPv6EchoReply):
                keys.append(("echo", _ICMPV6, layer.id, layer.seq))
            elif isinstance(layer, ICMPv6ND_NA):
                keys.append(("nd", str(layer.tgt)))
            elif isinstance(layer, ARP):
                keys.append(("arp", str(layer.psrc)))
        return tuple(keys)
    except (RawnetError, IndexError, AttributeError, ValueError, TypeError):
        return ()


def wire_probe_key(wire: bytes) -> Hashable | None:
    """probe_key of a network packet given as its bytes, read from them when it is an unfragmented
    echo request (IPv4 ICMP, or IPv6 ICMPv6 without extension headers); None for anything else
    (build the packet and ask probe_key)."""
    found = _echo_in(wire, _ECHO_REQUEST, _ECHOV6_REQUEST)
    return None if found is None else found[0]


def wire_destination(wire: bytes) -> bytes:
    """The destination address's bytes of a network packet given as bytes (IPv4 or IPv6)."""
    return wire[16:20] if wire[0] >> 4 == 4 else wire[24:40]


def echo_reply_key(data: bytes) -> tuple[Hashable, bytes] | None:
    """The bucket (reply_keys' only one) and the source address's bytes of a network packet that is
    an unfragmented echo reply (IPv4 with a plain 20-byte header, or IPv6 without extension
    headers), read from its bytes without decoding it; None for anything else (decode it)."""
    return _echo_in(data, _ECHO_REPLY, _ECHOV6_REPLY)


def _echo_in(data: bytes, icmp_type: int, icmpv6_type: int) -> tuple[Hashable, bytes] | None:
    """(("echo", protocol, id, seq), source address) of an echo message of ``icmp_type`` (IPv4) or
    ``icmpv6_type`` (IPv6) whose headers the decoders read the same way; else None."""
    size = len(data)
    if size >= _ECHO_V4.size and data[0] == _V4_NO_OPTIONS:
        _, total, fragment, protocol, source, kind, ident, seq = _ECHO_V4.unpack_from(data)
        # ICMP, not a fragment (MF and the offset clear), the echo header within the total length
        if (
            protocol == _ICMP
            and not fragment & _MF_OFFSET
            and kind == icmp_type
            and _ECHO_V4.size <= total <= size
        ):
            return ("echo", _ICMP, ident, seq), source
        return None
    if size >= _ECHO_V6.size and data[0] >> 4 == 6:
        _, length, protocol, source, kind, ident, seq = _ECHO_V6.unpack_from(data)
        # ICMPv6 right after the header, the echo header within the payload length
        if (
            protocol == _ICMPV6
            and kind == icmpv6_type
            and _ECHO_V6.size - _IPV6_HEADER <= length <= size - _IPV6_HEADER
        ):
            return ("echo", _ICMPV6, ident, seq), source
    return None


#: An IPv4 header without options and an ICMP echo: version and IHL, total length, flags and
#: fragment offset, protocol, source; type, id, seq.
_ECHO_V4 = struct.Struct("!BxH2xHxB2x4s4xB3xHH")
_V4_NO_OPTIONS = 0x45
_MF_OFFSET = 0x3FFF
#: An IPv6 header and an ICMPv6 echo: version (high nibble), payload length, next header,
#: source; type, id, seq.
_ECHO_V6 = struct.Struct("!B3xHBx16s16xB3xHH")
_IPV6_HEADER = 40


def fragment_key(packet: Layer) -> Hashable | None:
    """The datagram an IP fragment belongs to (RFC 791's and RFC 8200's reassembly keys: family,
    source, destination, protocol (IPv4) and identification), or None when ``packet`` begins
    with an IP or IPv6 header that is no fragment (or with neither)."""
    if isinstance(packet, IP):
        if int(packet.flags) & 1 or packet.frag:
            return "ipv4", str(packet.src), str(packet.dst), int(packet.proto), int(packet.id)
        return None
    if isinstance(packet, IPv6) and packet.nh in _MAY_FRAGMENT:
        header = packet.getlayer(IPv6ExtHdrFragment)
        if header is not None:
            return "ipv6", str(packet.src), str(packet.dst), int(header.id)
    return None


#: Next headers after which an IPv6 Fragment header may follow (itself, Hop-by-Hop, Routing,
#: Destination Options).
_MAY_FRAGMENT = frozenset((44, 0, 43, 60))


def _datagram_key(network: Layer) -> Hashable | None:
    """A datagram's bucket: its transport ports, echo id and seq, ND target, else its protocol.

    The same for a probe and for its copy quoted in an ICMP error, which often holds only the
    first 8 bytes of the transport header (then read from the bytes).
    """
    protocol, upper = _upper_layer(network)
    if isinstance(upper, TCP | UDP | SCTP):
        return "port", _ported(upper), upper.sport, upper.dport
    if isinstance(upper, ICMP) and upper.type == _ECHO_REQUEST:
        return "echo", _ICMP, upper.id, upper.seq
    if isinstance(upper, ICMPv6EchoRequest):
        return "echo", _ICMPV6, upper.id, upper.seq
    if isinstance(upper, ICMPv6ND_NS):
        return "nd", str(upper.tgt)
    if isinstance(upper, Raw):  # a transport header cut short (a quote of 8 bytes)
        head = bytes(upper.load)
        if protocol in (_TCP, _UDP, _SCTP) and len(head) >= 4:
            return "port", protocol, int.from_bytes(head[:2], "big"), int.from_bytes(head[2:4], "big")
        echo = {_ICMP: _ECHO_REQUEST, _ICMPV6: _ECHOV6_REQUEST}.get(protocol or 0)
        if echo is not None and len(head) >= 8 and head[0] == echo:
            return "echo", protocol, int.from_bytes(head[4:6], "big"), int.from_bytes(head[6:8], "big")
    return None if protocol is None else ("proto", protocol)  # (None: compared with every reply)


def _ported(transport: Layer) -> int:
    """The protocol number of a transport whose replies match by ports (a quote's TCPerror is TCP)."""
    return _TCP if isinstance(transport, TCP) else _UDP if isinstance(transport, UDP) else _SCTP


def _upper_layer(network: Any) -> tuple[int | None, Layer | None]:
    """The upper-layer protocol number of a datagram (after IPv6 extension headers; None when an
    extension header leaves it to be computed) and its layer."""
    protocol = network.proto if isinstance(network, IP) else network.nh
    upper = network.payload
    while isinstance(upper, _EXTENSIONS):
        protocol = upper.nh
        upper = upper.payload
    return None if protocol is None else int(protocol), upper
