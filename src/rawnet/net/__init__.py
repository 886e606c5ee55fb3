"""Linux networking: raw sockets of every mode, capture with kernel filters, pcap files, the lab.

Imports rawnet.wire for packet formats; rawnet.wire never imports this package.
"""

from rawnet.net.capture import AsyncSniffer, FilterError, compile_filter, sniff
from rawnet.net.lab import Host, Interface, Lab
from rawnet.net.pcap import PcapError, PcapReader, PcapWriter, Record, rdpcap, wrpcap
from rawnet.net.sendrecv import Results, answers, resolve_mac, send, sendp, sr, sr1, srp, srp1
from rawnet.net.sockets import InterfaceError, RawSocket, Received, source_for

__all__ = [
    "AsyncSniffer",
    "FilterError",
    "Host",
    "Interface",
    "InterfaceError",
    "Lab",
    "PcapError",
    "PcapReader",
    "PcapWriter",
    "RawSocket",
    "Received",
    "Record",
    "Results",
    "answers",
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
    "wrpcap",
]
