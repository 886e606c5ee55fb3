"""Protocol number spaces as total enums: an unknown number is a member too, never an error."""

from __future__ import annotations

import enum
from typing import Any


class TotalEnum(enum.IntEnum):
    """An IntEnum that accepts any in-range number; unknown ones get a generated name."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, int) and 0 <= value <= cls._limit():
            member = int.__new__(cls, value)
            member._name_ = f"unknown_{value}"
            member._value_ = value
            return member
        return None

    @classmethod
    def _limit(cls) -> int:
        return 0xFFFF


class EtherType(TotalEnum):
    """IEEE 802 EtherTypes rawnet knows by name."""

    IPv4 = 0x0800
    ARP = 0x0806
    Dot1Q = 0x8100
    IPv6 = 0x86DD
    QinQ = 0x88A8
    LLDP = 0x88CC
    Loopback = 0x9000
    TEB = 0x6558  # Transparent Ethernet Bridging (an Ethernet frame inside GRE or Geneve)
    MPLS = 0x8847
    MPLS_multicast = 0x8848


class IPProto(TotalEnum):
    """IANA Assigned Internet Protocol Numbers (IPv4 protocol, IPv6 next header)."""

    HOPOPT = 0
    ICMP = 1
    IGMP = 2
    IPIP = 4
    TCP = 6
    UDP = 17
    IPv6 = 41
    IPv6_Route = 43
    IPv6_Frag = 44
    GRE = 47
    ESP = 50
    AH = 51
    ICMPv6 = 58
    IPv6_NoNxt = 59
    IPv6_Opts = 60
    SCTP = 132

    @classmethod
    def _limit(cls) -> int:
        return 0xFF


#: The IANA keywords of the protocols above, as /etc/protocols spells them ("-" as "_", scapy's
#: way): what IP's ``proto`` shows and takes ("tcp"), as in scapy.
IP_KEYWORDS = {
    0: "hopopt", 1: "icmp", 2: "igmp", 4: "ipencap", 6: "tcp", 17: "udp", 41: "ipv6", 43: "ipv6_route",
    44: "ipv6_frag", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6_icmp", 59: "ipv6_nonxt", 60: "ipv6_opts",
    132: "sctp",
}  # fmt: skip
