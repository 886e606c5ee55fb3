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
from rawnet.wire import __all__ as _wire_all

__version__ = "0.1.0"

if TYPE_CHECKING:  # (type checkers see the networking names' signatures; at run time, _NET loads them)
    from rawnet.net.capture import AsyncSniffer, sniff
    from rawnet.net.lab import Lab
    from rawnet.net.pcap import PcapReader, PcapWriter, rdpcap, wrpcap
    from rawnet.net.sendrecv import send, sendp, sr, sr1, srp, srp1
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
    "traceroute": "rawnet.net.probing",
    "AsyncSniffer": "rawnet.net.capture",
    "Lab": "rawnet.net.lab",
}

__all__ = [  # (spelled out: type checkers follow `from rawnet import *` to the networking names)
    "AsyncSniffer",
    "BuildError",
    "DecodeError",
    "FieldValueError",
    "Lab",
    "LimitError",
    "MalformedError",
    "PcapReader",
    "PcapWriter",
    "RawSocket",
    "RawnetError",
    "TruncatedError",
    "rdpcap",
    "send",
    "sendp",
    "sniff",
    "sr",
    "sr1",
    "srp",
    "srp1",
    "wrpcap",
]
__all__ += _wire_all


def __getattr__(name: str) -> Any:
    module = _NET.get(name)
    if module is None:
        raise AttributeError(f"module 'rawnet' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
