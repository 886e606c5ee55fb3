"""Raw sockets at every layer Linux offers: one named constructor per mode of the raw-socket post's table.

- ``RawSocket.l3(proto)``: AF_INET/AF_INET6 SOCK_RAW; you write the transport header and data,
  the kernel writes the IP header.
- ``RawSocket.l3_hdrincl()``: AF_INET SOCK_RAW with IP_HDRINCL (IPPROTO_RAW); you write the IP
  header too, the kernel still fills total length and checksum, and source and id when 0.
- ``RawSocket.l2(iface)``: AF_PACKET SOCK_RAW; you write the Ethernet header too.
- ``RawSocket.l2_cooked(iface)``: AF_PACKET SOCK_DGRAM; you write the network packet, the kernel
  writes the link header from sockaddr_ll.

raw(7) rewrites the IPv4 header of IP_HDRINCL sockets, so a byte-exact header (a wrong checksum
on purpose) needs a layer-2 socket. Receiving returns the decoded packet with where it came from.
Every send goes through one error policy (send_error): the kernel's refusals become rawnet
errors naming the fix; a full queue (ENOBUFS) drops the packet, as a wire would.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import socket
import struct
import sys
import time
from types import TracebackType
from typing import Any

from pyroute2 import netns as _netns

from rawnet.errors import (
    InputError,
    InterfaceError,
    PacketTooBigError,
    PrivilegeError,
    RawnetError,
    SendError,
)
from rawnet.net.linux import (
    ETH_P_8021Q,
    ETH_P_ALL,
    ETH_P_IP,
    ETHERNET_HATYPES,
    IP_HDRINCL,
    IPPROTO_RAW,
    PACKET_AUXDATA,
    PACKET_TYPES,
    SIOCGIFINDEX,
    SO_TIMESTAMPNS,
    SOL_PACKET,
    TIMESPEC,
    TP_STATUS_VLAN_TPID_VALID,
    TP_STATUS_VLAN_VALID,
    TPACKET_AUXDATA,
)
from rawnet.net.routes import source_for
from rawnet.wire import IP, Ether, IPv6, Layer, Raw
from rawnet.wire.registry import ETHERTYPE, IP_PROTOCOL, LAYERS

_FIX_PRIVILEGE = (
    "needs CAP_NET_RAW: run as root, or grant it with "
    "`sudo setcap cap_net_raw+ep $(readlink -f $(which python3))`"
)


class Received:
    """A packet as a socket received it, with where and when; decoded when first looked at."""

    __slots__ = ("_packet", "data", "direction", "interface", "length", "link", "start", "timestamp_ns")

    def __init__(
        self,
        data: bytes,
        start: type[Layer],
        interface: str | None,
        direction: str | None,
        timestamp_ns: int,
        link: tuple[int, int, int, bytes] | None = None,
    ) -> None:
        #: The bytes received.
        self.data = data
        #: The layer the bytes begin with (Ether when they hold the link header, else IP, IPv6, ARP...).
        self.start = start
        self._packet: Layer | None = None
        #: The interface it came in on (layer-2 sockets), else None.
        self.interface = interface
        #: "host", "broadcast", "multicast", "otherhost" or "outgoing" (layer-2 sockets), else None.
        self.direction = direction
        #: When the kernel received it, in nanoseconds (SO_TIMESTAMPNS; time.time_ns()'s clock).
        self.timestamp_ns = timestamp_ns
        #: Bytes received.
        self.length = len(data)
        #: Packet sockets: sockaddr_ll's (protocol, pkttype, hatype, address), what a Linux cooked
        #: (SLL2) capture header records; else None.
        self.link = link

    @property
    def timestamp(self) -> float:
        """When the kernel received it, in seconds (time.time()'s clock; scapy's pkt.time)."""
        return self.timestamp_ns / 1_000_000_000  # (int / int: the nearest float)

    @property
    def packet(self) -> Layer:
        """The decoded packet (leniently: what does not decode stays as bytes), decoded once.

        It carries scapy's receive metadata: ``time`` (the kernel's receive time), ``sniffed_on``,
        ``direction`` (sll_pkttype: 0 host ... 4 outgoing; None off a packet socket), ``wirelen``.
        """
        packet = self._packet
        if packet is None:
            packet = self._packet = self.start.decode(self.data, lenient=True)
            packet.time = self.timestamp_ns / 1_000_000_000  # (int / int: the nearest float)
            packet.sniffed_on = self.interface
            packet.direction = None if self.link is None else self.link[1]
            packet.wirelen = self.length
        return packet

    def __repr__(self) -> str:
        return (
            f"<Received {self.length} bytes on {self.interface} ({self.direction}): {self.packet.summary()}>"
        )


def _open(family: int, kind: int, proto: int, netns: str | None) -> socket.socket:
    try:
        if netns is not None:
            made: socket.socket = _netns.create_socket(netns, family, kind, proto)
        else:
            made = socket.socket(family, kind, proto)
    except PermissionError:
        raise PrivilegeError(f"a raw socket ({_describe(family, kind)}) {_FIX_PRIVILEGE}") from None
    made.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)  # the kernel's receive time, per packet
    return made


#: recvmsg's room for the receive time, and a layer-2 socket's PACKET_AUXDATA after it.
ANCILLARY = socket.CMSG_SPACE(TIMESPEC.size) + socket.CMSG_SPACE(TPACKET_AUXDATA.size)
_timespec = TIMESPEC.unpack_from
_auxdata = TPACKET_AUXDATA.unpack_from
_tag = struct.Struct("!HH").pack
_STATUS_BYTE = 0 if sys.byteorder == "little" else 3  # tp_status's low byte, in host order
_SOL_SOCKET = socket.SOL_SOCKET
_AF_PACKET = socket.AF_PACKET
_PACKET_TYPES = PACKET_TYPES


def kernel_time(ancillary: list[tuple[int, int, bytes]]) -> int:
    """The receive time in recvmsg's ancillary data (SO_TIMESTAMPNS), else now: nanoseconds.

    SO_TIMESTAMPNS comes first (a layer-2 socket's PACKET_AUXDATA after it).
    """
    if ancillary:
        level, kind, value = ancillary[0]
        if kind == SO_TIMESTAMPNS and level == _SOL_SOCKET and len(value) >= 16:
            seconds, nanoseconds = _timespec(value)
            return seconds * 1_000_000_000 + nanoseconds  # type: ignore[no-any-return]
    return time.time_ns()


def vlan_restored(data: bytes, ancillary: list[tuple[int, int, bytes]]) -> bytes:
    """The frame with the 802.1Q tag the kernel took out of it put back, as libpcap does.

    Linux strips a received frame's VLAN tag before packet sockets see it (skb_vlan_untag) and
    hands it over as PACKET_AUXDATA, which a layer-2 socket asks for; it comes after the time.
    """
    if len(ancillary) > 1:
        level, kind, value = ancillary[1]
        # (untagged, the common case: the status's VLAN bit and the tag's two bytes are all 0)
        tagged = len(value) >= 20 and (value[_STATUS_BYTE] & TP_STATUS_VLAN_VALID or value[16] or value[17])
        if tagged and kind == PACKET_AUXDATA and level == SOL_PACKET:
            status, _, _, _, _, tci, tpid = _auxdata(value)
            if not status & TP_STATUS_VLAN_TPID_VALID:
                tpid = ETH_P_8021Q
            return data[:12] + _tag(tpid, tci) + data[12:]
    return data


def _wake(waiting: asyncio.Future[None]) -> None:
    """An event loop's reader callback: the socket has something to read."""
    if not waiting.done():
        waiting.set_result(None)


def _describe(family: int, kind: int) -> str:
    return f"{socket.AddressFamily(family).name} {socket.SocketKind(kind).name}"


def send_error(
    error: OSError,
    size: int,
    interface: str | None = None,
    dst: str | None = None,
    *,
    broadcast: bool | None = None,
) -> SendError | None:
    """What a failed send means, as a rawnet error naming the fix; None for a full queue (ENOBUFS:
    the packet is dropped, as a wire drops it). Every sender of rawnet applies this one policy.

    ``broadcast``: whether the socket had SO_BROADCAST set (None: not known). EACCES is never a
    missing privilege: the kernel says it for a broadcast destination without SO_BROADCAST, and
    for a route that prohibits the destination (``ip route add prohibit``)."""
    code = error.errno
    if code == errno.ENOBUFS:
        return None
    if code == errno.EMSGSIZE:
        where = f" of {interface}" if interface else ""
        return PacketTooBigError(
            f"a packet of {size} bytes is longer than the MTU{where}: cut it with rawnet.fragment()", code
        )
    to = f" to {dst}" if dst else ""
    if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return SendError(f"no route{to}: see `ip route`", code)
    if code == errno.EACCES:
        if broadcast is None:
            cause = "a broadcast needs SO_BROADCAST, or a prohibit route or firewall rule refuses it"
        elif broadcast:
            cause = "not a privilege (SO_BROADCAST is set): a prohibit route or firewall rule refuses it"
        else:
            cause = (
                "a broadcast address needs SO_BROADCAST (else a prohibit route or firewall rule refuses it)"
            )
        return SendError(f"sending{to} was refused ({error.strerror}): {cause}", code)
    if code == errno.EPERM:
        return SendError(f"sending{to} was refused ({error.strerror}): a firewall rule drops it?", code)
    return SendError(f"cannot send{to}: {error.strerror or error}", code)


class RawSocket:
    """One raw socket in one of the four modes; use the named constructors."""

    def __init__(
        self, sock: socket.socket, mode: str, *, family: int, proto: int, interface: str | None
    ) -> None:
        self.socket = sock
        self.mode = mode
        self.family = family
        self.proto = proto
        self.interface = interface
        self._netns: str | None = None
        #: Layer 2 on an interface whose frames begin with an Ethernet header (not tun, not raw IP).
        self._ethernet = False

    # -- the four modes --------------------------------------------------------------------
    @classmethod
    def l3(
        cls, proto: int = socket.IPPROTO_TCP, *, family: int = socket.AF_INET, netns: str | None = None
    ) -> RawSocket:
        """Mode 1: you send the transport header and data, the kernel writes the IP header."""
        raw = cls(
            _open(family, socket.SOCK_RAW, proto, netns), "l3", family=family, proto=proto, interface=None
        )
        raw._netns = netns
        return raw

    @classmethod
    def l3_hdrincl(cls, proto: int = IPPROTO_RAW, *, netns: str | None = None) -> RawSocket:
        """Mode 2: you send the IPv4 header too (IP_HDRINCL; IPPROTO_RAW implies it and cannot receive)."""
        sock = _open(socket.AF_INET, socket.SOCK_RAW, proto, netns)
        if proto != IPPROTO_RAW:
            sock.setsockopt(socket.IPPROTO_IP, IP_HDRINCL, 1)
        raw = cls(sock, "l3_hdrincl", family=socket.AF_INET, proto=proto, interface=None)
        raw._netns = netns
        return raw

    @classmethod
    def l2(cls, interface: str, proto: int = ETH_P_ALL, *, netns: str | None = None) -> RawSocket:
        """Mode 3: you send whole Ethernet frames on ``interface`` (AF_PACKET SOCK_RAW)."""
        return cls._packet(socket.SOCK_RAW, "l2", interface, proto, netns)

    @classmethod
    def l2_cooked(cls, interface: str, proto: int = ETH_P_IP, *, netns: str | None = None) -> RawSocket:
        """Mode 4: you send network packets; the kernel writes the link header (AF_PACKET SOCK_DGRAM)."""
        return cls._packet(socket.SOCK_DGRAM, "l2_cooked", interface, proto, netns)

    @classmethod
    def _packet(cls, kind: int, mode: str, interface: str, proto: int, netns: str | None) -> RawSocket:
        sock = _open(socket.AF_PACKET, kind, socket.htons(proto), netns)
        if kind == socket.SOCK_RAW:  # the VLAN tags the kernel takes out of received frames
            sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        if not interface:  # unbound: it receives from every interface (it cannot send)
            raw = cls(sock, mode, family=socket.AF_PACKET, proto=proto, interface=None)
            raw._netns = netns
            return raw
        try:
            sock.bind((interface, proto))
        except OSError as error:
            sock.close()
            if error.errno == errno.ENODEV:
                where = f" in namespace {netns}" if netns else ""
                raise InterfaceError(f"no interface named {interface!r}{where}: see `ip link`") from None
            raise
        raw = cls(sock, mode, family=socket.AF_PACKET, proto=proto, interface=interface)
        raw._netns = netns
        raw._ethernet = kind == socket.SOCK_RAW and sock.getsockname()[3] in ETHERNET_HATYPES
        return raw

    # -- sending ---------------------------------------------------------------------------
    def send(self, packet: Layer | bytes, dst: str | None = None, *, dst_mac: str | None = None) -> int:
        """Send ``packet`` (see _send for what each mode takes); returns the bytes sent (0: the
        queue was full and the packet dropped). A refusal is a SendError naming the fix."""
        if self._ethernet and isinstance(packet, Layer) and not isinstance(packet, Ether):
            raise InputError(
                f"an l2 socket on {self.interface} sends whole Ethernet frames, and this packet begins "
                f"with {type(packet).__name__}: put Ether() in front (sendp() fills its addresses), or "
                "send it with RawSocket.l2_cooked() or send()"
            )
        try:
            return self._send(packet, dst, dst_mac)
        except OSError as error:
            if isinstance(error, SendError):
                raise
            size = len(packet) if isinstance(packet, bytes) else len(bytes(packet))
            failure = send_error(
                error, size, self.interface, dst or _destination(packet), broadcast=self._broadcast()
            )
            if failure is None:
                return 0
            raise failure from None

    def sendto(self, data: bytes, dst: str) -> int:
        """send(data, dst) for a layer-3 socket's hot loop: ``data`` as send() takes it in this mode,
        as bytes, to ``dst``; the same error policy, none of send()'s checks of a Layer."""
        try:
            return self.socket.sendto(data, (dst, 0))
        except OSError as error:
            failure = send_error(error, len(data), self.interface, dst, broadcast=self._broadcast())
            if failure is None:
                return 0
            raise failure from None

    def _send(self, packet: Layer | bytes, dst: str | None, dst_mac: str | None) -> int:
        """Send ``packet``; returns the bytes sent.

        l3: a transport layer (its checksum gets the pseudo-header of the route the kernel picks
        for ``dst``), or an IP/IPv6 packet whose header is dropped (its dst is used).
        l3_hdrincl: an IPv4 packet. l2: an Ethernet frame. l2_cooked: a network packet sent to
        ``dst_mac`` (broadcast when None).
        """
        if self.mode == "l3":
            if self.proto == IPPROTO_RAW:  # (IPv6 IPPROTO_RAW: the packet brings its IPv6 header)
                dst = dst or _destination(packet)
                if dst is None:
                    raise RawnetError("an IPPROTO_RAW socket sends IP packets: give one, or send(data, dst)")
                return self.socket.sendto(bytes(packet), (dst, 0))
            data, address = self._l3_payload(packet, dst)
            return self.socket.sendto(data, (address, 0))
        if self.mode == "l3_hdrincl":
            if isinstance(packet, Layer) and dst is None:
                dst = packet[IP].dst
            return self.socket.sendto(bytes(packet), (dst or "0.0.0.0", 0))
        if self.mode == "l2":
            return self.socket.send(bytes(packet))
        mac = bytes.fromhex((dst_mac or "ff:ff:ff:ff:ff:ff").replace(":", ""))
        assert self.interface is not None
        return self.socket.sendto(bytes(packet), (self.interface, self.proto, 0, 0, mac))

    def _l3_payload(self, packet: Layer | bytes, dst: str | None) -> tuple[bytes, str]:
        network: type[Layer] = IP if self.family == socket.AF_INET else IPv6
        if isinstance(packet, Layer) and isinstance(packet, network):
            dst = dst or str(packet.dst)  # type: ignore[attr-defined]
            inner = packet.payload
            packet = inner if inner is not None else b""
        if dst is None:
            raise RawnetError("an l3 socket needs a destination: send(packet, dst) or an IP layer")
        if isinstance(packet, bytes):
            return packet, dst
        # The checksum's pseudo-header needs the source the kernel will choose: ask its routes.
        src = source_for(dst, self.family, self._netns)
        wire = bytes(network(src=src, dst=dst) / packet)
        return wire[20 if self.family == socket.AF_INET else 40 :], dst

    # -- receiving -------------------------------------------------------------------------
    def recv(self, bufsize: int = 65535) -> Received:
        """The next packet, decoded (leniently: what does not decode stays as bytes)."""
        data, ancillary, _, address = self.socket.recvmsg(bufsize, ANCILLARY)  # (recv_timed, inline)
        return self._received(vlan_restored(data, ancillary), address, kernel_time(ancillary))

    def recv_timed(self, bufsize: int = 65535) -> tuple[bytes, Any, int]:
        """The next packet's bytes, address and kernel receive time (ns), undecoded (for capture loops)."""
        data, ancillary, _, address = self.socket.recvmsg(bufsize, ANCILLARY)
        return vlan_restored(data, ancillary), address, kernel_time(ancillary)

    def _received(self, data: bytes, address: Any, now: int) -> Received:
        if self.family == _AF_PACKET:  # (a capture's hot path)
            direction = _PACKET_TYPES.get(address[2]) or str(address[2])
            if self.mode == "l2" and address[3] in ETHERNET_HATYPES:
                return Received(data, Ether, address[0], direction, now, address[1:5])
            # cooked sockets, and interfaces without an Ethernet header: by the protocol number
            start = LAYERS.lookup(ETHERTYPE, address[1]) or Raw
            return Received(data, start, address[0], direction, now, address[1:5])
        if self.family == socket.AF_INET:
            return Received(data, IP, None, None, now)  # IPv4 raw sockets receive the IP header
        start = LAYERS.lookup(IP_PROTOCOL, self.proto) or Raw  # IPv6 ones do not
        return Received(data, start, None, None, now)

    # -- asyncio ---------------------------------------------------------------------------
    async def arecv(self, bufsize: int = 65535) -> Received:
        """recv() for asyncio: ``await sock.arecv()`` (the socket becomes non-blocking).

        It reads as recv() does (recvmsg: the kernel's receive time, a VLAN tag put back).
        """
        self.socket.setblocking(False)
        loop = asyncio.get_running_loop()
        while True:
            try:
                data, address, stamp = self.recv_timed(bufsize)
            except BlockingIOError:
                readable: asyncio.Future[None] = loop.create_future()
                descriptor = self.socket.fileno()
                loop.add_reader(descriptor, _wake, readable)
                try:
                    await readable
                finally:
                    loop.remove_reader(descriptor)
                continue
            return self._received(data, address, stamp)

    async def asend(
        self, packet: Layer | bytes, dst: str | None = None, *, dst_mac: str | None = None
    ) -> int:
        """send() for asyncio. Raw sockets do not block on send; an l3 socket sending a transport
        layer asks the kernel's routes for its checksum's source first (netlink), in a worker
        thread, so the event loop never waits on it."""
        if self.mode == "l3" and self.proto != IPPROTO_RAW and isinstance(packet, Layer):
            return await asyncio.to_thread(self.send, packet, dst, dst_mac=dst_mac)
        return self.send(packet, dst, dst_mac=dst_mac)

    # -- the socket itself -----------------------------------------------------------------
    def _broadcast(self) -> bool | None:
        """Whether SO_BROADCAST is set (None: an IPv6 or packet socket, where it means nothing)."""
        if self.family != socket.AF_INET:
            return None
        try:
            return bool(self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST))
        except OSError:
            return None

    def bind_to_device(self, interface: str) -> None:
        """Send only out of ``interface`` and receive only from it (SO_BINDTODEVICE), as ping -I."""
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        except OSError as error:
            if error.errno == errno.ENODEV:
                raise InterfaceError(f"no interface named {interface!r}: see `ip link`") from None
            raise
        self.interface = interface

    def index_of(self, interface: str) -> int:
        """The index of ``interface`` in this socket's namespace (0 when there is none by that name)."""
        request = struct.pack("16si12x", interface.encode()[:15], 0)  # struct ifreq
        try:
            return int(struct.unpack_from("16si", fcntl.ioctl(self.socket, SIOCGIFINDEX, request))[1])
        except OSError:
            return 0

    def fileno(self) -> int:
        """The file descriptor (for select/poll)."""
        return self.socket.fileno()

    def setsockopt(self, level: int, option: int, value: Any) -> None:
        """socket.setsockopt on the underlying socket."""
        self.socket.setsockopt(level, option, value)

    def settimeout(self, seconds: float | None) -> None:
        """Blocking (None), with a timeout (recv raises TimeoutError), or non-blocking (0)."""
        self.socket.settimeout(seconds)

    def setblocking(self, blocking: bool) -> None:
        """Non-blocking (False): recv raises BlockingIOError when nothing is waiting."""
        self.socket.setblocking(blocking)

    def gettimeout(self) -> float | None:
        """None when blocking, 0.0 when non-blocking, else the timeout in seconds."""
        return self.socket.gettimeout()

    def close(self) -> None:
        """Close the socket."""
        self.socket.close()

    def __enter__(self) -> RawSocket:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _destination(packet: Layer | bytes) -> str | None:
    """The destination address of ``packet``'s IP or IPv6 header, if it begins with one."""
    if isinstance(packet, IP | IPv6):
        return str(packet.dst)
    return None


__all__ = ["InterfaceError", "RawSocket", "Received", "send_error", "source_for"]
