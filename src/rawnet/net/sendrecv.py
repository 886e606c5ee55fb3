"""send/sr/sr1 at layer 3 and sendp/srp/srp1 at layer 2 (scapy's names).

The receiving socket is open before the first probe leaves, so no fast reply is lost; replies
are matched to probes per protocol (answers()), and ICMP errors by the datagram they quote.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pyroute2 import IPRoute, NetNS

from rawnet.errors import RawnetError
from rawnet.net.linux import ETH_P_ALL
from rawnet.net.sockets import InterfaceError, RawSocket, Received, source_for
from rawnet.wire import (
    ARP,
    ICMP,
    IP,
    TCP,
    UDP,
    Ether,
    ICMPv6,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    IPv6,
    Layer,
)

_ICMP_ERRORS = (3, 4, 5, 11, 12)
_ICMPV6_ERRORS = (1, 2, 3, 4)


@dataclass
class Results:
    """What sr() got: (probe, reply) pairs in the order replies came, and the probes left unanswered."""

    answered: list[tuple[Layer, Received]] = field(default_factory=list)
    unanswered: list[Layer] = field(default_factory=list)
    #: With debug=True: why each reply that matched no probe was turned down.
    rejected: list[str] = field(default_factory=list)


def _network(packet: Layer) -> Layer:
    for layer in packet.layers():
        if isinstance(layer, IP | IPv6):
            return layer
    raise RawnetError("sr() and send() work at layer 3: the packet needs an IP or IPv6 layer")


def _complete(packet: Layer, netns: str | None) -> Layer:
    """A copy with the source the kernel's routes would pick, when none was given."""
    network = _network(packet)
    if network._values()[type(network).src.index] is not None:  # type: ignore[attr-defined]
        return packet
    clone = packet.copy()
    clone_network = _network(clone)
    family = socket.AF_INET if isinstance(clone_network, IP) else socket.AF_INET6
    clone_network.src = source_for(str(clone_network.dst), family, netns)  # type: ignore[attr-defined]
    return clone


def _sender(network: Layer, netns: str | None) -> RawSocket:
    if isinstance(network, IP):
        return RawSocket.l3_hdrincl(netns=netns)
    sock = RawSocket.l3(socket.IPPROTO_RAW, family=socket.AF_INET6, netns=netns)  # the IPv6 header is ours
    return sock


def _transmit(sender: RawSocket, packet: Layer) -> None:
    network = _network(packet)
    sender.socket.sendto(bytes(network), (str(network.dst), 0))  # type: ignore[attr-defined]


def send(packets: Layer | Iterable[Layer], *, netns: str | None = None, inter: float = 0.0) -> int:
    """Send each packet (and each packet of a set) at layer 3; returns how many went out."""
    sent = 0
    senders: dict[type, RawSocket] = {}
    try:
        for packet in _expand(packets):
            packet = _complete(packet, netns)
            network = _network(packet)
            sender = senders.get(type(network))
            if sender is None:
                sender = senders[type(network)] = _sender(network, netns)
            _transmit(sender, packet)
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


