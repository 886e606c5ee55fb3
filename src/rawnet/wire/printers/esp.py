"""IPsec's Encapsulating Security Payload (RFC 4303; IP protocol 50, and UDP port 4500 as RFC
3948 carries it) as tcpdump prints it without secrets (print-esp.c, print-isakmp.c)."""

from __future__ import annotations

from rawnet.wire.printers import About, Cut, Decline, number

_KEEPALIVE = 0xFF


def esp(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "ESP(spi=0x00001234,seq=0x1), length 116"."""
    words.append(f"ESP(spi=0x{number(data, 0, 4):08x}")
    words.append(f",seq=0x{number(data, 4, 4):x}), length {length}")


def udp_encapsulated(words: list[str], data: bytes, length: int, about: About) -> None:
    """RFC 3948's UDP port 4500: a NAT keepalive, or "UDP-encap: " and the ESP packet (IKE's
    messages there, after four zero bytes, are not read here)."""
    if length == 1 and number(data, 0, 1) == _KEEPALIVE:
        words.append("isakmp-nat-keep-alive")
        return
    if length < 4:
        raise Cut
    if number(data, 0, 4) == 0:
        raise Decline
    words.append("UDP-encap: ")
    try:
        esp(words, data, length, about)
    except Cut:
        words.append(" [|esp]")  # (tcpdump names the protocol it was reading)
