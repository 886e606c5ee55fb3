"""Packet formats: build and decode headers. Pure: bytes in, bytes out; no sockets, no CLI."""

from rawnet.wire.display import hexdump
from rawnet.wire.ether import Dot1Q, Ether
from rawnet.wire.fields import FlagValue, ValueSet
from rawnet.wire.ipv4 import (
    IP,
    IPOption,
    IPOption_EOL,
    IPOption_LSRR,
    IPOption_NOP,
    IPOption_RR,
    IPOption_SSRR,
    IPOption_Timestamp,
)
from rawnet.wire.layer import Layer, Problem, Raw, Undecoded
from rawnet.wire.numbers import EtherType, IPProto
from rawnet.wire.tcp import TCP
from rawnet.wire.udp import UDP

__all__ = [
    "IP",
    "TCP",
    "UDP",
    "Dot1Q",
    "Ether",
    "EtherType",
    "FlagValue",
    "IPOption",
    "IPOption_EOL",
    "IPOption_LSRR",
    "IPOption_NOP",
    "IPOption_RR",
    "IPOption_SSRR",
    "IPOption_Timestamp",
    "IPProto",
    "Layer",
    "Problem",
    "Raw",
    "Undecoded",
    "ValueSet",
    "hexdump",
]