def answers(reply: Layer, probe: Layer) -> str:
    """'' when ``reply`` answers ``probe``, else why not (sr's debug explains rejections with it)."""
    sent, got = _network(probe), _network(reply)
    if type(sent) is not type(got):
        return "not the probe's IP version"
    error = _quoted(got)
    if error is not None:  # an ICMP error: it answers the probe it quotes
        quoted = _network(error)
        if (quoted.src, quoted.dst) != (sent.src, sent.dst):  # type: ignore[attr-defined]
            return "the ICMP error quotes another datagram"
        head, original = _transport_head(quoted), _transport_head(sent)
        return "" if head[: len(original)] == original[: len(head)] else "the quoted transport header differs"
    if ICMPv6ND_NS in probe:  # sent to a multicast group: the advertisement names the target
        if ICMPv6ND_NA not in reply:
            return "not a neighbour advertisement"
        return "" if reply[ICMPv6ND_NA].tgt == probe[ICMPv6ND_NS].tgt else "about another target"
    if got.src != sent.dst:  # type: ignore[attr-defined]
        return f"from {got.src}, the probe went to {sent.dst}"  # type: ignore[attr-defined]
    if TCP in probe:
        if TCP not in reply:
            return "not TCP"
        a, b = probe[TCP], reply[TCP]
        return "" if (b.sport, b.dport) == (a.dport, a.sport) else "other TCP ports"
    if UDP in probe:
        if UDP not in reply:
            return "not UDP"
        a2, b2 = probe[UDP], reply[UDP]
        return "" if (b2.sport, b2.dport) == (a2.dport, a2.sport) else "other UDP ports"
    if ICMP in probe and probe[ICMP].type == 8:
        if ICMP not in reply or reply[ICMP].type != 0:
            return "not an ICMP echo reply"
        a3, b3 = probe[ICMP], reply[ICMP]
        return "" if (a3.id, a3.seq) == (b3.id, b3.seq) else "another echo's id or seq"
    if ICMPv6EchoRequest in probe:
        if ICMPv6EchoReply not in reply:
            return "not an ICMPv6 echo reply"
        a4, b4 = probe[ICMPv6EchoRequest], reply[ICMPv6EchoReply]
        return "" if (a4.id, a4.seq) == (b4.id, b4.seq) else "another echo's id or seq"
    return "no rule matches this protocol"


def _transport_head(network: Layer) -> bytes:
    """The first 8 bytes after the IP header, as built (what an ICMP error quotes at least)."""
    wire = bytes(network)
    start = (wire[0] & 15) * 4 if isinstance(network, IP) else 40
    return wire[start : start + 8]


def _quoted(reply: Layer) -> Layer | None:
    """The datagram an ICMP or ICMPv6 error quotes, or None."""
    if ICMP in reply and reply[ICMP].type in _ICMP_ERRORS:
        return reply[ICMP].payload
    if ICMPv6 in reply and reply[ICMPv6].type in _ICMPV6_ERRORS:
        return reply[ICMPv6].payload
    return None


def sr(
    packets: Layer | Iterable[Layer],
    *,
    timeout: float = 2.0,
    retry: int = 0,
    inter: float = 0.0,
    netns: str | None = None,
    debug: bool = False,
    multi: bool = False,
) -> Results:
    """Send at layer 3 and collect the replies, matched to their probes (scapy's sr)."""
    probes = [_complete(packet, netns) for packet in _expand(packets)]
    with RawSocket.l2_cooked("", ETH_P_ALL, netns=netns) as listener:  # armed before anything leaves
        return _exchange(
            listener,
            lambda pending: send(pending, netns=netns, inter=inter),
            probes,
            timeout=timeout,
            retry=retry,
            debug=debug,
            multi=multi,
            rule=answers,
        )


