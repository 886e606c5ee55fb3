"""Linux networking: raw sockets of every mode, capture with kernel filters, pcap files, the lab.

Imports rawnet.wire for packet formats; rawnet.wire never imports this package. Each name
imports its module on first use (PEP 562), so reading a capture file never loads netlink code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rawnet.net.bpf import FilterError, compile_filter
    from rawnet.net.capture import AsyncSniffer, sniff
    from rawnet.net.exchange import Exchange, Query
    from rawnet.net.lab import Host, Interface, Lab
    from rawnet.net.matching import answers
    from rawnet.net.pcap import PcapError, PcapReader, PcapWriter, Record, rdpcap, wrpcap
    from rawnet.net.probing import ARPingResult, TracerouteResult, arping, traceroute
    from rawnet.net.sendrecv import Results, asr, asr1, resolve_mac, send, sendp, sr, sr1, srp, srp1
    from rawnet.net.sockets import InterfaceError, RawSocket, Received, source_for

_MODULES = {
    "rawnet.net.bpf": ["FilterError", "compile_filter"],
    "rawnet.net.capture": ["AsyncSniffer", "sniff"],
    "rawnet.net.lab": ["Host", "Interface", "Lab"],
    "rawnet.net.pcap": ["PcapError", "PcapReader", "PcapWriter", "Record", "rdpcap", "wrpcap"],
    "rawnet.net.matching": ["answers"],
    "rawnet.net.exchange": ["Exchange", "Query"],
    "rawnet.net.probing": ["ARPingResult", "TracerouteResult", "arping", "traceroute"],
    "rawnet.net.sendrecv": [
        "Results",
        "asr",
        "asr1",
        "resolve_mac",
        "send",
        "sendp",
        "sr",
        "sr1",
        "srp",
        "srp1",
    ],
    "rawnet.net.sockets": ["InterfaceError", "RawSocket", "Received", "source_for"],
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "ARPingResult",
    "AsyncSniffer",
    "Exchange",
    "FilterError",
    "Host",
    "Interface",
    "InterfaceError",
    "Lab",
    "PcapError",
    "PcapReader",
    "PcapWriter",
    "Query",
    "RawSocket",
    "Received",
    "Record",
    "Results",
    "TracerouteResult",
    "answers",
    "arping",
    "asr",
    "asr1",
    "compile_filter",
    "rdpcap",
    "resolve_mac",
    "send",
    "sendp",
    "sniff",
    "source_for",
    "sr",
    "sr1",
    "srp",
    "srp1",
    "traceroute",
    "wrpcap",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rawnet.net' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
