"""The one table that says which layer follows which number (gopacket's enums table).

Each line names a number space, a number and the class that decodes it; the classes are named
as text ("ipv4:IP") and looked up once every protocol module is imported (``resolve``, which
rawnet.wire's __init__ calls last), so what the table holds never depends on the order in
which modules were imported. A class that several numbers announce builds with the one whose
line comes first; the others only decode (Dot1Q: 0x8100 builds, 0x88A8 decodes too).

Decoders index the live tables (``table``); builders look numbers up in reverse (``number_for``);
registering a number twice raises. A protocol defined outside rawnet registers itself with
``LAYERS.register``; the stack codecs (fused.py) hear of every change and regenerate.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from rawnet.wire.layer import Layer

ETHERTYPE = "ethertype"  #: IEEE EtherType: Ethernet II, 802.1Q and cooked captures
IP_PROTOCOL = "ip-protocol"  #: IANA protocol numbers as IPv4's "proto" uses them
IPV6_NEXT_HEADER = "ipv6-next-header"  #: IPv6's "nh": the protocol numbers and the extension headers
UDP_PORT = "udp-port"  #: UDP ports (either port of a datagram: the destination is tried first)
TCP_PORT = "tcp-port"  #: TCP ports (likewise)
ICMPV6_TYPE = "icmpv6-type"  #: ICMPv6 message types
ND_OPTION = "nd-option"  #: Neighbor Discovery option types
ICMP_QUOTE = (
    "icmp-quote"  #: the class an ICMP (4) or ICMPv6 (6) error quotes its datagram with, by IP version
)
QUOTED_PROTOCOL = "quoted-protocol"  #: the classes of the transports inside such a quote, by protocol
LINKTYPE = "linktype"  #: pcap's LINKTYPE_ values: the first layer of a capture file's frames
LLDP_TLV = "lldp-tlv"  #: LLDP TLV types (IEEE 802.1AB)
CHDLC_PROTOCOL = "chdlc-protocol"  #: Cisco HDLC's own protocol numbers (it takes EtherTypes too)
IPNET_FAMILY = "ipnet-family"  #: the address families of Solaris IPNET capture headers
VSOCK_TRANSPORT = "vsock-transport"  #: the transports of Linux vsock monitor headers
NFLOG_FAMILY = "nflog-family"  #: the address families of Linux NFLOG records
BSD_AF = "bsd-af"  #: BSD address families, as the loopback link headers (DLT_NULL, DLT_LOOP) say them
SCTP_CHUNK = "sctp-chunk"  #: SCTP chunk types
SCTP_PARAMETER = "sctp-parameter"  #: SCTP parameter types (of INIT, INIT ACK, HEARTBEAT)

#: Spaces that hold every line of another space too (IPv6 next headers are IP protocol numbers).
INCLUDES = {IPV6_NEXT_HEADER: IP_PROTOCOL}


class Line(NamedTuple):
    """One line of the table: ``number`` in ``space`` is decoded by ``target`` ("module:Class")."""

    space: str
    number: int
    target: str


# The table. Targets are rawnet.wire modules; the first line of a class in a space is the number
# it builds with.
TABLE = (
    Line(ETHERTYPE, 0x0800, "ipv4:IP"),
    Line(ETHERTYPE, 0x0806, "arp:ARP"),
    Line(ETHERTYPE, 0x8100, "ether:Dot1Q"),
    Line(ETHERTYPE, 0x88A8, "ether:Dot1Q"),  # 802.1ad service tag (QinQ): same format
    Line(ETHERTYPE, 0x86DD, "ipv6:IPv6"),
    Line(IP_PROTOCOL, 1, "icmp:ICMP"),
    Line(IP_PROTOCOL, 4, "ipv4:IP"),  # IPv4 in IP (RFC 2003)
    Line(IP_PROTOCOL, 6, "tcp:TCP"),
    Line(IP_PROTOCOL, 17, "udp:UDP"),
    Line(IP_PROTOCOL, 41, "ipv6:IPv6"),  # IPv6 in IP (RFC 2473, RFC 4213)
    Line(IP_PROTOCOL, 58, "icmpv6:ICMPv6"),
    # RFC 8200 4.1: extension headers follow an IPv6 header, never IPv4's (protocol 0 there is no header)
    Line(IPV6_NEXT_HEADER, 0, "ipv6ext:IPv6ExtHdrHopByHop"),
    Line(IPV6_NEXT_HEADER, 43, "ipv6ext:IPv6ExtHdrRouting"),
    Line(IPV6_NEXT_HEADER, 44, "ipv6ext:IPv6ExtHdrFragment"),
    Line(IPV6_NEXT_HEADER, 60, "ipv6ext:IPv6ExtHdrDestOpt"),
    Line(ICMPV6_TYPE, 1, "icmpv6:ICMPv6DestUnreach"),
    Line(ICMPV6_TYPE, 2, "icmpv6:ICMPv6PacketTooBig"),
    Line(ICMPV6_TYPE, 3, "icmpv6:ICMPv6TimeExceeded"),
    Line(ICMPV6_TYPE, 4, "icmpv6:ICMPv6ParamProblem"),
    Line(ICMPV6_TYPE, 128, "icmpv6:ICMPv6EchoRequest"),
    Line(ICMPV6_TYPE, 129, "icmpv6:ICMPv6EchoReply"),
    Line(ICMPV6_TYPE, 133, "ndp:ICMPv6ND_RS"),
    Line(ICMPV6_TYPE, 134, "ndp:ICMPv6ND_RA"),
    Line(ICMPV6_TYPE, 135, "ndp:ICMPv6ND_NS"),
    Line(ICMPV6_TYPE, 136, "ndp:ICMPv6ND_NA"),
    Line(ICMPV6_TYPE, 137, "ndp:ICMPv6ND_Redirect"),
    Line(ND_OPTION, 1, "ndp:ICMPv6NDOptSrcLLAddr"),
    Line(ND_OPTION, 2, "ndp:ICMPv6NDOptDstLLAddr"),
    Line(ND_OPTION, 3, "ndp:ICMPv6NDOptPrefixInfo"),
    Line(ND_OPTION, 5, "ndp:ICMPv6NDOptMTU"),
    # scapy's quote classes: what an ICMP error quotes is told from what carries it
    Line(ICMP_QUOTE, 4, "quoted:IPerror"),
    Line(ICMP_QUOTE, 6, "quoted:IPerror6"),
    Line(QUOTED_PROTOCOL, 1, "quoted:ICMPerror"),
    Line(QUOTED_PROTOCOL, 6, "quoted:TCPerror"),
    Line(QUOTED_PROTOCOL, 17, "quoted:UDPerror"),
    # capture files: the first layer of each link type (raw IP, 12/14/101, is told by its version)
    Line(LINKTYPE, 1, "ether:Ether"),
    Line(LINKTYPE, 113, "sll:CookedLinux"),
    Line(LINKTYPE, 276, "sll:CookedLinuxV2"),
    Line(LINKTYPE, 228, "ipv4:IP"),
    Line(LINKTYPE, 229, "ipv6:IPv6"),
    Line(LINKTYPE, 0, "loopback:Loopback"),
    Line(LINKTYPE, 108, "loopback:LoopbackOpenBSD"),
    Line(BSD_AF, 2, "ipv4:IP"),
    Line(BSD_AF, 24, "ipv6:IPv6"),  # OpenBSD, NetBSD, BSD/OS
    Line(BSD_AF, 28, "ipv6:IPv6"),  # FreeBSD
    Line(BSD_AF, 30, "ipv6:IPv6"),  # Darwin
    Line(ETHERTYPE, 0x88CC, "lldp:LLDPDU"),
    Line(LLDP_TLV, 0, "lldp:LLDPDUEndOfLLDPDU"),
    Line(LLDP_TLV, 1, "lldp:LLDPDUChassisID"),
    Line(LLDP_TLV, 2, "lldp:LLDPDUPortID"),
    Line(LLDP_TLV, 3, "lldp:LLDPDUTimeToLive"),
    Line(LLDP_TLV, 4, "lldp:LLDPDUPortDescription"),
    Line(LLDP_TLV, 5, "lldp:LLDPDUSystemName"),
    Line(LLDP_TLV, 6, "lldp:LLDPDUSystemDescription"),
    Line(LLDP_TLV, 7, "lldp:LLDPDUSystemCapabilities"),
    Line(LLDP_TLV, 8, "lldp:LLDPDUManagementAddress"),
    Line(LLDP_TLV, 127, "lldp:LLDPDUGenericOrganisationSpecific"),
    Line(UDP_PORT, 53, "dns:DNS"),
    Line(UDP_PORT, 5353, "dns:DNS"),  # multicast DNS (RFC 6762)
    Line(UDP_PORT, 5355, "dns:DNS"),  # LLMNR (RFC 4795)
    Line(TCP_PORT, 53, "dns:DNSTCP"),
    Line(UDP_PORT, 67, "dhcp:BOOTP"),  # BOOTP/DHCP server
    Line(UDP_PORT, 68, "dhcp:BOOTP"),  # and client
    Line(UDP_PORT, 547, "dhcp6:DHCP6"),  # DHCPv6 server and relay agent
    Line(UDP_PORT, 546, "dhcp6:DHCP6"),  # and client
    Line(IP_PROTOCOL, 132, "sctp:SCTP"),
    Line(SCTP_CHUNK, 0, "sctp:SCTPChunkData"),
    Line(SCTP_CHUNK, 1, "sctp:SCTPChunkInit"),
    Line(SCTP_CHUNK, 2, "sctp:SCTPChunkInitAck"),
    Line(SCTP_CHUNK, 3, "sctp:SCTPChunkSACK"),
    Line(SCTP_CHUNK, 4, "sctp:SCTPChunkHeartbeatReq"),
    Line(SCTP_CHUNK, 5, "sctp:SCTPChunkHeartbeatAck"),
    Line(SCTP_CHUNK, 6, "sctp:SCTPChunkAbort"),
    Line(SCTP_CHUNK, 7, "sctp:SCTPChunkShutdown"),
    Line(SCTP_CHUNK, 8, "sctp:SCTPChunkShutdownAck"),
    Line(SCTP_CHUNK, 9, "sctp:SCTPChunkError"),
    Line(SCTP_CHUNK, 10, "sctp:SCTPChunkCookieEcho"),
    Line(SCTP_CHUNK, 11, "sctp:SCTPChunkCookieAck"),
    Line(SCTP_CHUNK, 14, "sctp:SCTPChunkShutdownComplete"),
    Line(SCTP_PARAMETER, 1, "sctp:SCTPChunkParamHeartbeatInfo"),
    Line(SCTP_PARAMETER, 5, "sctp:SCTPChunkParamIPv4Addr"),
    Line(SCTP_PARAMETER, 6, "sctp:SCTPChunkParamIPv6Addr"),
    Line(SCTP_PARAMETER, 7, "sctp:SCTPChunkParamStateCookie"),
    Line(SCTP_PARAMETER, 9, "sctp:SCTPChunkParamCookiePreservative"),
    Line(SCTP_PARAMETER, 11, "sctp:SCTPChunkParamHostname"),
    Line(SCTP_PARAMETER, 12, "sctp:SCTPChunkParamSupportedAddrTypes"),
    Line(SCTP_PARAMETER, 0x8000, "sctp:SCTPChunkParamECNCapable"),
    Line(SCTP_PARAMETER, 0x8002, "sctp:SCTPChunkParamRandom"),
    Line(SCTP_PARAMETER, 0x8003, "sctp:SCTPChunkParamChunkList"),
    Line(SCTP_PARAMETER, 0x8004, "sctp:SCTPChunkParamRequestedHMACFunctions"),
    Line(SCTP_PARAMETER, 0x8008, "sctp:SCTPChunkParamSupportedExtensions"),
    Line(SCTP_PARAMETER, 0xC000, "sctp:SCTPChunkParamFwdTSN"),
    Line(SCTP_PARAMETER, 0xC006, "sctp:SCTPChunkParamAdaptationLayer"),
    Line(UDP_PORT, 123, "ntp:NTP"),
    # IGMP, MLD (issue 12)
    Line(IP_PROTOCOL, 2, "igmp:IGMP"),
    Line(ICMPV6_TYPE, 130, "mld:ICMPv6MLQuery"),
    Line(ICMPV6_TYPE, 131, "mld:ICMPv6MLReport"),
    Line(ICMPV6_TYPE, 132, "mld:ICMPv6MLDone"),
    Line(ICMPV6_TYPE, 143, "mld:ICMPv6MLReport2"),
    # tunnels: GRE (RFC 2784) and what it carries; VXLAN, Geneve; MPLS label stacks
    Line(IP_PROTOCOL, 47, "gre:GRE"),
    Line(ETHERTYPE, 0x6558, "ether:Ether"),  # Transparent Ethernet Bridging (in GRE, Geneve)
    Line(UDP_PORT, 4789, "vxlan:VXLAN"),
    Line(UDP_PORT, 8472, "vxlan:VXLAN"),  # (Linux's default VXLAN port)
    Line(UDP_PORT, 6081, "geneve:GENEVE"),
    Line(ETHERTYPE, 0x8847, "mpls:MPLS"),
    Line(ETHERTYPE, 0x8848, "mpls:MPLS"),  # (multicast: same format)
    Line(UDP_PORT, 6635, "mpls:MPLS"),  # MPLS in UDP (RFC 7510)
    Line(LINKTYPE, 104, "chdlc:CHDLC"),
    Line(CHDLC_PROTOCOL, 0x8035, "chdlc:SLARP"),
    Line(LINKTYPE, 226, "ipnet:IPNET"),
    Line(IPNET_FAMILY, 2, "ipv4:IP"),
    Line(IPNET_FAMILY, 26, "ipv6:IPv6"),
    Line(LINKTYPE, 284, "dsa:DSA"),
    Line(LINKTYPE, 285, "dsa:EDSA"),
    Line(LINKTYPE, 271, "vsock:VSOCK"),
    Line(VSOCK_TRANSPORT, 2, "vsock:VirtioVSOCK"),
    Line(LINKTYPE, 239, "nflog:NFLOG"),
    Line(NFLOG_FAMILY, 2, "ipv4:IP"),
    Line(NFLOG_FAMILY, 10, "ipv6:IPv6"),
    Line(LINKTYPE, 281, "brcm:BRCMTag"),
    Line(LINKTYPE, 282, "brcm:BRCMTagPrepend"),
)


class Registry:
    """Number spaces, each a two-way map between numbers and layer classes."""

    def __init__(self) -> None:
        self._by_number: dict[str, dict[int, type[Layer]]] = {}
        self._by_class: dict[str, dict[type[Layer], int]] = {}
        self._own: dict[str, dict[int, type[Layer]]] = {}  # each space's own lines, without includes
        self._listeners: list[Callable[[], None]] = []
        #: Bumped by every change: what was generated from the tables is stale once it moves.
        self.version = 0

    def register(self, space: str, number: int, layer: type[Layer]) -> None:
        """Make ``layer`` the decoder of ``number`` in ``space`` (and the number it builds with,
        if it has none there yet)."""
        own = self._own.setdefault(space, {})
        # a number is taken in the space, in a space it includes, and in the spaces that include it
        related = [
            space,
            INCLUDES.get(space),
            *(other for other, included in INCLUDES.items() if included == space),
        ]
        for other in related:
            holder = self._own.get(other, {}).get(number) if other else None
            if holder is not None:
                where = "" if other == space else f" (in {other})"
                raise ValueError(f"{space} {number:#x} is already registered to {holder.__name__}{where}")
        own[number] = layer
        self._refresh()

    def resolve(self, table: tuple[Line, ...] = TABLE, package: str = "rawnet.wire") -> None:
        """Load the table's lines (importing their modules), after every protocol module is loaded."""
        for line in table:
            module, name = line.target.split(":")
            self.register(
                line.space, line.number, getattr(importlib.import_module(f"{package}.{module}"), name)
            )

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every change to the tables."""
        self._listeners.append(listener)

    def _refresh(self) -> None:
        spaces = set(self._own) | set(INCLUDES)
        for space in spaces:
            live = self._by_number.setdefault(space, {})
            live.clear()  # (decoders hold these dicts: they are updated in place)
            included = INCLUDES.get(space)
            if included is not None:
                live.update(self._own.get(included, {}))
            live.update(self._own.get(space, {}))
            classes: dict[type[Layer], int] = {}
            for number, layer in self._own.get(space, {}).items():
                classes.setdefault(layer, number)
            if included is not None:
                for number, layer in self._own.get(included, {}).items():
                    classes.setdefault(layer, number)
            self._by_class[space] = classes
        self.version += 1
        for listener in self._listeners:
            listener()

    def lookup(self, space: str, number: int) -> type[Layer] | None:
        """The layer class registered for ``number``, or None."""
        return self._by_number.get(space, {}).get(number)

    def number(self, space: str, layer: type[Layer]) -> int | None:
        """The number that announces ``layer`` (or the nearest registered base class), or None."""
        numbers = self._by_class.get(space, {})
        number = numbers.get(layer)
        if number is None:
            for base in layer.__mro__[1:]:
                number = numbers.get(base)
                if number is not None:
                    break
        return number

    def number_for(self, space: str, payload: Layer | None, default: int) -> int:
        """The number that announces the layer ``payload`` (builders fill NEXT fields with it);
        ``default`` for no payload, or one the space does not know (Raw data, ...)."""
        if payload is None:
            return default
        number = self._by_class.get(space, {}).get(payload.__class__)
        if number is None:
            number = self.number(space, payload.__class__)  # a subclass of a registered layer
        return default if number is None else number

    def table(self, space: str) -> dict[int, type[Layer]]:
        """The live number -> class map of a space (decoders index it directly)."""
        return self._by_number.setdefault(space, {})


#: The registry rawnet.wire fills from TABLE once its protocol modules are imported.
LAYERS = Registry()
