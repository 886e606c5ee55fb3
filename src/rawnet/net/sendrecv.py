"""send/sr/sr1 at layer 3 and sendp/srp/srp1 at layer 2 (scapy's names).

The receiving socket is open before the first probe leaves, so no fast reply is lost, and a
kernel filter built from the probes (their destinations, ICMP) keeps the rest of the host's
traffic out of Python. Replies are matched to probes per protocol (answers()), ICMP errors by
the datagram they quote. Layer 2 on a loopback interface has no Ethernet peer: frames meant for
one go out at layer 3 instead (see sendp).
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rawnet.errors import RawnetError
from rawnet.net.bpf import DLT_RAW, attach_filter, compile_filter
from rawnet.net.linux import ETH_P_ALL
from rawnet.net.matching import answers, answers_frame, network_layer
from rawnet.net.routes import interface_ipv4, interface_mac, is_loopback, neighbour_mac, next_hop, source_for
from rawnet.net.sockets import RawSocket, Received
from rawnet.wire import (
    ARP,
    IP,
    Ether,
    ICMPv6ND_NS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    Layer,
)

_FILTER_HOSTS = 64  # more destinations than this: the listener's filter keeps all of IP


@dataclass
class Results:
    """What sr() got: (probe, reply) pairs in the order replies came, and the probes left unanswered."""

    answered: list[tuple[Layer, Received]] = field(default_factory=list)
    unanswered: list[Layer] = field(default_factory=list)
    #: With debug=True: why each reply that matched no probe was turned down.
    rejected: list[str] = field(default_factory=list)
    #: time.time() as each probe was handed to the kernel, by id(probe) (they live in the lists
    #: above). Taken just before the send call: on a veth the reply can arrive before it returns.
    sent_at: dict[int, float] = field(default_factory=dict, repr=False)

    def rtt(self, probe: Layer, reply: Received) -> float:
        """Seconds from ``probe`` leaving (the last time, with retries) to ``reply`` arriving."""
        return reply.timestamp - self.sent_at[id(probe)]


def _complete(packet: Layer, netns: str | None) -> Layer:
    """A copy with the source the kernel's routes would pick, when none was given."""
    network = network_layer(packet)
    if network._values()[type(network).slot.src] is not None:
        return packet
    clone = packet.copy()
    clone_network = network_layer(clone)
    family = socket.AF_INET if isinstance(clone_network, IP) else socket.AF_INET6
    clone_network.src = source_for(str(clone_network.dst), family, netns)  # type: ignore[attr-defined]
    return clone


def layer3_sender(network: Layer, netns: str | None) -> RawSocket:
    """The socket send() uses for ``network``'s family: IP_HDRINCL, or IPv6 IPPROTO_RAW."""
    if isinstance(network, IP):
        return RawSocket.l3_hdrincl(netns=netns)
    return RawSocket.l3(socket.IPPROTO_RAW, family=socket.AF_INET6, netns=netns)  # the IPv6 header is ours


def layer3_transmit(sender: RawSocket, packet: Layer) -> None:
    """Send ``packet``'s IP layer (with its header) on a layer3_sender socket."""
    network = network_layer(packet)
    sender.socket.sendto(bytes(network), (str(network.dst), 0))  # type: ignore[attr-defined]


def send(packets: Layer | Iterable[Layer], *, netns: str | None = None, inter: float = 0.0) -> int:
    """Send each packet (and each packet of a set) at layer 3; returns how many went out."""
    return _send(packets, netns, inter, None)


def _send(
    packets: Layer | Iterable[Layer], netns: str | None, inter: float, stamps: dict[int, float] | None
) -> int:
    sent = 0
    senders: dict[type, RawSocket] = {}
    try:
        for packet in _expand(packets):
            packet = _complete(packet, netns)
            network = network_layer(packet)
            sender = senders.get(type(network))
            if sender is None:
                sender = senders[type(network)] = layer3_sender(network, netns)
            if stamps is not None:  # (before: a reply can be received before sendto returns)
                stamps[id(packet)] = time.time()
            layer3_transmit(sender, packet)
            sent += 1
            if inter:
                time.sleep(inter)
    finally:
        for sender in senders.values():
            sender.close()
    return sent


def _expand(packets: Layer | Iterable[Layer]) -> list[Layer]:
    if isinstance(packets, Layer):
        return list(packets)  # a packet set gives its packets
    return [member for packet in packets for member in packet]


