"""The sockets of an exchange (rawnet.net.exchange): the listener armed before anything leaves,
with its kernel filter, and the senders at layer 3 and layer 2.

What a listener lets through is what may answer the probes: ICMP and ICMPv6, IP traffic from the
probes' destinations, ARP for ARP probes; the caller's filter must hold too. Nothing here sends
by itself or matches anything: the engine does.
"""

from __future__ import annotations

import contextlib
import random
import socket
import time
from collections.abc import Iterable, Sequence

from rawnet.errors import PacketTooBigError, RawnetError
from rawnet.net.bpf import DLT_RAW, attach_filter, compile_filter
from rawnet.net.exchange import Link, Query
from rawnet.net.linux import ETH_P_ALL, SO_RCVBUFFORCE
from rawnet.net.matching import network_layer, wire_destination
from rawnet.net.routes import path_mtu
from rawnet.net.sockets import RawSocket
from rawnet.wire import ARP, IP, IPv6, Layer, fragment

#: With more destinations than this, the listener's filter lets all of IP through.
_FILTER_HOSTS = 64
_DF = 2  # IPv4's Don't Fragment flag
SOL_PACKET, PACKET_IGNORE_OUTGOING = 263, 23  # (linux/if_packet.h; Linux 4.20 and later)


def reply_filter(probes: Iterable[Layer], *, link: bool) -> str | None:
    """A tcpdump expression letting through what may answer ``probes``: ICMP and ICMPv6 (errors
    and neighbour discovery) and IP traffic from their destinations; ARP for ARP probes (at
    layer 2, ``link``). None: anything may (a probe of another kind)."""
    hosts: set[str] = set()
    arp = other = False
    for probe in probes:
        if ARP in probe:
            arp = True
            continue
        try:
            hosts.add(str(network_layer(probe).dst))  # type: ignore[attr-defined]
        except RawnetError:
            other = True
    if other or (arp and not link):
        return None
    parts = ["arp"] if arp else []
    if hosts:
        parts.append("icmp or icmp6")
        if len(hosts) <= _FILTER_HOSTS:
            parts.extend(f"src host {host}" for host in sorted(hosts))
        else:
            parts.append("ip or ip6")
    return " or ".join(parts) if parts else None


def _attach(sock: RawSocket, auto: str | None, given: str | None, linktype: int) -> None:
    """The listener's kernel filter: rawnet's (``auto``) and the caller's (``given``) both hold."""
    expression = " and ".join(f"({part})" for part in (auto, given) if part)
    if expression:
        attach_filter(sock.socket, compile_filter(expression, linktype))


def reply_listener(
    probes: Iterable[Layer],
    netns: str | None = None,
    *,
    iface: str | None = None,
    filter: str | None = None,
    nofilter: bool = False,
    buffer: int = 0,
    outgoing: bool = True,
) -> RawSocket:
    """A cooked packet socket seeing the IP traffic of every interface (``iface``'s only, when
    given) that may answer ``probes`` (reply_filter, and the caller's ``filter``; ``nofilter``:
    only the caller's). ``buffer``: a receive buffer of that many bytes where the kernel allows
    (room for a burst of answers). ``outgoing`` False: the kernel keeps the packets leaving this
    host (our own probes among them) from it (PACKET_IGNORE_OUTGOING, where the kernel has it),
    half the packets to read when every probe is answered."""
    listener = RawSocket.l2_cooked(iface or "", ETH_P_ALL, netns=netns)
    try:
        probes = list(probes)
        _attach(listener, None if nofilter else reply_filter(probes, link=False), filter, DLT_RAW)
        if buffer:
            with contextlib.suppress(OSError):
                listener.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, buffer)
        if not outgoing:
            with contextlib.suppress(OSError):  # (an older kernel: they come, and the exchange skips them)
                listener.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except BaseException:
        listener.close()
        raise
    return listener


def layer3_sender(
    network: Layer, netns: str | None, iface: str | None = None, *, broadcast: bool = True
) -> RawSocket:
    """A socket sending ``network``'s family with our own IP header: IP_HDRINCL (IPv4), IPPROTO_RAW
    (IPv6); bound to ``iface`` (SO_BINDTODEVICE) when given. ``broadcast``: an IPv4 one may send
    to a broadcast address (SO_BROADCAST, as scapy's send() and hping3 do; ping asks for -b)."""
    if isinstance(network, IP):
        sock = RawSocket.l3_hdrincl(netns=netns)
        if broadcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    else:
        sock = RawSocket.l3(socket.IPPROTO_RAW, family=socket.AF_INET6, netns=netns)
    if iface is not None:
        try:
            sock.bind_to_device(iface)
        except BaseException:
            sock.close()
            raise
    return sock


