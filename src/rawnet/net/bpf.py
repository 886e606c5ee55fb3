"""Packet filters: tcpdump expressions compiled by libpcap, attached to sockets for the kernel to run.

libpcap compiles (pcapy-ng's compile: the real BPF compiler, never a home-made one); this module
only attaches the program (SO_ATTACH_FILTER) and, for cooked sockets, moves the program's loads
as libpcap's own capture code does (fix_cooked). No sockets are opened here.
"""

from __future__ import annotations

import ctypes
import socket
import struct
from typing import Any

import pcapy

from rawnet.errors import InputError
from rawnet.net.linux import SKF_AD_HATYPE, SKF_AD_IFINDEX, SKF_AD_OFF, SKF_AD_PKTTYPE, SKF_AD_PROTOCOL
from rawnet.net.pcap import LINKTYPE_RAW

SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)  # asm-generic/socket.h
SNAPLEN = 262144  #: what a compiled program's "keep" returns: tcpdump's snapshot length
DLT_RAW = 12  #: libpcap's number for raw IP on Linux: a program that starts at the IP header
_INSTRUCTION = struct.Struct("HBBI")  # struct sock_filter: code, jt, jf, k

Instructions = list[tuple[int, int, int, int]]  #: (code, jt, jf, k) as struct sock_filter holds them


class FilterError(InputError):
    """A filter expression libpcap does not accept (its message says why)."""


def compile_program(expression: str, linktype: int) -> Any:
    """libpcap's compiled program for ``expression`` on ``linktype`` (``.filter(bytes)`` runs it)."""
    dlt = DLT_RAW if linktype == LINKTYPE_RAW else linktype  # (files name raw IP 101; libpcap, 12)
    try:
        return pcapy.compile(dlt, SNAPLEN, expression, 1, 0xFFFFFFFF)
    except pcapy.PcapError as error:
        raise FilterError(f"filter {expression!r}: {error}") from None


def compile_filter(expression: str, linktype: int = 1) -> Instructions:
    """The classic BPF program of a tcpdump expression (Ethernet unless ``linktype`` says otherwise)."""
    instructions: Instructions = compile_program(expression, linktype).get_bpf()
    return instructions


class Matcher:
    """A tcpdump expression run in this process by libpcap's interpreter (bpf_filter), as tcpdump -r
    runs it on a file: compiled once per link type met (a pcapng file may hold several)."""

    def __init__(self, expression: str, linktype: int | None = None) -> None:
        self.expression = expression
        self._programs: dict[int, Any] = {}
        if linktype is not None:
            self._program(linktype)  # a bad expression fails before anything is read or written

    def _program(self, linktype: int) -> Any:
        program = self._programs.get(linktype)
        if program is None:
            program = self._programs[linktype] = compile_program(self.expression, linktype)
        return program

    def __call__(self, linktype: int, data: bytes) -> bool:
        """Whether ``data``, a frame of ``linktype``, matches."""
        return bool(self._program(linktype).filter(data))


def attach_filter(sock: socket.socket, instructions: Instructions) -> None:
    """Attach a BPF program to a socket (SO_ATTACH_FILTER; the kernel copies it)."""
    code = b"".join(_INSTRUCTION.pack(*instruction) for instruction in instructions)
    buffer = ctypes.create_string_buffer(code)
    program = struct.pack("HL", len(instructions), ctypes.addressof(buffer))  # struct sock_fprog
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, program)


_SLL2_LENGTH = 20
#: SLL2 header fields the kernel has as ancillary loads: protocol, interface index, hatype, pkttype.
_SLL2_ANCILLARY = {0: SKF_AD_PROTOCOL, 4: SKF_AD_IFINDEX, 8: SKF_AD_HATYPE, 10: SKF_AD_PKTTYPE}
_BPF_LD, _BPF_LDX = 0x00, 0x01  # instruction classes that load
_BPF_ABS, _BPF_IND, _BPF_LEN, _BPF_MSH = 0x20, 0x40, 0x80, 0xA0  # their modes


def fix_cooked(program: Instructions) -> Instructions | None:
    """A program compiled for Linux cooked v2, made to run on a cooked socket; None if it cannot.

    A cooked packet socket's filter sees the packet from its network header, with no SLL2
    header before it: loads past the header move back by its length, and loads of its protocol,
    interface, hatype and packet type fields become the kernel's ancillary loads for them
    (libpcap's fix_program does the same). A program that reads any other header byte, or the
    packet's whole length, cannot run in the kernel: the caller filters in its own process.
    """
    fixed = []
    for code, jt, jf, k in program:
        if code & 0x07 in (_BPF_LD, _BPF_LDX):
            mode = code & 0xE0
            if mode == _BPF_LEN:
                return None
            if mode in (_BPF_ABS, _BPF_IND, _BPF_MSH) and k < 1 << 31:  # (an ancillary load is < 0)
                if k >= _SLL2_LENGTH:
                    k -= _SLL2_LENGTH
                elif mode == _BPF_ABS and k in _SLL2_ANCILLARY:
                    k = (SKF_AD_OFF + _SLL2_ANCILLARY[k]) & 0xFFFFFFFF
                else:
                    return None
        fixed.append((code, jt, jf, k))
    return fixed