def sr(
    packets: Layer | Iterable[Layer],
    *,
    timeout: float = 2.0,
    retry: int = 0,
    inter: float = 0.0,
    netns: str | None = None,
    debug: bool = False,
    multi: bool = False,
    via: RawSocket | None = None,
) -> Results:
    """Send at layer 3 and collect the replies, matched to their probes (scapy's sr).

    The probes go out through an IP_HDRINCL socket (IPv6: IPPROTO_RAW), or through ``via``, a
    RawSocket of any mode (l3 sends the transport header and lets the kernel write the IP
    header; l2 and l2_cooked add the link header for the kernel's next hop).
    """
    if via is not None:
        netns = via._netns
    probes = [_complete(packet, netns) for packet in _expand(packets)]
    if via is not None:

        def transmit(pending: list[Layer], stamps: dict[int, float]) -> None:
            for probe in pending:
                stamps[id(probe)] = time.time()
                _transmit_via(via, probe)
                if inter:
                    time.sleep(inter)
    else:

        def transmit(pending: list[Layer], stamps: dict[int, float]) -> None:
            _send(pending, netns, inter, stamps)

    with reply_listener(probes, netns) as listener:  # armed before anything leaves
        return _exchange(
            listener, transmit, probes, timeout=timeout, retry=retry, debug=debug, multi=multi, rule=answers
        )


def _transmit_via(sock: RawSocket, packet: Layer) -> None:
    network = network_layer(packet)
    if sock.mode in ("l3", "l3_hdrincl"):
        sock.send(network)
        return
    assert sock.interface is not None  # (an unbound packet socket cannot send)
    hop = next_hop(str(network.dst), sock._netns)  # type: ignore[attr-defined]
    mac = resolve_mac(hop.neighbour, sock.interface, netns=sock._netns)
    if sock.mode == "l2":
        sock.send(Ether(src=interface_mac(sock.interface, sock._netns), dst=mac) / network)
    else:
        sock.send(network, dst_mac=mac)


def reply_listener(probes: list[Layer], netns: str | None) -> RawSocket:
    """A socket seeing every interface's IP traffic from the probes' destinations, and ICMP."""
    listener = RawSocket.l2_cooked("", ETH_P_ALL, netns=netns)
    hosts = sorted({str(network_layer(probe).dst) for probe in probes})  # type: ignore[attr-defined]
    if len(hosts) <= _FILTER_HOSTS:
        sources = " or ".join(f"src host {host}" for host in hosts)
        expression = f"icmp or icmp6 or {sources}" if sources else "icmp or icmp6"
    else:
        expression = "ip or ip6"
    try:
        attach_filter(listener.socket, compile_filter(expression, DLT_RAW))  # cooked: from the IP header
    except BaseException:
        listener.close()
        raise
    return listener


def _exchange(
    listener: RawSocket,
    transmit: Callable[[list[Layer], dict[int, float]], object],
    probes: list[Layer],
    *,
    timeout: float,
    retry: int,
    debug: bool,
    multi: bool,
    rule: Callable[[Layer, Layer], str],
) -> Results:
    """Send the probes still unanswered (``retry`` more times) and match what comes back."""
    results = Results()
    pending = list(probes)
    listener.socket.setblocking(False)
    for _ in range(retry + 1):
        if not pending:
            break
        transmit(pending, results.sent_at)
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            readable, _, _ = select.select([listener.socket], [], [], max(0.0, deadline - time.monotonic()))
            if not readable:
                break
            while True:
                try:
                    got = listener.recv()
                except BlockingIOError:
                    break
                if got.direction != "outgoing":  # our own probes, seen leaving
                    _match(got, pending, results, debug, multi, rule)
    results.unanswered = pending
    return results


def _match(
    got: Received,
    pending: list[Layer],
    results: Results,
    debug: bool,
    multi: bool,
    rule: Callable[[Layer, Layer], str],
) -> None:
    reasons = []
    for probe in pending:
        try:
            reason = rule(got.packet, probe)
        except (RawnetError, IndexError, AttributeError):
            reason = "not an IP packet"
        if not reason:
            results.answered.append((probe, got))
            if not multi:
                pending.remove(probe)
            return
        reasons.append(reason)
    if debug and reasons:
        results.rejected.append(f"{got.packet.summary()}: {'; '.join(sorted(set(reasons)))}")


def sr1(packet: Layer, **options: object) -> Received | None:
    """The first reply to ``packet`` (scapy's sr1), or None when the timeout passed."""
    results = sr(packet, **options)  # type: ignore[arg-type]
    return results.answered[0][1] if results.answered else None


# -- layer 2 ------------------------------------------------------------------------------------


def solicitation(target: str, source: str, mac: str) -> Layer:
    """A neighbour solicitation for ``target`` from ``source``/``mac``, to its solicited-node group.

    RFC 4861 7.2.2; the group is ff02::1:ffXX:XXXX (RFC 4291 2.7.1), its MAC 33:33 and the
    group's last 32 bits (RFC 2464 7).
    """
    low = socket.inet_pton(socket.AF_INET6, target)[-3:]
    group = socket.inet_ntop(socket.AF_INET6, bytes.fromhex("ff0200000000000000000001ff") + low)
    return (
        Ether(src=mac, dst="33:33:ff:" + low.hex(":"))
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
        request = solicitation(address, source_for(address, socket.AF_INET6, netns), mac)
    else:
        request = Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
            hwsrc=mac, psrc=interface_ipv4(interface, netns), pdst=address
        )
    reply = srp1(request, interface, netns=netns, timeout=timeout)
    if reply is not None:
        if ARP in reply.packet:
            return str(reply.packet[ARP].hwsrc)
        if ICMPv6NDOptDstLLAddr in reply.packet:
            return str(reply.packet[ICMPv6NDOptDstLLAddr].lladdr)
        return str(reply.packet[Ether].src)
    raise RawnetError(
        f"cannot resolve the MAC of {address} on {interface}: no neighbour answered "
        "(is it up and on that link? or give the frame Ether(dst=...))"
    )


