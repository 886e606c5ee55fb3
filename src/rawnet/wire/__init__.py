"""Packet formats: build and decode headers. Pure: bytes in, bytes out; no sockets, no CLI.

Importing this package imports every protocol module, then loads the registry's table
(registry.py), so that decoding reaches every protocol whichever module was imported first,
and gives ``Layer.summary()`` its renderer, tcpdump.py (which imports the protocol modules:
layer.py cannot import it).
"""

from rawnet.wire import hashret as _hashret
from rawnet.wire.addresses import valid_ip, valid_ip6, valid_mac
from rawnet.wire.arp import ARP, ARPOp
from rawnet.wire.brcm import BRCMTag, BRCMTagPrepend
from rawnet.wire.chdlc import CHDLC, SLARP
from rawnet.wire.display import hexdump
from rawnet.wire.dsa import DSA, EDSA
from rawnet.wire.ether import Dot1Q, Ether
from rawnet.wire.fields import FlagValue, ValueSet
from rawnet.wire.fragment import Defragmented, defragment, defragment6, fragment, fragment6
from rawnet.wire.icmp import ICMP, DestUnreachCode, ICMPType, ParamProblemCode, RedirectCode, TimeExceededCode
from rawnet.wire.icmpv6 import (
    ICMPv6,
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6PacketTooBig,
    ICMPv6ParamProblem,
    ICMPv6TimeExceeded,
    ICMPv6Type,
)
from rawnet.wire.ipnet import IPNET
from rawnet.wire.ipv4 import (
    IP,
    IPOption,
    IPOption_EOL,
    IPOption_LSRR,
    IPOption_NOP,
    IPOption_RR,
    IPOption_Security,
    IPOption_SSRR,
    IPOption_Timestamp,
)
from rawnet.wire.ipv6 import IPv6
from rawnet.wire.ipv6ext import (
    HBHOption,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    IPv6ExtHdrSegmentRouting,
    Jumbo,
    Pad1,
    PadN,
    RouterAlert,
)
from rawnet.wire.layer import Layer, Padding, Problem, Raw, Undecoded, ls, raw, stack
from rawnet.wire.lldp import (
    LLDPDU,
    LLDPDUChassisID,
    LLDPDUEndOfLLDPDU,
    LLDPDUGenericOrganisationSpecific,
    LLDPDUManagementAddress,
    LLDPDUPortDescription,
    LLDPDUPortID,
    LLDPDUSystemCapabilities,
    LLDPDUSystemDescription,
    LLDPDUSystemName,
    LLDPDUTimeToLive,
    LLDPDUUnknown,
)
from rawnet.wire.loopback import Loopback, LoopbackOpenBSD
from rawnet.wire.ndp import (
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RA,
    ICMPv6ND_Redirect,
    ICMPv6ND_RS,
    ICMPv6NDOpt,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptSrcLLAddr,
    ICMPv6NDOptUnknown,
)
from rawnet.wire.nflog import NFLOG
from rawnet.wire.numbers import EtherType, IPProto
from rawnet.wire.plist import PacketList, QueryAnswer, SndRcvList, make_table
from rawnet.wire.quoted import ICMPerror, IPerror, IPerror6, TCPerror, UDPerror
from rawnet.wire.registry import LAYERS as _LAYERS
from rawnet.wire.sll import CookedLinux, CookedLinux2, CookedLinuxV2
from rawnet.wire.tcp import TCP
from rawnet.wire.tcpdump import summary as _tcpdump_summary
from rawnet.wire.udp import UDP
from rawnet.wire.volatile import (
    RandBin,
    RandByte,
    RandChoice,
    RandInt,
    RandIP,
    RandIP6,
    RandLong,
    RandMAC,
    RandNum,
    RandShort,
    RandString,
    Volatile,
)
from rawnet.wire.vsock import VSOCK, VirtioVSOCK

_LAYERS.resolve()
Layer._summarize = _tcpdump_summary  # summary() renders through tcpdump.py
Layer._fragmenter = fragment  # pkt.fragment() is fragment.py's
Layer._hash_rule, Layer._answer_rule = _hashret.hashret, _hashret.answers  # scapy's rules
NoPayload = type(None)  # scapy's: what the last layer carries (here: None; isinstance(None, NoPayload))

__all__ = [
    "ARP",
    "CHDLC",
    "DSA",
    "EDSA",
    "ICMP",
    "IP",
    "IPNET",
    "LLDPDU",
    "NFLOG",
    "SLARP",
    "TCP",
    "UDP",
    "VSOCK",
    "ARPOp",
    "BRCMTag",
    "BRCMTagPrepend",
    "CookedLinux",
    "CookedLinux2",
    "CookedLinuxV2",
    "Defragmented",
    "DestUnreachCode",
    "Dot1Q",
    "Ether",
    "EtherType",
    "FlagValue",
    "HBHOption",
    "ICMPType",
    "ICMPerror",
    "ICMPv6",
    "ICMPv6DestUnreach",
    "ICMPv6EchoReply",
    "ICMPv6EchoRequest",
    "ICMPv6NDOpt",
    "ICMPv6NDOptDstLLAddr",
    "ICMPv6NDOptMTU",
    "ICMPv6NDOptPrefixInfo",
    "ICMPv6NDOptSrcLLAddr",
    "ICMPv6NDOptUnknown",
    "ICMPv6ND_NA",
    "ICMPv6ND_NS",
    "ICMPv6ND_RA",
    "ICMPv6ND_RS",
    "ICMPv6ND_Redirect",
    "ICMPv6PacketTooBig",
    "ICMPv6ParamProblem",
    "ICMPv6TimeExceeded",
    "ICMPv6Type",
    "IPOption",
    "IPOption_EOL",
    "IPOption_LSRR",
    "IPOption_NOP",
    "IPOption_RR",
    "IPOption_SSRR",
    "IPOption_Security",
    "IPOption_Timestamp",
    "IPProto",
    "IPerror",
    "IPerror6",
    "IPv6",
    "IPv6ExtHdrDestOpt",
    "IPv6ExtHdrFragment",
    "IPv6ExtHdrHopByHop",
    "IPv6ExtHdrRouting",
    "IPv6ExtHdrSegmentRouting",
    "Jumbo",
    "LLDPDUChassisID",
    "LLDPDUEndOfLLDPDU",
    "LLDPDUGenericOrganisationSpecific",
    "LLDPDUManagementAddress",
    "LLDPDUPortDescription",
    "LLDPDUPortID",
    "LLDPDUSystemCapabilities",
    "LLDPDUSystemDescription",
    "LLDPDUSystemName",
    "LLDPDUTimeToLive",
    "LLDPDUUnknown",
    "Layer",
    "Loopback",
    "LoopbackOpenBSD",
    "NoPayload",
    "PacketList",
    "Pad1",
    "PadN",
    "Padding",
    "ParamProblemCode",
    "Problem",
    "QueryAnswer",
    "RandBin",
    "RandByte",
    "RandChoice",
    "RandIP",
    "RandIP6",
    "RandInt",
    "RandLong",
    "RandMAC",
    "RandNum",
    "RandShort",
    "RandString",
    "Raw",
    "RedirectCode",
    "RouterAlert",
    "SndRcvList",
    "TCPerror",
    "TimeExceededCode",
    "UDPerror",
    "Undecoded",
    "ValueSet",
    "VirtioVSOCK",
    "Volatile",
    "defragment",
    "defragment6",
    "fragment",
    "fragment6",
    "hexdump",
    "ls",
    "make_table",
    "raw",
    "stack",
    "valid_ip",
    "valid_ip6",
    "valid_mac",
]
