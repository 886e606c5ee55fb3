"""An isolated network to play in: network namespaces joined by veth pairs.

Every address comes from 198.18.0.0/15 (RFC 2544 benchmarking) and 2001:db8::/32 (RFC 3849
documentation), and nothing a lab does can leave the namespaces it creates. A Lab is a context
manager that removes its namespaces (and with them its veth pairs) however the block ends.
Netlink work goes through pyroute2; nothing here parses command output.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import itertools
import os
import re
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from pyroute2 import IPRoute, NetNS, netns
from pyroute2.ethtool import Ethtool
from pyroute2.netlink.exceptions import NetlinkError

from rawnet.errors import InputError, PrivilegeError, RawnetError

#: Namespaces a lab creates are named PREFIX-<pid>-<lab>-<host>, so stale ones can be found.
PREFIX = "rawnet"
#: A named lab (``Lab.pair(name=...)``, ``rawnet lab up``) outlives its process: its namespaces
#: are PREFIX-KEEP-<name>-<host>, which stale_namespaces() never takes for a dead run's.
KEEP = "keep"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_LAB_NETWORKS = (ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:db8::/32"))
_CAP_SYS_ADMIN = 21  # linux/capability.h
_IFA_F_NODAD = 0x02  # an IPv6 address usable at once (no duplicate address detection wait)
_labs = itertools.count(1)
_links = itertools.count(1)  # numbers the veth names of every lab of this process


@dataclass(frozen=True)
class Interface:
    """One end of a link: its name inside its host, MAC, and IPv4 / IPv6 addresses."""

    name: str
    mac: str
    ipv4: str
    ipv6: str
    prefix4: int = 24
    prefix6: int = 64


@dataclass
class Host:
    """A network namespace of the lab, with its interfaces by the name of the host they lead to."""

    name: str
    netns: str
    interfaces: dict[str, Interface] = field(default_factory=dict)

    @property
    def ipv4(self) -> str:
        """The host's first IPv4 address (hosts with one link have one)."""
        return next(iter(self.interfaces.values())).ipv4

    @property
    def ipv6(self) -> str:
        """The host's first IPv6 address."""
        return next(iter(self.interfaces.values())).ipv6


class LabError(InputError):
    """A named lab that exists already, or does not exist; or a name that cannot be one."""


