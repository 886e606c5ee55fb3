"""scapy's probing helpers: arping (who is up on a link) and traceroute (the hops to a host).

Both are one srp or sr exchange (rawnet.net.sendrecv) with scapy's call shapes and results: a
pair ``(ans, unans)`` whose ``ans`` shows scapy's table. Unlike sr, they print that table by
default (verbose=1), since it is what they are called for; verbose=0 keeps them quiet, 2 adds
sr's lines. Nothing here sends anything but the probes asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rawnet.net.matching import quoted_datagram
from rawnet.net.routes import interface_mac
from rawnet.net.sendrecv import solicitation, sr, srp, srp1
from rawnet.wire import (
    ARP,
    ICMP,
    IP,
    TCP,
    UDP,
    Ether,
    ICMPv6,
    IPv6,
    Layer,
    PacketList,
    RandInt,
    RandShort,
    SndRcvList,
)
from rawnet.wire.volatile import Volatile

_TIME_EXCEEDED = {ICMP: 11, ICMPv6: 3}


class ARPingResult(SndRcvList):
    """arping's answers: (request, reply) pairs; ``show()`` lists the MACs and addresses that answered."""

    def __init__(self, res: Any = None, name: str = "ARPing") -> None:
        super().__init__(res, name)

    def show(self, *args: Any, **kwargs: Any) -> None:
        """One line per answer: the MAC, then the IPv4 address it answered for (scapy's table)."""
        for _, reply in self.res:
            print(f"  {reply[Ether].src!s:<17} {reply[ARP].psrc}")


def arping(
    net: str,
    timeout: float = 2.0,
    verbose: int = 1,
    *,
    iface: str | None = None,
    inter: float = 0.0,
    retry: int = 0,
    netns: str | None = None,
) -> tuple[ARPingResult, PacketList]:
    """Ask every address of ``net`` ("198.18.1.0/24", "198.18.1.2") who has it, with ARP
    (scapy's arping): ``ans, unans``, and the table of answers printed unless verbose=0.

    The interface is ``iface``, else the one of the kernel's route for ``net``'s first address.
    """
    request = Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=net)
    hint = str(next(iter(request))[ARP].pdst)
    ans, unans = srp(
        request, iface, iface_hint=hint, filter="arp and arp[7] = 2", timeout=timeout, inter=inter,
        retry=retry, verbose=max(0, verbose - 1), netns=netns,
    )  # fmt: skip
    result = ARPingResult(ans.res)
    if verbose:
        result.show()
    return result, unans


class TracerouteResult(SndRcvList):
    """traceroute's answers: (probe, reply) pairs; ``show()`` prints the hop table, a column per
    target and a row per TTL; ``get_trace()`` gives each target's hops."""

    def __init__(self, res: Any = None, name: str = "Traceroute") -> None:
        super().__init__(res, name)

    def show(self, *args: Any, **kwargs: Any) -> None:
        """scapy's table: "<target>:tcp<port>" columns, TTL rows, "<who answered> <what>" cells."""
        self.make_table(lambda probe, reply: (_column(probe), _ttl(probe), _cell(reply)))

    def get_trace(self) -> dict[str, dict[int, tuple[str, bool]]]:
        """{target: {ttl: (who answered, whether it was the end of the path)}} (scapy's)."""
        trace: dict[str, dict[int, tuple[str, bool]]] = {}
        for probe, reply in self.res:
            hops = trace.setdefault(str(_network(probe).dst), {})
            hops[_ttl(probe)] = (str(_network(reply).src), not _time_exceeded(reply))
        return trace


def traceroute(
    target: str | Sequence[str],
    dport: int = 80,
    minttl: int = 1,
    maxttl: int = 30,
    sport: int | Volatile = RandShort(),  # noqa: B008 (a random value drawn per probe, as scapy's)
    l4: Layer | None = None,
    filter: str | None = None,
    timeout: float = 2.0,
    verbose: int = 1,
    *,
    iface: str | None = None,
    retry: int = 0,
    inter: float = 0.0,
    netns: str | None = None,
) -> tuple[TracerouteResult, PacketList]:
    """scapy's traceroute: TCP SYNs to ``dport`` (or ``l4``) with each TTL from ``minttl`` to
    ``maxttl``, all sent at once; ``ans, unans``, and the hop table printed unless verbose=0.

    Routers answer with ICMP time exceeded, the target with its own answer (a SYN-ACK or a RST).
    IPv6 targets get the same with the hop limit.
    """
    targets = [target] if isinstance(target, str) else list(target)
    hops = (minttl, maxttl)
    network: Layer
    if all(":" in each for each in targets):
        network = IPv6(dst=targets, hlim=hops)
    else:
        network = IP(dst=targets, id=RandShort(), ttl=hops)
    upper = l4 if l4 is not None else TCP(seq=RandInt(), sport=sport, dport=dport, flags="S")
    ans, unans = sr(
        network / upper, filter=filter, iface=iface, timeout=timeout, retry=retry, inter=inter,
        verbose=max(0, verbose - 1), netns=netns,
    )  # fmt: skip
    result = TracerouteResult(ans.res)
    if verbose:
        result.show()
    return result, unans


def neighsol(
    addr: str, src: str, iface: str, timeout: float = 1.0, chainCC: bool = False, *, netns: str | None = None
) -> Layer | None:
    """scapy's neighsol: a Neighbour Solicitation for ``addr`` from ``src`` on ``iface`` (to its
    solicited-node group, hop limit 255); the advertisement that answers it, or None."""
    request = solicitation(addr, src, interface_mac(iface, netns))
    return srp1(request, iface, timeout=timeout, chainCC=chainCC, netns=netns)


def _network(packet: Layer) -> Any:
    return packet[IPv6] if IPv6 in packet else packet[IP]


def _ttl(probe: Layer) -> int:
    network = _network(probe)
    return int(network.hlim if isinstance(network, IPv6) else network.ttl)


def _column(probe: Layer) -> str:
    """ "<target>:tcp80", ":udp53" or ":ICMP" (scapy's column head)."""
    where = str(_network(probe).dst)
    if TCP in probe:
        return f"{where}:tcp{probe[TCP].dport}"
    if UDP in probe:
        return f"{where}:udp{probe[UDP].dport}"
    return f"{where}:ICMP" if ICMP in probe or ICMPv6 in probe else where


def _time_exceeded(reply: Layer) -> bool:
    return any(kind in reply and int(reply[kind].type) == number for kind, number in _TIME_EXCEEDED.items())


def _cell(reply: Layer) -> str:
    """ "<who answered> <what>": an ICMP error's type (11: time exceeded), else the TCP flags."""
    what = ""
    if quoted_datagram(reply) is not None or (ICMP in reply and TCP not in reply):
        icmp: Any = reply[ICMP] if ICMP in reply else reply[ICMPv6]
        what = str(int(icmp.type))
    elif TCP in reply:
        what = str(reply[TCP].flags)
    elif ICMPv6 in reply:
        what = str(int(reply[ICMPv6].type))
    return f"{_network(reply).src!s:<15} {what}"
