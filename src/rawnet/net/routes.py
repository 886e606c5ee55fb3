"""What the kernel knows about where a packet goes: routes, interfaces, neighbours (netlink, pyroute2).

Nothing here sends a packet or parses command output; the send functions ask these questions.
pyroute2's synchronous calls run an event loop of their own, so inside a running asyncio loop
(sr1 or RawSocket.send called from a coroutine) each question is asked from a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from pyroute2 import IPRoute, NetNS
from pyroute2 import netns as netns_module
from pyroute2.netlink.exceptions import NetlinkError

from rawnet.errors import InterfaceError, RawnetError

_IFF_LOOPBACK = 0x8
_RTN_LOCAL, _RTN_BROADCAST = 2, 3  # routes to this host's own addresses, to a broadcast address
_NUD_INCOMPLETE, _NUD_FAILED = 0x01, 0x20


@dataclass(frozen=True)
class Hop:
    """Where the kernel sends a packet for ``dst``: out of ``interface`` to ``neighbour``."""

    interface: str
    #: The address whose MAC the frame goes to: the gateway, or ``dst`` itself when on-link.
    neighbour: str
    #: ``dst`` is one of this host's own addresses (the route goes through lo).
    local: bool
    #: The source address the route prefers, if it names one.
    source: str | None
    #: ``dst`` is a broadcast address of the link (a frame for it goes to ff:ff:ff:ff:ff:ff).
    broadcast: bool = False


_P = ParamSpec("_P")
_T = TypeVar("_T")
_worker: list[ThreadPoolExecutor] = []  # one thread, made when a running loop first needs it


def _off_loop(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """``function``, asked from a worker thread when this thread runs an asyncio event loop."""

    @functools.wraps(function)
    def asked(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return function(*args, **kwargs)
        if not _worker:
            _worker.append(ThreadPoolExecutor(1, thread_name_prefix="rawnet-netlink"))
        return _worker[0].submit(function, *args, **kwargs).result()

    return asked


def _route(ip: Any, dst: str, interface: str | None) -> Any:
    """The kernel's route for ``dst`` (``ip route get``), out of ``interface`` if given."""
    where = {} if interface is None else {"oif": _index(ip, interface)}
    try:
        return ip.route("get", dst=dst, **where)[0]
    except NetlinkError:
        raise RawnetError(f"no route to {dst}: see `ip route`") from None


@_off_loop
def next_hop(dst: str, netns: str | None = None, interface: str | None = None) -> Hop:
    """The kernel's route for ``dst`` (``ip route get``, over netlink), out of ``interface`` if given."""
    with _iproute(netns) as ip:
        route = _route(ip, dst, interface)
        index = route.get_attr("RTA_OIF")
        name = ip.get_links(index)[0].get_attr("IFLA_IFNAME")
        return Hop(
            interface=str(name),
            neighbour=str(route.get_attr("RTA_GATEWAY") or dst),
            local=route["type"] == _RTN_LOCAL,
            source=route.get_attr("RTA_PREFSRC"),
            broadcast=route["type"] == _RTN_BROADCAST,
        )


@_off_loop
def path_mtu(dst: str, netns: str | None = None, interface: str | None = None) -> int:
    """The MTU of the kernel's route for ``dst`` (out of ``interface`` if given): the route's own
    (a learned path MTU, or ``ip route ... mtu N``) when it has one, else its interface's."""
    with _iproute(netns) as ip:
        route = _route(ip, dst, interface)
        metrics = route.get_attr("RTA_METRICS")
        mtu = metrics.get_attr("RTAX_MTU") if metrics is not None else None
        if not mtu:
            mtu = ip.get_links(route.get_attr("RTA_OIF"))[0].get_attr("IFLA_MTU")
        return int(mtu)


@_off_loop
def source_for(
    dst: str, family: int = socket.AF_INET, netns: str | None = None, interface: str | None = None
) -> str:
    """The source address the kernel's routing picks for ``dst`` (out of ``interface`` if given)."""
    source = next_hop(dst, netns, interface).source
    if source is None:  # (a route without one: ask the kernel to pick, as connect() does)
        with _udp(family, netns) as probe:
            if interface is not None:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
            probe.connect((dst, 9))  # no packet leaves: UDP connect only chooses the addresses
            source = probe.getsockname()[0]
    return str(source)


def _udp(family: int, netns: str | None) -> socket.socket:
    if netns:
        made: socket.socket = netns_module.create_socket(netns, family, socket.SOCK_DGRAM)
        return made
    return socket.socket(family, socket.SOCK_DGRAM)


@_off_loop
def is_loopback(interface: str, netns: str | None = None) -> bool:
    """Whether ``interface`` is a loopback (no Ethernet peer behind it)."""
    with _iproute(netns) as ip:
        return bool(ip.get_links(_index(ip, interface))[0]["flags"] & _IFF_LOOPBACK)


@_off_loop
def interface_mac(interface: str, netns: str | None = None) -> str:
    """The MAC address of ``interface``."""
    with _iproute(netns) as ip:
        mac: str = ip.get_links(_index(ip, interface))[0].get_attr("IFLA_ADDRESS")
        return mac


@_off_loop
def interface_ipv4(interface: str, netns: str | None = None) -> str:
    """The first IPv4 address of ``interface``, or 0.0.0.0 (what an ARP probe then says)."""
    with _iproute(netns) as ip:
        for entry in ip.get_addr(index=_index(ip, interface), family=socket.AF_INET):
            return str(entry.get_attr("IFA_ADDRESS"))
    return "0.0.0.0"


@_off_loop
def neighbour_mac(address: str, interface: str, netns: str | None = None) -> str | None:
    """The kernel's neighbour-table entry (ARP or NDP) for ``address`` on ``interface``, if any."""
    with _iproute(netns) as ip:
        for entry in ip.get_neighbours(ifindex=_index(ip, interface), dst=address):
            mac = entry.get_attr("NDA_LLADDR")
            if mac and entry["state"] not in (_NUD_FAILED, _NUD_INCOMPLETE):
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


@_off_loop
def interface_networks(interface: str, netns: str | None = None) -> list[Any]:
    """The addresses of ``interface`` with their prefixes (``ipaddress.ip_interface`` objects),
    link-local IPv6 addresses left out."""
    with _iproute(netns) as ip:
        found = []
        for entry in ip.get_addr(index=_index(ip, interface)):
            address = ipaddress.ip_interface(f"{entry.get_attr('IFA_ADDRESS')}/{entry['prefixlen']}")
            if not address.ip.is_link_local:
                found.append(address)
        return found


@_off_loop
def local_addresses(netns: str | None = None) -> set[str]:
    """Every address the kernel of the namespace owns (on any interface)."""
    with _iproute(netns) as ip:
        return {str(ipaddress.ip_address(entry.get_attr("IFA_ADDRESS"))) for entry in ip.get_addr()}


@_off_loop
def neighbour_addresses(interface: str, netns: str | None = None) -> set[str]:
    """The addresses of ``interface``'s neighbour table (ARP and NDP), whatever their state."""
    with _iproute(netns) as ip:
        return {
            str(ipaddress.ip_address(entry.get_attr("NDA_DST")))
            for entry in ip.get_neighbours(ifindex=_index(ip, interface))
            if entry.get_attr("NDA_DST")
        }


@_off_loop
def interface_mtu(interface: str, netns: str | None = None) -> int:
    """The MTU of ``interface``."""
    with _iproute(netns) as ip:
        return int(ip.get_links(_index(ip, interface))[0].get_attr("IFLA_MTU"))