class Senders:
    """Layer-3 senders (layer3_sender), one per IP version, opened when first needed; each
    socket is added to ``sockets`` (the caller closes them).

    A packet longer than its route's MTU (the kernel says EMSGSIZE: raw sockets never fragment)
    goes out as fragments (rawnet.fragment()) of that MTU, as scapy's auto_fragment and ping do;
    an IPv4 one with Don't Fragment set stays a PacketTooBigError.
    """

    def __init__(
        self, netns: str | None, iface: str | None, sockets: list[RawSocket], *, broadcast: bool = True
    ) -> None:
        self.netns, self.iface, self.sockets = netns, iface, sockets
        self.broadcast = broadcast
        self.by_version: dict[type, RawSocket] = {}
        self._mtus: dict[str, int] = {}  # destination -> its route's MTU, once a packet was too long

    def open(self, packet: Layer) -> RawSocket:
        """The sender for ``packet``'s IP version."""
        network = network_layer(packet)
        sender = self.by_version.get(type(network))
        if sender is None:
            sender = self.by_version[type(network)] = layer3_sender(
                network, self.netns, self.iface, broadcast=self.broadcast
            )
            self.sockets.append(sender)
        return sender

    def send(self, packet: Layer, stamp: Layer | Query | None = None) -> int:
        """Send ``packet``'s IP layer with its header as given (0: dropped, the queue was full);
        as fragments when it is longer than the MTU (``stamp``'s ``sent_time`` is then set again
        as the first one leaves: the MTU was looked up after it was set)."""
        sender = self.open(packet)
        network = network_layer(packet)
        try:
            return sender.send(network)
        except PacketTooBigError:
            if isinstance(network, IP) and int(network.flags) & _DF:
                raise
            pieces = self.fragments(network)
            if stamp is not None:
                stamp.sent_time = time.time()
            return sum(sender.send(piece) for piece in pieces)

    def fragments(self, network: Layer) -> list[Layer]:
        """``network`` cut into fragments that fit its route's MTU (an IPv4 id of 0, which the kernel
        would fill anew in each fragment, becomes one random id for all)."""
        dst = str(network.dst)  # type: ignore[attr-defined]
        mtu = self._mtus.get(dst)
        if mtu is None:
            mtu = self._mtus[dst] = path_mtu(dst, self.netns, self.iface)
        if isinstance(network, IP) and not network.id:
            network = network.copy()
            network.id = random.randrange(1, 0x10000)
        size = (mtu - (20 if isinstance(network, IP) else 48)) // 8 * 8  # (IPv6: + a Fragment header)
        while True:  # (IPv4 options, IPv6 headers repeated in each fragment: smaller again)
            pieces = fragment(network, size)
            longest = max(len(bytes(piece)) for piece in pieces)
            if longest <= mtu or size <= 8:
                return pieces
            size -= (longest - mtu + 7) // 8 * 8

    def transmit(self, query: Query) -> None:
        """A Link's transmit: the query's ``match`` (its completed network packet) goes out; a query
        given as bytes (Query.from_wire) goes out as they are, built only to be cut into fragments."""
        wire = query.wire
        if wire is None:
            self.send(query.match, query)
            return
        ipv4 = wire[0] >> 4 == 4
        sender = self.by_version.get(IP if ipv4 else IPv6) or self.open(query.match)
        destination = socket.inet_ntop(socket.AF_INET if ipv4 else socket.AF_INET6, wire_destination(wire))
        try:
            sender.sendto(wire, destination)
        except PacketTooBigError:
            self.send(query.match, query)  # (as fragments, or the error of a probe with DF)


def layer3_link(
    probes: Sequence[Layer],
    *,
    netns: str | None = None,
    iface: str | None = None,
    filter: str | None = None,
    nofilter: bool = False,
    buffer: int = 0,
    broadcast: bool = True,
    outgoing: bool = True,
) -> Link:
    """The listener for ``probes`` (reply_listener) and senders of IP packets with their headers
    as given (out of ``iface`` only, when given; the listener then hears that interface only);
    ``broadcast``: the IPv4 sender may send to a broadcast address (SO_BROADCAST); ``outgoing``
    False: the listener does not see packets leaving (reply_listener)."""
    listener = reply_listener(
        probes, netns, iface=iface, filter=filter, nofilter=nofilter, buffer=buffer, outgoing=outgoing
    )
    sockets = [listener]
    senders = Senders(netns, iface, sockets, broadcast=broadcast)
    if probes:  # (opened now: a missing privilege shows before anything is sent)
        try:
            senders.open(probes[0])
        except BaseException:
            listener.close()
            raise
    return Link(listener, senders.transmit, sockets)


def layer2_link(
    iface: str,
    probes: Sequence[Layer],
    *,
    netns: str | None = None,
    filter: str | None = None,
    nofilter: bool = False,
) -> Link:
    """One AF_PACKET socket on ``iface``, sending the frames and hearing what may answer them."""
    sock = RawSocket.l2(iface, netns=netns)
    try:
        _attach(sock, None if nofilter else reply_filter(probes, link=True), filter, 1)
    except BaseException:
        sock.close()
        raise
    return Link(sock, lambda query: sock.send(query.packet), [sock])
