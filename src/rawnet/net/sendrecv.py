"""send/sr/sr1 at layer 3 and sendp/srp/srp1 at layer 2, with scapy's names, call shapes and results.

``ans, unans = sr(...)`` as in scapy: a SndRcvList of (query, answer) and a PacketList of the
queries nobody answered; sr1 and srp1 give the answer itself. Every exchange runs on the engine
of rawnet.net.exchange (listener armed first, kernel filter, matching, timeouts, retries). What
this module adds is what the kernel's tables say about a packet: the source address an unset
one gets (the routes), and at layer 2 the MACs (the interface's; the next hop's, from the
neighbour table or asked with ARP or neighbour discovery; a multicast group's, RFC 1112 and RFC
2464). Layer 2 on a loopback interface has no Ethernet peer: frames meant for one go out at
layer 3 instead (see sendp).

Defaults where rawnet and scapy could differ (docs/guide.md): ``timeout=2`` seconds (scapy's
None, wait until every query is answered, is still there to ask for), and ``verbose=0``: quiet,
as a library is; verbose=1 prints scapy's "Begin emission" lines, 2 its marks too.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal, overload

from rawnet.errors import RawnetError
from rawnet.net.exchange import Exchange, Interrupted, Link, Query, pace
from rawnet.net.links import Senders, layer2_link, layer3_link, reply_listener
from rawnet.net.matching import answers_frame, network_layer
from rawnet.net.routes import interface_ipv4, interface_mac, is_loopback, neighbour_mac, next_hop, source_for
from rawnet.net.sockets import RawSocket
from rawnet.wire import (
    ARP,
    IP,
    Ether,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    Layer,
    PacketList,
    SndRcvList,
)

_BROADCAST = "ff:ff:ff:ff:ff:ff"


class Results(tuple[SndRcvList, PacketList]):
    """What sr() and srp() return: scapy's pair ``(ans, unans)``, with rawnet's extras.

    ``ans`` is a SndRcvList of (query, answer) in the order the answers came; ``unans`` a
    PacketList of the queries nobody answered. Each query carries ``sent_time``, each answer
    ``time`` (the kernel's receive time), ``sniffed_on``, ``direction`` and ``wirelen``.
    """

    #: Packets taken by the listener (answers included; our own packets not).
    received: int
    #: With debug=True: why each reply that answered nothing was turned down.
    rejected: list[str]

    def __new__(
        cls, answered: SndRcvList, unanswered: PacketList, *, received: int = 0, rejected: Iterable[str] = ()
    ) -> Results:
        made = super().__new__(cls, (answered, unanswered))
        made.received = received
        made.rejected = list(rejected)
        return made

    def __getnewargs__(self) -> tuple[SndRcvList, PacketList]:
        return self[0], self[1]

    @property
    def answered(self) -> SndRcvList:
        """``ans``: the (query, answer) pairs."""
        return self[0]

    @property
    def unanswered(self) -> PacketList:
        """``unans``: the queries nobody answered."""
        return self[1]

    @staticmethod
    def rtt(query: Layer, answer: Layer) -> float:
        """Seconds from ``query`` leaving (the last time, with retries) to ``answer`` arriving."""
        return (answer.time or 0.0) - (query.sent_time or 0.0)


# -- what the kernel's tables fill in ------------------------------------------------------------


def _expand(packets: Layer | Iterable[Layer]) -> list[Layer]:
    """Each packet of ``packets`` (a packet set gives its members), as a copy of its own with a
    value drawn for each random field (the query sent is the query matched and returned)."""
    listed = list(packets) if isinstance(packets, Layer) else [each for packet in packets for each in packet]
    return [packet._drawn() or packet.copy() for packet in listed]


def _complete(packet: Layer, netns: str | None, iface: str | None = None) -> Layer:
    """``packet`` with the source address the kernel's routes pick (out of ``iface``) when it has none."""
    network = network_layer(packet)
    if network._values()[type(network).slot.src] is not None:
        return packet
    family = socket.AF_INET if isinstance(network, IP) else socket.AF_INET6
    network.src = source_for(str(network.dst), family, netns, iface)  # type: ignore[attr-defined]
    return packet


def group_mac(address: str) -> str | None:
    """The Ethernet address of an IP multicast group or the IPv4 broadcast, else None.

    IPv4: 01:00:5e and the group's low 23 bits (RFC 1112 6.4); IPv6: 33:33 and its last 32 bits
    (RFC 2464 7).
    """
    ip = ipaddress.ip_address(address)
    if ip.version == 4 and int(ip) == 0xFFFFFFFF:
        return _BROADCAST
    if not ip.is_multicast:
        return None
    if ip.version == 4:
        return "01:00:5e:" + (int(ip) & 0x7FFFFF).to_bytes(3, "big").hex(":")
    return "33:33:" + ip.packed[-4:].hex(":")


def solicitation(target: str, source: str, mac: str) -> Layer:
    """A neighbour solicitation for ``target`` from ``source``/``mac``, to its solicited-node group.

    RFC 4861 7.2.2; the group is ff02::1:ffXX:XXXX (RFC 4291 2.7.1), its MAC from group_mac.
    """
    low = socket.inet_pton(socket.AF_INET6, target)[-3:]
    group = socket.inet_ntop(socket.AF_INET6, bytes.fromhex("ff0200000000000000000001ff") + low)
    return (
        Ether(src=mac, dst=group_mac(group))
        / IPv6(src=source, dst=group, hlim=255)
        / ICMPv6ND_NS(tgt=target)
        / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    )


def resolve_mac(address: str, interface: str, *, netns: str | None = None, timeout: float = 1.0) -> str:
    """The MAC for ``address`` on ``interface``: the neighbour table, else ARP or neighbour discovery.

    Never a silent broadcast: an address nobody answers for is an error.
    """
    known = neighbour_mac(address, interface, netns)
    if known is not None:
        return known
    mac = interface_mac(interface, netns)
    if ":" in address:
        request = solicitation(address, source_for(address, socket.AF_INET6, netns, interface), mac)
    else:
        request = Ether(src=mac, dst=_BROADCAST) / ARP(
            hwsrc=mac, psrc=interface_ipv4(interface, netns), pdst=address
        )
    reply = srp1(request, interface, netns=netns, timeout=timeout)
    if reply is not None:
        if ARP in reply:
            return str(reply[ARP].hwsrc)
        if ICMPv6NDOptDstLLAddr in reply:
            return str(reply[ICMPv6NDOptDstLLAddr].lladdr)
        return str(reply[Ether].src)
    raise RawnetError(
        f"cannot resolve the MAC of {address} on {interface}: no neighbour answered "
        "(is it up and on that link? or give the frame Ether(dst=...))"
    )


def _complete_frame(frame: Layer, interface: str, netns: str | None) -> Layer:
    """``frame`` with what is unset filled: the IP source (the route's), the ARP sender (the
    interface's), the source MAC (the interface's) and the destination MAC: a group's, the
    broadcast for ARP and broadcast addresses, else the kernel's next hop's (the host itself when
    on the link, else the gateway of its route)."""
    if not isinstance(frame, Ether):
        return frame
    if IP in frame or IPv6 in frame:
        _complete(frame, netns, interface)
    link: Any = frame
    if ARP in frame:
        arp: Any = frame[ARP]
        if arp._values()[ARP.slot.hwsrc] is None:
            arp.hwsrc = interface_mac(interface, netns)
        if arp._values()[ARP.slot.psrc] is None:
            arp.psrc = interface_ipv4(interface, netns)
    values = frame._values()
    if values[Ether.slot.src] is None:
        link.src = interface_mac(interface, netns)
    if values[Ether.slot.dst] is None:
        if ARP in frame:
            link.dst = _BROADCAST  # who-has goes to everybody: that is what it is for
        else:
            destination = str(network_layer(frame).dst)  # type: ignore[attr-defined]
            mac = group_mac(destination)
            if mac is None:
                hop = next_hop(destination, netns)
                mac = _BROADCAST if hop.broadcast else resolve_mac(hop.neighbour, interface, netns=netns)
            link.dst = mac
    return frame


def _route_interface(frames: list[Layer], netns: str | None, hint: str | None = None) -> str:
    """The interface of the route for ``hint``, else for the first frame's IP (or ARP) destination."""
    if hint is None:
        for frame in frames:
            hint = str(frame[ARP].pdst) if ARP in frame else str(network_layer(frame).dst)  # type: ignore[attr-defined]
            break
    if hint is None:
        raise RawnetError("no frame to send")
    return next_hop(hint, netns).interface


# -- layer 3 -----------------------------------------------------------------------------------


@overload
def send(
    x: Layer | Iterable[Layer],
    *,
    iface: str | None = ...,
    inter: float = ...,
    loop: int = ...,
    count: int | None = ...,
    verbose: int = ...,
    return_packets: Literal[False] = ...,
    netns: str | None = ...,
) -> int: ...
@overload
def send(
    x: Layer | Iterable[Layer],
    *,
    iface: str | None = ...,
    inter: float = ...,
    loop: int = ...,
    count: int | None = ...,
    verbose: int = ...,
    return_packets: Literal[True],
    netns: str | None = ...,
) -> PacketList: ...
def send(
    x: Layer | Iterable[Layer],
    *,
    iface: str | None = None,
    inter: float = 0.0,
    loop: int = 0,
    count: int | None = None,
    verbose: int = 0,
    return_packets: bool = False,
    netns: str | None = None,
) -> int | PacketList:
    """Send each packet (each packet of a set) at layer 3, with the IP header as given; returns
    how many went out (scapy: None), or the packets sent with ``return_packets``.

    ``count``: send them all that many times; ``loop``: again and again until Ctrl-C; ``inter``:
    seconds between packets (by deadline); ``iface``: out of that interface only
    (SO_BINDTODEVICE). An unset source is the one the routes pick. A packet over its route's MTU
    goes out as fragments of that MTU (scapy's auto_fragment; IPv6 with a Fragment header), unless
    it is IPv4 with Don't Fragment set: then a PacketTooBigError naming rawnet.fragment(). A
    broadcast destination is allowed (SO_BROADCAST), as scapy's send() sends it.
    """
    packets = [_complete(packet, netns, iface) for packet in _expand(x)]
    return _layer3_repeat(packets, netns, iface, inter, loop, count, verbose, return_packets)


def _layer3_repeat(
    packets: list[Layer], netns: str | None, iface: str | None, inter: float, loop: int, count: int | None,
    verbose: int, keep: bool,
) -> int | PacketList:  # fmt: skip
    sockets: list[RawSocket] = []
    senders = Senders(netns, iface, sockets)
    try:
        if packets:  # (opened first: a missing privilege shows before anything is sent)
            senders.open(packets[0])
        return _repeat(packets, senders.send, inter, loop, count, verbose, keep)
    finally:
        for sock in sockets:
            sock.close()


def _repeat(
    packets: list[Layer], transmit: Callable[[Layer], object], inter: float, loop: int, count: int | None,
    verbose: int, keep: bool,
) -> int | PacketList:  # fmt: skip
    """scapy's send loop: ``packets``, ``count`` times (``loop``: until Ctrl-C), ``inter`` apart."""
    if not packets:
        return PacketList([], "Sent") if keep else 0
    rounds = 0 if (count is None and loop) else (1 if count is None else count)
    sent: list[Layer] = []
    total = 0
    try:
        for index in pace(rounds * len(packets), inter):
            packet = packets[index % len(packets)]
            packet.sent_time = time.time()
            transmit(packet)
            total += 1
            if keep:
                sent.append(packet.copy())  # (each with its own sent_time)
            if verbose:
                sys.stdout.write(".")
                sys.stdout.flush()
    except KeyboardInterrupt:
        if not loop:
            raise
    if verbose:
        print(f"\nSent {total} packets.")
    return PacketList(sent, "Sent") if keep else total


def sr(
    x: Layer | Iterable[Layer],
    *,
    filter: str | None = None,
    iface: str | None = None,
    nofilter: bool = False,
    timeout: float | None = 2.0,
    inter: float = 0.0,
    retry: int = 0,
    multi: bool = False,
    verbose: int = 0,
    chainCC: bool = False,  # (scapy's name)
    store_unanswered: bool = True,
    netns: str | None = None,
    debug: bool = False,
    via: RawSocket | None = None,
) -> Results:
    """Send at layer 3 and collect the answers, matched to their queries (scapy's sr): ``ans, unans``.

    ``timeout``: seconds to wait after the last query left (None: until all are answered);
    ``retry``: send the unanswered again that many more times (negative: until -retry rounds in
    a row bring no new answer); ``inter``: seconds between queries; ``multi``: take every
    answer to a query until the timeout; ``filter``: a tcpdump expression replies must also
    match (``nofilter``: only that one); ``iface``: send out of it and listen on it only;
    ``verbose``: 1 prints scapy's lines, 2 a mark per packet too; ``chainCC``: Ctrl-C raises
    instead of returning what came so far; ``store_unanswered=False``: unans stays empty.

    rawnet's own: ``netns``; ``debug`` (``.rejected`` says why each reply that answered nothing
    was turned down); ``via``, a RawSocket of any mode to send through (l3 lets the kernel write
    the IP header; l2 and l2_cooked add the link header of the kernel's next hop).
    """
    return _sr(
        x, filter=filter, iface=iface, nofilter=nofilter, timeout=timeout, inter=inter, retry=retry,
        multi=multi, verbose=verbose, chainCC=chainCC, store_unanswered=store_unanswered, netns=netns,
        debug=debug, via=via, stop=None,
    )  # fmt: skip


def _sr(
    x: Layer | Iterable[Layer], *, filter: str | None, iface: str | None, nofilter: bool,
    timeout: float | None, inter: float, retry: int, multi: bool, verbose: int, chainCC: bool,
    store_unanswered: bool, netns: str | None, debug: bool, via: RawSocket | None,
    stop: threading.Event | None,
) -> Results:  # fmt: skip
    if via is not None:
        netns = via._netns
    packets = [_complete(packet, netns, iface) for packet in _expand(x)]
    if via is None:
        queries = [Query(packet, number=index) for index, packet in enumerate(packets)]
        link = layer3_link(packets, netns=netns, iface=iface, filter=filter, nofilter=nofilter)
    else:
        queries = [_via_query(via, packet, index) for index, packet in enumerate(packets)]
        listener = reply_listener(packets, netns, iface=iface, filter=filter, nofilter=nofilter)
        link = Link(listener, functools.partial(_transmit_via, via), [listener])  # (via is the caller's)
    return _run(
        Exchange(link, multi=multi, debug=debug, stop=stop),
        queries,
        timeout,
        inter,
        retry,
        verbose,
        chainCC,
        store_unanswered,
    )


def _via_query(via: RawSocket, packet: Layer, number: int) -> Query:
    """The query of ``packet`` sent through ``via``: an l3 socket has the kernel write the IP header,
    whose id is then the kernel's (an ICMP error's quote is matched without it)."""
    match = packet
    if via.mode == "l3" and isinstance(network_layer(packet), IP):
        match = packet.copy()
        network_layer(match).id = 0  # type: ignore[attr-defined]
    return Query(packet, match, number)


def _transmit_via(sock: RawSocket, query: Query) -> None:
    network = network_layer(query.packet)
    if sock.mode in ("l3", "l3_hdrincl"):
        sock.send(network)
        return
    assert sock.interface is not None  # (an unbound packet socket cannot send)
    destination = str(network.dst)  # type: ignore[attr-defined]
    mac = group_mac(destination)
    if mac is None:
        mac = resolve_mac(next_hop(destination, sock._netns).neighbour, sock.interface, netns=sock._netns)
    if sock.mode == "l2":
        sock.send(Ether(src=interface_mac(sock.interface, sock._netns), dst=mac) / network)
    else:
        sock.send(network, dst_mac=mac)


def _run(
    exchange: Exchange, queries: list[Query], timeout: float | None, inter: float, retry: int,
    verbose: int, chainCC: bool, store_unanswered: bool,
) -> Results:  # fmt: skip
    """The rounds of an sr/srp, scapy's lines with ``verbose``, and the results."""
    pairs: list[tuple[Layer, Layer]] = []

    def answered(query: Query, reply: Layer) -> None:
        pairs.append((query.packet, reply))
        if verbose > 1:
            _mark("*")

    exchange.on_answer = answered
    if verbose > 1:
        exchange.on_other = lambda reply, reasons: _mark(".")
    with exchange:
        try:
            exchange.rounds(
                queries, inter=inter, timeout=timeout, retry=retry,
                started=(lambda count: print("Begin emission:")) if verbose else None,
                finished=(lambda count: print(f"Finished sending {count} packets.")) if verbose else None,
            )  # fmt: skip
        except (KeyboardInterrupt, Interrupted):
            if chainCC or exchange.stop is not None:
                raise
    unanswered = [query.packet for query in queries if not query.replies]
    if verbose:
        print(
            f"\nReceived {exchange.received} packets, got {len(pairs)} answers, "
            f"remaining {len(unanswered)} packets"
        )
    return Results(
        SndRcvList(pairs),
        PacketList(unanswered if store_unanswered else [], "Unanswered"),
        received=exchange.received,
        rejected=exchange.rejected,
    )


def _mark(mark: str) -> None:
    sys.stdout.write(mark)
    sys.stdout.flush()


def sr1(
    x: Layer | Iterable[Layer],
    *,
    filter: str | None = None,
    iface: str | None = None,
    nofilter: bool = False,
    timeout: float | None = 2.0,
    inter: float = 0.0,
    retry: int = 0,
    multi: bool = False,
    verbose: int = 0,
    chainCC: bool = False,
    netns: str | None = None,
    debug: bool = False,
    via: RawSocket | None = None,
) -> Layer | None:
    """The first answer (scapy's sr1): the packet itself, with ``time``, ``sniffed_on``,
    ``direction`` and ``wirelen``; None when nothing answered in time. Takes sr's options."""
    answered = sr(
        x, filter=filter, iface=iface, nofilter=nofilter, timeout=timeout, inter=inter, retry=retry,
        multi=multi, verbose=verbose, chainCC=chainCC, store_unanswered=False, netns=netns, debug=debug,
        via=via,
    )[0]  # fmt: skip
    return answered[0].answer if len(answered) else None


async def asr(
    x: Layer | Iterable[Layer],
    *,
    filter: str | None = None,
    iface: str | None = None,
    nofilter: bool = False,
    timeout: float | None = 2.0,
    inter: float = 0.0,
    retry: int = 0,
    multi: bool = False,
    verbose: int = 0,
    store_unanswered: bool = True,
    netns: str | None = None,
    debug: bool = False,
) -> Results:
    """sr() for asyncio: ``ans, unans = await asr(...)``. The exchange runs in a worker thread,
    so the event loop goes on meanwhile; cancelling the task stops it within 50 ms."""
    stop = threading.Event()
    call = functools.partial(
        _sr, x, filter=filter, iface=iface, nofilter=nofilter, timeout=timeout, inter=inter, retry=retry,
        multi=multi, verbose=verbose, chainCC=False, store_unanswered=store_unanswered, netns=netns,
        debug=debug, via=None, stop=stop,
    )  # fmt: skip
    try:
        return await asyncio.get_running_loop().run_in_executor(None, call)
    except asyncio.CancelledError:
        stop.set()
        raise


async def asr1(
    x: Layer | Iterable[Layer],
    *,
    filter: str | None = None,
    iface: str | None = None,
    nofilter: bool = False,
    timeout: float | None = 2.0,
    inter: float = 0.0,
    retry: int = 0,
    verbose: int = 0,
    netns: str | None = None,
    debug: bool = False,
) -> Layer | None:
    """sr1() for asyncio: ``reply = await asr1(...)``, the first answer or None."""
    answered = (
        await asr(
            x,
            filter=filter,
            iface=iface,
            nofilter=nofilter,
            timeout=timeout,
            inter=inter,
            retry=retry,
            verbose=verbose,
            store_unanswered=False,
            netns=netns,
            debug=debug,
        )
    )[0]
    return answered[0].answer if len(answered) else None


# -- layer 2 ------------------------------------------------------------------------------------


@overload
def sendp(
    x: Layer | Iterable[Layer],
    iface: str | None = ...,
    *,
    iface_hint: str | None = ...,
    inter: float = ...,
    loop: int = ...,
    count: int | None = ...,
    verbose: int = ...,
    return_packets: Literal[False] = ...,
    netns: str | None = ...,
) -> int: ...
@overload
def sendp(
    x: Layer | Iterable[Layer],
    iface: str | None = ...,
    *,
    iface_hint: str | None = ...,
    inter: float = ...,
    loop: int = ...,
    count: int | None = ...,
    verbose: int = ...,
    return_packets: Literal[True],
    netns: str | None = ...,
) -> PacketList: ...
def sendp(
    x: Layer | Iterable[Layer],
    iface: str | None = None,
    *,
    iface_hint: str | None = None,
    inter: float = 0.0,
    loop: int = 0,
    count: int | None = None,
    verbose: int = 0,
    return_packets: bool = False,
    netns: str | None = None,
) -> int | PacketList:
    """Send frames on ``iface`` at layer 2, unset addresses filled; returns how many went out (or
    the frames, with ``return_packets``). ``count``, ``loop``, ``inter``, ``verbose`` as send's.

    Without ``iface``, the kernel's route for ``iface_hint`` (an address), else for the first
    frame's IP destination, picks it. On a loopback interface (a local destination), the IP
    packets go out at layer 3 instead: lo has no Ethernet peer to take a frame.
    """
    frames = _expand(x)
    iface = iface or _route_interface(frames, netns, iface_hint)
    if is_loopback(iface, netns):
        packets = [_complete(network_layer(frame), netns) for frame in frames]
        return _layer3_repeat(packets, netns, None, inter, loop, count, verbose, return_packets)
    frames = [_complete_frame(frame, iface, netns) for frame in frames]
    with RawSocket.l2(iface, netns=netns) as sock:
        return _repeat(frames, sock.send, inter, loop, count, verbose, return_packets)


def srp(
    x: Layer | Iterable[Layer],
    iface: str | None = None,
    *,
    iface_hint: str | None = None,
    filter: str | None = None,
    nofilter: bool = False,
    timeout: float | None = 2.0,
    inter: float = 0.0,
    retry: int = 0,
    multi: bool = False,
    verbose: int = 0,
    chainCC: bool = False,
    store_unanswered: bool = True,
    netns: str | None = None,
    debug: bool = False,
) -> Results:
    """Send frames on ``iface`` and collect the answers, matched to them (scapy's srp): ``ans, unans``.

    Unset addresses are filled as sendp fills them (an IPv6 multicast destination gets its
    33:33 MAC, so a neighbour solicitation gets the kernel's advertisement). Without ``iface``
    the route of ``iface_hint``, else of the first frame's destination, picks it; on loopback
    the exchange happens at layer 3 (see sendp), and the results pair the frames given. The
    other options are sr's.
    """
    frames = _expand(x)
    iface = iface or _route_interface(frames, netns, iface_hint)
    if is_loopback(iface, netns):
        queries = [
            Query(frame, _complete(network_layer(frame), netns), index) for index, frame in enumerate(frames)
        ]
        link = layer3_link([query.match for query in queries], netns=netns, filter=filter, nofilter=nofilter)
        exchange = Exchange(link, multi=multi, debug=debug)
    else:
        frames = [_complete_frame(frame, iface, netns) for frame in frames]
        queries = [Query(frame, number=index) for index, frame in enumerate(frames)]
        link = layer2_link(iface, frames, netns=netns, filter=filter, nofilter=nofilter)
        exchange = Exchange(link, rule=answers_frame, multi=multi, debug=debug)
    return _run(exchange, queries, timeout, inter, retry, verbose, chainCC, store_unanswered)


def srp1(
    x: Layer | Iterable[Layer],
    iface: str | None = None,
    *,
    iface_hint: str | None = None,
    filter: str | None = None,
    nofilter: bool = False,
    timeout: float | None = 2.0,
    inter: float = 0.0,
    retry: int = 0,
    multi: bool = False,
    verbose: int = 0,
    chainCC: bool = False,
    netns: str | None = None,
    debug: bool = False,
) -> Layer | None:
    """The first answer to the frames (scapy's srp1): the packet itself, or None. srp's options."""
    answered = srp(
        x, iface, iface_hint=iface_hint, filter=filter, nofilter=nofilter, timeout=timeout, inter=inter,
        retry=retry, multi=multi, verbose=verbose, chainCC=chainCC, store_unanswered=False, netns=netns,
        debug=debug,
    )[0]  # fmt: skip
    return answered[0].answer if len(answered) else None