class Lab:
    """Namespaces joined by veth pairs; ``Lab.pair()`` and ``Lab.line()`` build the usual ones.

    >>> with Lab.pair() as lab:                         # doctest: +SKIP
    ...     a, b = lab["a"], lab["b"]
    ...     sock = lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM)
    ...     sock.sendto(b"hi", (b.ipv4, 9))

    A lab given a ``name`` is *named*: its namespaces (PREFIX-keep-<name>-<host>) stay when the
    process ends, until ``close()``, ``remove_named(name)`` or ``rawnet lab down``; another
    process finds it again with ``Lab.attach(name)``.
    """

    def __init__(self, name: str | None = None) -> None:
        if name is not None:
            check_name(name)
            if name in named_labs():
                raise LabError(f"a lab named {name!r} exists already")
        self._start(name)

    def _start(self, name: str | None) -> None:
        #: The name of a named lab (None for one that lives as long as its process).
        self.name = name
        self.id = f"{os.getpid()}-{next(_labs)}" if name is None else f"{KEEP}-{name}"
        self.hosts: dict[str, Host] = {}
        self._links = 0
        self._closed = False

    # -- topologies ------------------------------------------------------------------------
    @classmethod
    def pair(cls, name: str | None = None, *, queues: int = 1) -> Lab:
        """Hosts "a" (198.18.1.1) and "b" (198.18.1.2) on one link (a named lab with ``name``);
        ``queues``: transmit and receive queues of each end (one per sending core)."""
        lab = cls(name)
        try:
            lab.add_host("a")
            lab.add_host("b")
            lab.link("a", "b", queues=queues)
        except BaseException:
            lab.close()
            raise
        return lab

    @classmethod
    def line(cls, routers: int = 1, name: str | None = None) -> Lab:
        """Host "a", routers "r1".."rN" (forwarding IPv4 and IPv6), host "b", in a line.

        Link k joins the k-th and (k+1)-th host on 198.18.k.0/24 and 2001:db8:k::/64. The end
        hosts send everything of the lab's prefixes to their neighbour; each router routes the
        links beyond its neighbours through them. With ``name``, a named lab (see Lab).
        """
        lab = cls(name)
        try:
            names = ["a", *(f"r{index}" for index in range(1, routers + 1)), "b"]
            for name in names:
                lab.add_host(name, forwarding=name.startswith("r"))
            for left, right in itertools.pairwise(names):
                lab.link(left, right)
            lab.default_route("a", names[1])
            lab.default_route("b", names[-2])
            for position in range(1, len(names) - 1):
                for link in range(1, len(names)):
                    if link < position:  # links to the left, through the left neighbour
                        lab.route(names[position], link, via=names[position - 1])
                    elif link > position + 1:
                        lab.route(names[position], link, via=names[position + 1])
        except BaseException:
            lab.close()
            raise
        return lab

    # -- building --------------------------------------------------------------------------
    def add_host(self, name: str, *, forwarding: bool = False) -> Host:
        """A new namespace with its loopback up; a router forwards IPv4 and IPv6."""
        if name in self.hosts:
            raise RawnetError(f"lab host {name!r} exists already")
        namespace = f"{PREFIX}-{self.id}-{name}"
        try:
            netns.create(namespace)
        except OSError as error:
            if error.errno in (errno.EPERM, errno.EACCES):
                raise PrivilegeError(
                    f"creating network namespace {namespace} needs CAP_SYS_ADMIN: run as root ({error})"
                ) from None
            raise RawnetError(
                f"cannot create network namespace {namespace}: {error.strerror or error}"
            ) from None
        host = self.hosts[name] = Host(name, namespace)
        with NetNS(namespace) as ns:
            ns.link("set", index=ns.link_lookup(ifname="lo")[0], state="up")
        # No duplicate address detection: a lab's addresses are unique by construction, and
        # tentative link-local addresses would hold IPv6 neighbour discovery back for a second.
        for scope in ("all", "default"):
            self.sysctl(name, f"net.ipv6.conf.{scope}.accept_dad", "0")
        if forwarding:
            self.sysctl(name, "net.ipv4.ip_forward", "1")
            self.sysctl(name, "net.ipv6.conf.all.forwarding", "1")
            self.sysctl(name, "net.ipv6.conf.default.forwarding", "1")  # for links added later
        return host

    def link(self, left: str, right: str, *, queues: int = 1) -> tuple[Interface, Interface]:
        """A veth pair between two hosts, on subnets 198.18.N.0/24 and 2001:db8:N::/64, each end
        with ``queues`` transmit and receive queues (several let senders on several cores go
        without sharing a queue's lock)."""
        self._links += 1
        number = self._links
        if number > 255:
            raise RawnetError("a lab has room for 255 links")
        ends = []
        serial = next(_links)
        names = (f"rn{os.getpid() % 100000}x{serial}a", f"rn{os.getpid() % 100000}x{serial}b")
        with IPRoute() as ip:  # both ends are made inside their namespaces: none touches this one
            ip.link(
                "add",
                ifname=names[0],
                kind="veth",
                net_ns_fd=self.hosts[left].netns,
                num_tx_queues=queues,
                num_rx_queues=queues,
                peer={
                    "ifname": names[1],
                    "net_ns_fd": self.hosts[right].netns,
                    "num_tx_queues": queues,
                    "num_rx_queues": queues,
                },
            )
        for side, (host_name, peer_name, ifname) in enumerate(
            ((left, right, names[0]), (right, left, names[1]))
        ):
            ipv4, ipv6 = f"198.18.{number}.{side + 1}", f"2001:db8:{number:x}::{side + 1}"
            with NetNS(self.hosts[host_name].netns) as ns:
                index = ns.link_lookup(ifname=ifname)[0]
                ns.addr("add", index=index, address=ipv4, prefixlen=24)
                ns.addr("add", index=index, address=ipv6, prefixlen=64, flags=_IFA_F_NODAD)
                ns.link("set", index=index, state="up")
                mac = ns.get_links(index)[0].get_attr("IFLA_ADDRESS")
            self._checksums_in_software(host_name, ifname)
            interface = Interface(ifname, mac, ipv4, ipv6)
            self.hosts[host_name].interfaces[peer_name] = interface
            ends.append(interface)
        return ends[0], ends[1]

    def route(self, host: str, link: int, *, via: str) -> None:
        """Route link ``link``'s subnets (IPv4 and IPv6) from ``host`` through its neighbour ``via``."""
        gateway = self.hosts[via].interfaces[host]
        with NetNS(self.hosts[host].netns) as ns:
            ns.route("replace", dst=f"198.18.{link}.0/24", gateway=gateway.ipv4)
            ns.route("replace", dst=f"2001:db8:{link:x}::/64", gateway=gateway.ipv6)

    def default_route(self, host: str, via: str) -> None:
        """Everything from ``host`` goes through its neighbour ``via`` (lab addresses only exist)."""
        gateway = self.hosts[via].interfaces[host]
        with NetNS(self.hosts[host].netns) as ns:
            ns.route("replace", dst="198.18.0.0/15", gateway=gateway.ipv4)
            ns.route("replace", dst="2001:db8::/32", gateway=gateway.ipv6)

    def _checksums_in_software(self, host: str, interface: str) -> None:
        """Turn transmit checksum offload off: a veth would leave TCP/UDP checksums unfinished
        ("hardware" never fills them in), and captures in the lab should show what a wire carries."""
        netns.pushns(self.hosts[host].netns)
        try:
            tool = Ethtool()
            try:
                features = tool.get_features(interface)
                features.features["tx-checksum-ip-generic"].enable = False
                tool.set_features(interface, features)
            finally:
                tool.close()
        finally:
            netns.popns()

    def sysctl(self, host: str, key: str, value: str) -> None:
        """Set a (network) sysctl inside ``host``'s namespace: /proc/sys/net is per namespace."""
        netns.pushns(self.hosts[host].netns)
        try:
            with open(f"/proc/sys/{key.replace('.', '/')}", "w") as setting:
                setting.write(value)
        finally:
            netns.popns()

    # -- using -----------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def socket(self, host: str, family: int, kind: int, proto: int = 0) -> socket.socket:
        """A socket that lives in ``host``'s namespace (it stays there once made)."""
        made: socket.socket = netns.create_socket(self.hosts[host].netns, family, kind, proto)
        return made

    def run(self, host: str, argv: Sequence[str], **options: Any) -> subprocess.CompletedProcess[str]:
        """Run a command inside ``host``'s namespace (``ip netns exec``) and wait for it."""
        options.setdefault("capture_output", True)
        options.setdefault("text", True)
        return subprocess.run(["ip", "netns", "exec", self.hosts[host].netns, *argv], **options)

    def popen(self, host: str, argv: Sequence[str], **options: Any) -> subprocess.Popen[str]:
        """Start a command inside ``host``'s namespace and return at once."""
        options.setdefault("text", True)
        return subprocess.Popen(["ip", "netns", "exec", self.hosts[host].netns, *argv], **options)

    # -- named labs ------------------------------------------------------------------------
    @classmethod
    def attach(cls, name: str) -> Lab:
        """The named lab ``name`` as the kernel has it: hosts, interfaces, addresses (netlink).

        Each interface's peer is the host holding the other address of its /24; hosts come in
        line order (a, r1, ..., b). ``close()`` on the result removes the lab.
        """
        namespaces = named_labs().get(name)
        if not namespaces:
            raise LabError(f"no lab named {name!r}")
        lab = cls.__new__(cls)
        lab._start(name)
        found = {host: _interfaces(namespace) for host, namespace in namespaces.items()}

        def link_numbers(host: str) -> list[int]:
            return [int(interface.ipv4.split(".")[2]) for interface in found[host]] or [0]

        for host in sorted(found, key=lambda host: (min(link_numbers(host)), max(link_numbers(host)), host)):
            made = lab.hosts[host] = Host(host, namespaces[host])
            for interface in sorted(found[host], key=lambda each: ipaddress.ip_address(each.ipv4)):
                network = ipaddress.ip_interface(f"{interface.ipv4}/{interface.prefix4}").network
                peers = [other for other in found if other != host and _holds(found[other], network)]
                made.interfaces[peers[0] if peers else interface.name] = interface
        lab._links = max(number for host in found for number in link_numbers(host))
        return lab

    # -- cleaning up -----------------------------------------------------------------------
    def close(self) -> None:
        """Remove every namespace of the lab (their veth pairs go with them). Idempotent."""
        if self._closed:
            return
        self._closed = True
        for host in self.hosts.values():
            with contextlib.suppress(OSError, NetlinkError):  # already gone
                netns.remove(host.netns)

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def check_name(name: str) -> None:
    """Raise LabError unless ``name`` can name a lab: 1-32 of letters, digits, ``_ . -``."""
    if not _NAME.fullmatch(name):
        raise LabError(
            f"{name!r} cannot name a lab: use 1 to 32 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )


def named_labs() -> dict[str, dict[str, str]]:
    """Every named lab on this machine: name -> {host: namespace} (from the namespace names)."""
    labs: dict[str, dict[str, str]] = {}
    start = f"{PREFIX}-{KEEP}-"
    for namespace in sorted(netns.listnetns()):
        if namespace.startswith(start) and "-" in namespace[len(start) :]:
            name, _, host = namespace[len(start) :].rpartition("-")  # host names have no '-'
            if _NAME.fullmatch(name) and host:
                labs.setdefault(name, {})[host] = namespace
    return labs


def remove_named(name: str) -> list[str]:
    """Remove the named lab ``name`` (every namespace it has); returns their names."""
    namespaces = named_labs().get(name)
    if not namespaces:
        raise LabError(f"no lab named {name!r}")
    for namespace in namespaces.values():
        with contextlib.suppress(OSError, NetlinkError):
            netns.remove(namespace)
    return list(namespaces.values())


def require_admin() -> None:
    """Raise PrivilegeError unless this process may make and enter namespaces (CAP_SYS_ADMIN)."""
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        effective = int(fields["CapEff"].strip(), 16)
    except (OSError, KeyError, ValueError):
        effective = -1 if os.geteuid() == 0 else 0
    if not effective & (1 << _CAP_SYS_ADMIN):
        raise PrivilegeError("network namespaces need CAP_SYS_ADMIN: run as root")


def _interfaces(namespace: str) -> list[Interface]:
    """The lab interfaces of a namespace: each link but lo, with its lab addresses."""
    found = []
    with NetNS(namespace) as ns:
        addresses: dict[int, dict[int, tuple[str, int]]] = {}
        for entry in ns.get_addr():
            address = ipaddress.ip_address(entry.get_attr("IFA_ADDRESS"))
            if any(address in network for network in _LAB_NETWORKS):
                addresses.setdefault(entry["index"], {})[address.version] = (str(address), entry["prefixlen"])
        for link in ns.get_links():
            index = link["index"]
            if index not in addresses or 4 not in addresses[index]:
                continue
            ipv4, prefix4 = addresses[index][4]
            ipv6, prefix6 = addresses[index].get(6, ("", 64))
            found.append(
                Interface(
                    link.get_attr("IFLA_IFNAME"), link.get_attr("IFLA_ADDRESS"), ipv4, ipv6, prefix4, prefix6
                )
            )
    return found


def _holds(interfaces: list[Interface], network: Any) -> bool:
    return any(ipaddress.ip_address(interface.ipv4) in network for interface in interfaces)


def stale_namespaces() -> list[str]:
    """Namespaces of labs whose process is gone (an interrupted run): remove_stale() clears them."""
    stale = []
    for name in netns.listnetns():
        parts = name.split("-")
        if len(parts) >= 4 and parts[0] == PREFIX and parts[1].isdigit() and not _alive(int(parts[1])):
            stale.append(name)
    return stale


def remove_stale() -> list[str]:
    """Remove the namespaces of dead labs; returns their names."""
    removed = stale_namespaces()
    for name in removed:
        with contextlib.suppress(OSError, NetlinkError):
            netns.remove(name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
