"""Routing protocols' one-line text as tcpdump prints it without -v: BGP (TCP port 179;
print-bgp.c), LDP (UDP port 646; print-ldp.c), sFlow (UDP port 6343; print-sflow.c)."""

from __future__ import annotations

import socket

from rawnet.wire.printers import About, Cut, Decline, number, take


def bgp(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "BGP" after a TCP segment's length (its messages are shown from -v)."""
    words.append("BGP")


_LDP_HEADERS = 18  # (a PDU header and a message header: less than that is not read)
_LDP_COMMON = 10


def ldp(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "LDP, Label-Space-ID: 10.0.0.1:0, pdu-length: 38" (the first PDU only)."""
    if length <= _LDP_HEADERS:
        return
    version = number(data, 0, 2)
    if version != 1:
        words.append(f"LDP version {version} packet not supported")
        return
    pdu_length = number(data, 2, 2)
    if pdu_length < _LDP_COMMON - 4:
        words.append(f"LDP, pdu-length: {pdu_length} (too short, < {_LDP_COMMON - 4})")
        return
    lsr = socket.inet_ntoa(take(data, 4, 4))
    words.append(f"LDP, Label-Space-ID: {lsr}:{number(data, 8, 2)}, pdu-length: {pdu_length}")


_SFLOW_HEADER = 28


def sflow(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "sFlowv5, IPv4 agent 15.184.8.4, agent-id 2, length 1288"."""
    version, family = number(data, 0, 4), number(data, 4, 4)
    needed = _SFLOW_HEADER if family == 1 else _SFLOW_HEADER + 12  # (an IPv6 agent's 12 more bytes)
    if family not in (1, 2):
        take(data, 0, _SFLOW_HEADER)
    if length < needed:  # (sic: tcpdump shows the IPv4 header's size)
        words.append(f"sFlowv{version} [length {length} < {_SFLOW_HEADER}] (invalid)")
        return
    take(data, 0, needed)
    if version != 5:
        words.append(f"sFlow version {version} packet not supported")
        return
    if family == 1:
        agent, at, name = socket.inet_ntoa(take(data, 8, 4)), 12, "IPv4"
    else:
        agent, at, name = socket.inet_ntop(socket.AF_INET6, take(data, 8, 16)), 24, "IPv6"
    words.append(f"sFlowv{version}, {name} agent {agent}, agent-id {number(data, at, 4)}, length {length}")


_EIGRP_HEADER = 20
_EIGRP_OPCODES = {1: "Update", 3: "Query", 4: "Reply", 5: "Hello", 6: "IPX SAP", 7: "Probe"}


def eigrp(words: list[str], data: bytes, length: int, about: About) -> None:
    """EIGRP (IP protocol 88; print-eigrp.c): "EIGRP Hello, length: 40"."""
    take(data, 0, _EIGRP_HEADER)
    version, opcode = data[0], data[1]
    if version != 2:
        words.append(f"EIGRP version {version} packet not supported")
        return
    words.append(f"EIGRP {_EIGRP_OPCODES.get(opcode, f'unknown ({opcode})')}, length: {length}")


_RIP_HEADER = 4
_RIP_COMMANDS = {1: "Request", 2: "Response", 3: "Trace on", 4: "Trace off", 5: "Poll", 6: "Poll Entry"}


def rip(words: list[str], data: bytes, length: int, about: About) -> None:
    """RIP (UDP port 520; print-rip.c): "RIPv2, Response, length: 44"."""
    if min(len(data), length) < _RIP_HEADER:
        raise Cut
    command, version = data[0], data[1]
    words.append(
        f"RIPv{version}, {_RIP_COMMANDS.get(command, f'unknown command ({command})')}, length: {length}"
    )


_SLOW = {1: "LACP", 2: "MARKER"}


def slow(words: list[str], data: bytes, length: int, about: About) -> None:
    """IEEE 802.3's slow protocols (EtherType 0x8809; print-slow.c): "LACPv1, length 110" (OAM is
    not read here)."""
    subtype = number(data, 0, 1)
    if subtype not in _SLOW:
        raise Decline
    version = number(data, 1, 1)
    if version != 1:
        words.append(f"{_SLOW[subtype]} version {version} packet not supported")
        return
    words.append(f"{_SLOW[subtype]}v{version}, length {length}")
