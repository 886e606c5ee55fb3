# ruff: noqa: F405 (__all__ names the packet formats the star import brings)
"""rawnet: craft, send, receive and decode network packets on Linux, at every layer.

The packet formats (rawnet.wire) are imported at once; the networking names (sockets, pcap
files, the lab: rawnet.net) on first use, so that decoding alone never loads netlink code.
"""

import importlib
from typing import TYPE_CHECKING, Any

from rawnet.errors import (
    BuildError,
    DecodeError,
    FieldValueError,
    LimitError,
    MalformedError,
    RawnetError,
    TruncatedError,
)
from rawnet.wire import *  # noqa: F403

__version__ = "0.1.0"

if TYPE_CHECKING:  # (type checkers see the networking names' signatures; at run time, _NET loads them)
    from rawnet.net.capture import AsyncSniffer, sniff
    from rawnet.net.lab import Lab
    from rawnet.net.pcap import PcapReader, PcapWriter, rdpcap, wrpcap
    from rawnet.net.probing import arping, neighsol, traceroute
    from rawnet.net.sendrecv import asr, asr1, send, sendp, sr, sr1, srp, srp1
    from rawnet.net.sockets import RawSocket

_NET = {
    "PcapReader": "rawnet.net.pcap",
    "PcapWriter": "rawnet.net.pcap",
    "rdpcap": "rawnet.net.pcap",
    "wrpcap": "rawnet.net.pcap",
    "RawSocket": "rawnet.net.sockets",
    "sniff": "rawnet.net.capture",
    "send": "rawnet.net.sendrecv",
    "sr": "rawnet.net.sendrecv",
    "sr1": "rawnet.net.sendrecv",
    "sendp": "rawnet.net.sendrecv",
    "srp": "rawnet.net.sendrecv",
    "srp1": "rawnet.net.sendrecv",
    "asr": "rawnet.net.sendrecv",
    "asr1": "rawnet.net.sendrecv",
    "arping": "rawnet.net.probing",
    "neighsol": "rawnet.net.probing",
    "traceroute": "rawnet.net.probing",
    "AsyncSniffer": "rawnet.net.capture",
    "Lab": "rawnet.net.lab",
}

__all__ = [  # (spelled out, the packet formats' too: type checkers follow `from rawnet import *`)
    "ARP",
    "ICMP",
    "IP",
    "TCP",
    "UDP",
    "ARPOp",
    "AsyncSniffer",
    "BuildError",
    "CookedLinux",
    "CookedLinux2",
    "CookedLinuxV2",
    "DecodeError",
    "Defragmented",
    "DestUnreachCode",
    "Dot1Q",
    "Ether",
    "EtherType",
    "FieldValueError",
    "FlagValue",
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
    "Lab",
    "Layer",
    "LimitError",
    "MalformedError",
    "NoPayload",
    "PacketList",
    "Padding",
    "ParamProblemCode",
    "PcapReader",
    "PcapWriter",
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
    "RawSocket",
    "RawnetError",
    "RedirectCode",
    "SndRcvList",
    "TCPerror",
    "TimeExceededCode",
    "TruncatedError",
    "UDPerror",
    "Undecoded",
    "ValueSet",
    "Volatile",
    "arping",
    "asr",
    "asr1",
    "defragment",
    "defragment6",
    "fragment",
    "fragment6",
    "hexdump",
    "ls",
    "make_table",
    "neighsol",
    "raw",
    "rdpcap",
    "send",
    "sendp",
    "sniff",
    "sr",
    "sr1",
    "srp",
    "srp1",
    "stack",
    "traceroute",
    "valid_ip",
    "valid_ip6",
    "valid_mac",
    "wrpcap",
]


def __getattr__(name: str) -> Any:
    module = _NET.get(name)
    if module is None:
        raise AttributeError(f"module 'rawnet' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