def _complete_frame(frame: Layer, interface: str, netns: str | None) -> Layer:
    """A copy with an unset source MAC filled from the interface and an unset destination resolved.

    The destination is the MAC of the kernel's next hop for the IP destination: the host itself
    when it is on the link, else the gateway of its route.
    """
    if not isinstance(frame, Ether):
        return frame
    if IP in frame or IPv6 in frame:
        frame = _complete(frame, netns)  # the source address, from the route
    values = frame._values()
    if values[0] is not None and values[1] is not None:
        return frame
    clone = frame.copy()
    link: Any = clone  # (an Ether, as checked above)
    if values[1] is None:
        link.src = interface_mac(interface, netns)
    if values[0] is None:
        if ARP in clone:
            link.dst = "ff:ff:ff:ff:ff:ff"  # who-has goes to everybody: that is what it is for
        else:
            hop = next_hop(str(network_layer(clone).dst), netns)  # type: ignore[attr-defined]
            link.dst = resolve_mac(hop.neighbour, interface, netns=netns)
    return clone


def _route_interface(frames: list[Layer], netns: str | None) -> str:
    """The interface the kernel's route for the first frame's IP destination goes out of."""
    for frame in frames:
        return next_hop(str(network_layer(frame).dst), netns).interface  # type: ignore[attr-defined]
    raise RawnetError("no frame to send")


def sendp(
    frames: Layer | Iterable[Layer],
    interface: str | None = None,
    *,
    netns: str | None = None,
    inter: float = 0.0,
) -> int:
    """Send frames on ``interface`` at layer 2, unset MACs filled; returns how many went out.

    Without ``interface``, the kernel's route for the first frame's IP destination picks it. On
    a loopback interface (a local destination), the IP packets go out at layer 3 instead: lo
    has no Ethernet peer to take a frame.
    """
    listed = _expand(frames)
    interface = interface or _route_interface(listed, netns)
    if is_loopback(interface, netns):
        return send([network_layer(frame) for frame in listed], netns=netns, inter=inter)
    sent = 0
    with RawSocket.l2(interface, netns=netns) as sock:
        for frame in listed:
            sock.send(_complete_frame(frame, interface, netns))
            sent += 1
            if inter:
                time.sleep(inter)
    return sent


def srp(
    frames: Layer | Iterable[Layer],
    interface: str | None = None,
    *,
    timeout: float = 2.0,
    retry: int = 0,
    inter: float = 0.0,
    netns: str | None = None,
    debug: bool = False,
    multi: bool = False,
) -> Results:
    """Send frames on ``interface`` and collect the replies, matched to them (scapy's srp).

    Without ``interface`` the route of the first frame's IP destination picks it; on loopback
    the exchange happens at layer 3 (see sendp), and the results pair the frames given.
    """
    probes = _expand(frames)
    interface = interface or _route_interface(probes, netns)
    if is_loopback(interface, netns):
        pairs = [(_complete(network_layer(frame), netns), frame) for frame in probes]
        networks = {id(network): frame for network, frame in pairs}
        results = sr(
            [network for network, _ in pairs],
            timeout=timeout, retry=retry, inter=inter, netns=netns, debug=debug, multi=multi,
        )  # fmt: skip
        results.answered = [(networks.get(id(sent), sent), got) for sent, got in results.answered]
        results.unanswered = [networks.get(id(sent), sent) for sent in results.unanswered]
        results.sent_at = {id(frame): results.sent_at[id(network)] for network, frame in pairs}
        return results
    probes = [_complete_frame(frame, interface, netns) for frame in probes]  # (matching needs them)
    with RawSocket.l2(interface, netns=netns) as sock:  # one socket: armed before sending

        def transmit(pending: list[Layer], stamps: dict[int, float]) -> None:
            for frame in pending:
                stamps[id(frame)] = time.time()
                sock.send(frame)
                if inter:
                    time.sleep(inter)

        return _exchange(
            sock, transmit, probes, timeout=timeout, retry=retry, debug=debug, multi=multi, rule=answers_frame
        )


def srp1(frame: Layer, interface: str | None = None, **options: Any) -> Received | None:
    """The first reply to ``frame`` (scapy's srp1), or None."""
    results = srp(frame, interface, **options)
    return results.answered[0][1] if results.answered else None