def _exchange(
    listener: RawSocket,
    transmit: Callable[[list[Layer]], object],
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
        transmit(pending)
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


def interface_mac(interface: str, netns: str | None = None) -> str:
    """The MAC address of ``interface`` (netlink)."""
    with _iproute(netns) as ip:
        mac: str = ip.get_links(_index(ip, interface))[0].get_attr("IFLA_ADDRESS")
        return mac


def neighbour_mac(address: str, interface: str, netns: str | None = None) -> str | None:
    """The kernel's neighbour-table entry (ARP or NDP) for ``address`` on ``interface``, if any."""
    with _iproute(netns) as ip:
        for entry in ip.get_neighbours(ifindex=_index(ip, interface), dst=address):
            mac = entry.get_attr("NDA_LLADDR")
            if mac and entry["state"] not in (0x20, 0x01):  # NUD_FAILED, NUD_INCOMPLETE
                return str(mac)
    return None


def _iproute(netns: str | None) -> Any:
    return NetNS(netns) if netns else IPRoute()


def _index(ip: Any, interface: str) -> int:
    found = ip.link_lookup(ifname=interface)
    if not found:
        raise InterfaceError(f"no interface named {interface!r}: see `ip link`")
    index: int = found[0]
    return index


def resolve_mac(address: str, interface: str, *, netns: str | None = None, timeout: float = 1.0) -> str:
    """The MAC for ``address`` on ``interface``: the neighbour table, else an ARP who-has.

    Never a silent broadcast: an address nobody answers for is an error.
    """
    known = neighbour_mac(address, interface, netns)
    if known is not None:
        return known
    if ":" not in address:
        source = interface_mac(interface, netns)
        request = Ether(src=source, dst="ff:ff:ff:ff:ff:ff") / ARP(
            hwsrc=source, psrc=_ipv4_of(interface, netns), pdst=address
        )
        reply = srp1(request, interface, netns=netns, timeout=timeout)
        if reply is not None:
            return str(reply.packet[ARP].hwsrc)
    raise RawnetError(f"cannot resolve the MAC of {address} on {interface}: no neighbour answered")


def _ipv4_of(interface: str, netns: str | None) -> str:
    with _iproute(netns) as ip:
        for entry in ip.get_addr(index=_index(ip, interface), family=socket.AF_INET):
            return str(entry.get_attr("IFA_ADDRESS"))
    return "0.0.0.0"


def _complete_frame(frame: Layer, interface: str, netns: str | None) -> Layer:
    """A copy with an unset source MAC filled from the interface and an unset destination resolved."""
    if not isinstance(frame, Ether):
        return frame
    values = frame._values()
    if values[0] is not None and values[1] is not None:
        return frame
    clone = frame.copy()
    if values[1] is None:
        clone.src = interface_mac(interface, netns)
    if values[0] is None:
        if ARP in clone:
            clone.dst = "ff:ff:ff:ff:ff:ff"  # who-has goes to everybody: that is what it is for
        else:
            network = _network(clone)
            clone.dst = resolve_mac(str(network.dst), interface, netns=netns)  # type: ignore[attr-defined]
    return clone


def sendp(
    frames: Layer | Iterable[Layer], interface: str, *, netns: str | None = None, inter: float = 0.0
) -> int:
    """Send frames on ``interface`` at layer 2, unset MACs filled; returns how many went out."""
    sent = 0
    with RawSocket.l2(interface, netns=netns) as sock:
        for frame in _expand(frames):
            sock.send(_complete_frame(frame, interface, netns))
            sent += 1
            if inter:
                time.sleep(inter)
    return sent


def answers_frame(reply: Layer, probe: Layer) -> str:
    """'' when ``reply`` answers ``probe`` at layer 2 (ARP, or whatever their IP layers say)."""
    if ARP in probe:
        if ARP not in reply:
            return "not ARP"
        asked, told = probe[ARP], reply[ARP]
        if int(told.op) != 2:
            return "not an ARP reply"
        return "" if told.psrc == asked.pdst else f"about {told.psrc}, not {asked.pdst}"
    return answers(reply, probe)


def srp(
    frames: Layer | Iterable[Layer],
    interface: str,
    *,
    timeout: float = 2.0,
    retry: int = 0,
    netns: str | None = None,
    debug: bool = False,
) -> Results:
    """Send frames on ``interface`` and collect the replies, matched to them (scapy's srp)."""
    probes = list(_expand(frames))
    with RawSocket.l2(interface, netns=netns) as sock:  # one socket: armed before sending

        def transmit(pending: list[Layer]) -> None:
            for frame in pending:
                sock.send(_complete_frame(frame, interface, netns))

        return _exchange(
            sock, transmit, probes, timeout=timeout, retry=retry, debug=debug, multi=False, rule=answers_frame
        )


def srp1(frame: Layer, interface: str, **options: Any) -> Received | None:
    """The first reply to ``frame`` on ``interface`` (scapy's srp1), or None."""
    results = srp(frame, interface, **options)
    return results.answered[0][1] if results.answered else None
