"""Loss and reordering in a lab router, for the tests of rawnet.tcp: this kernel has no netem.

``drop()`` loses packets at random in the router's FORWARD chain (iptables' statistic match,
counted by iptables, always removed); ``Forwarder`` turns the router's kernel forwarding off and
forwards through rawnet's packet sockets instead, holding packets back (reordering) and losing
them from a seeded generator. Both act only inside the namespaces of the lab they are given.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import random
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rawnet import ARP, Ether, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6
from rawnet.net.bpf import attach_filter, compile_filter
from rawnet.net.lab import Lab
from rawnet.net.linux import (
    ETH_P_IP,
    ETH_P_IPV6,
    PACKET_IGNORE_OUTGOING,
    PACKET_STATISTICS,
    SO_RCVBUFFORCE,
    SOL_PACKET,
    TPACKET_STATS,
)
from rawnet.net.sockets import RawSocket

#: Every rule drop() adds carries this comment, so its counters and its removal find only its own.
COMMENT = "rawnet-impair"
_TOOLS = ("iptables", "ip6tables")
_LAB_NETWORKS = {4: "198.18.0.0/15", 6: "2001:db8::/32"}


# -- loss in the kernel: iptables -------------------------------------------------------------
@dataclass
class Drops:
    """What drop()'s rules counted (IPv4 and IPv6 together), by the host packets were going to."""

    #: Packets that reached the rules, by destination host.
    seen: dict[str, int] = field(default_factory=dict)
    #: Packets the rules dropped, by destination host.
    dropped: dict[str, int] = field(default_factory=dict)


def _xtables(lab: Lab, router: str, tool: str, *arguments: str) -> str:
    return lab.run(router, [tool, "-w", *arguments], check=True).stdout


def _forward_rules(lab: Lab, router: str) -> dict[str, list[str]]:
    """The router's FORWARD chain as ``iptables -S`` prints it, per tool."""
    return {tool: _xtables(lab, router, tool, "-S", "FORWARD").splitlines() for tool in _TOOLS}


def _read_counters(lab: Lab, router: str, drops: Drops) -> None:
    """Fill ``drops`` from ``iptables -nvxL FORWARD``: the lines carrying our comments."""
    drops.seen.clear()
    drops.dropped.clear()
    for tool in _TOOLS:
        for line in _xtables(lab, router, tool, "-nvxL", "FORWARD").splitlines():
            if f"/* {COMMENT} " not in line:
                continue
            packets = int(line.split()[0])
            kind, host = line.split(f"/* {COMMENT} ")[1].split(" */")[0].split()
            counts = drops.seen if kind == "seen" else drops.dropped
            counts[host] = counts.get(host, 0) + packets


@contextlib.contextmanager
def drop(
    lab: Lab,
    router: str = "r1",
    probability: float = 0.01,
    *,
    towards: str | None = None,
    every: int | None = None,
) -> Iterator[Drops]:
    """Drop forwarded packets in ``router`` (IPv4 and IPv6) while the block runs.

    Each packet is dropped with ``probability`` (iptables ``-m statistic --mode random``: the
    kernel's generator, which no seed reaches; Forwarder(loss=, seed=) loses reproducibly), or,
    given ``every``, exactly every ``every``-th packet of each direction (``--mode nth``).
    ``towards``: only packets going to that host (a neighbour of the router); else both ways.
    The yielded Drops is filled when the block ends: the rules' counters, read just before they
    are removed. The FORWARD chains are then checked to be as they were before (AssertionError).
    """
    if every is not None and every < 1:
        raise ValueError(f"every must be at least 1, not {every}")
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must be within [0, 1], not {probability}")
    interfaces = lab[router].interfaces
    hosts = [towards] if towards is not None else list(interfaces)
    if towards is not None and towards not in interfaces:
        raise ValueError(f"{towards!r} is not a neighbour of {router} (its neighbours: {list(interfaces)})")
    match = (
        ["--mode", "nth", "--every", str(every), "--packet", "0"]
        if every is not None
        else ["--mode", "random", "--probability", f"{probability:.10f}"]
    )
    rules = []
    for host in hosts:
        out = ["-o", interfaces[host].name]
        rules.append([*out, "-m", "comment", "--comment", f"{COMMENT} seen {host}"])  # counts only
        rules.append(
            [
                *out,
                "-m",
                "statistic",
                *match,
                "-m",
                "comment",
                "--comment",
                f"{COMMENT} drop {host}",
                "-j",
                "DROP",
            ]
        )
    before = _forward_rules(lab, router)
    drops = Drops()
    added: list[tuple[str, list[str]]] = []
    try:
        for tool in _TOOLS:
            for rule in rules:
                _xtables(lab, router, tool, "-A", "FORWARD", *rule)
                added.append((tool, rule))
        yield drops
    finally:
        try:
            _read_counters(lab, router, drops)
        finally:
            for tool, rule in reversed(added):
                _xtables(lab, router, tool, "-D", "FORWARD", *rule)
        after = _forward_rules(lab, router)
        assert after == before, f"{router}'s FORWARD chains were {before}, and are {after} after drop()"


# -- reordering and loss in rawnet: the Forwarder ------------------------------------------------
class Policy:
    """What happens to each packet going one way: sent on, held back (reordering), or dropped.

    Every ``reorder_every``-th packet (0: none) is held back; with probability ``loss`` a packet
    is dropped, drawn from a generator seeded with ``seed`` (the same packets of a run are lost
    in every run that sees them in the same order). Pure: no sockets, no clock.
    """

    def __init__(self, reorder_every: int = 0, loss: float = 0.0, seed: int | str = 0) -> None:
        self.reorder_every = reorder_every
        self.loss = loss
        self._random = random.Random(seed)
        self.count = 0

    def decide(self) -> str:
        """ "drop", "hold" or "send" for the next packet."""
        self.count += 1
        if self.loss and self._random.random() < self.loss:
            return "drop"
        if self.reorder_every and self.count % self.reorder_every == 0:
            return "hold"
        return "send"


def decrement_ttl(frame: bytearray | memoryview, ethertype: int) -> bool:
    """Decrement the IPv4 TTL or IPv6 hop limit of an Ethernet ``frame`` in place; False (frame
    left alone) when it was 1 or 0, as a router does before it sends Time Exceeded.

    The IPv4 header checksum is updated incrementally (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')):
    the TTL is the high byte of the word m = TTL << 8 | protocol, and m' = m - 0x100, so
    ~m + m' is the constant 0xFEFF in one's complement arithmetic.
    """
    if ethertype == ETH_P_IP:
        ttl = frame[22]
        if ttl <= 1:
            return False
        frame[22] = ttl - 1
        total = (~((frame[24] << 8) | frame[25]) & 0xFFFF) + 0xFEFF
        total = (total & 0xFFFF) + (total >> 16)
        total = ~((total & 0xFFFF) + (total >> 16)) & 0xFFFF
        frame[24] = total >> 8
        frame[25] = total & 0xFF
        return True
    hop_limit = frame[21]
    if hop_limit <= 1:
        return False
    frame[21] = hop_limit - 1
    return True


@dataclass
class Counters:
    """What a Forwarder did (read when it stops)."""

    #: Packets sent out of the other interface (held ones included, once released).
    forwarded: int = 0
    #: Packets held back, then sent after later ones.
    held: int = 0
    #: Packets the loss policy dropped.
    dropped: int = 0
    #: Packets not forwarded because their TTL or hop limit ran out.
    expired: int = 0
    #: Packets whose send failed (a full transmit queue: ENOBUFS).
    send_errors: int = 0
    #: Packets the kernel dropped before the forwarder read them (its sockets' receive queues full).
    socket_drops: int = 0
    #: Packets for an address of a link that answered neither ARP nor neighbour solicitations.
    unresolved: int = 0
    #: Packets forwarded by destination host.
    towards: dict[str, int] = field(default_factory=dict)
    #: Seconds between the start and the stop.
    seconds: float = 0.0


class Forwarder:
    """The router ``router`` of a lab (two neighbours) forwarding through rawnet, not its kernel.

    While the block runs, the router's kernel forwarding is off (net.ipv4.ip_forward and
    net.ipv6.conf.all.forwarding are 0, restored afterwards); a process in its namespace reads
    each interface with a packet socket (incoming frames only, a kernel filter passing only IPv4
    and IPv6 packets sent to the router's MAC for other lab addresses, and ARP and neighbour
    discovery to learn from) and sends each one out of the other interface from the router's
    MAC, its TTL or hop limit decremented, to its destination's MAC (a host of the link may have
    one beside its kernel's, as rawnet.tcp's virtual hosts do: learned from what the link's
    hosts send, else asked for with ARP or a neighbour solicitation). The router keeps its
    addresses: its kernel still answers ARP, neighbour discovery and anything sent to it.

    The policy applies to the packets going to ``towards`` (None: both ways, each with a Policy
    of its own): every ``reorder_every``-th packet is held back until ``hold`` later packets have
    gone the same way, or ``release_after`` seconds passed without them; ``loss`` drops packets,
    drawn from ``seed``. ``counters`` is filled when the block ends.
    """

    def __init__(
        self,
        lab: Lab,
        router: str = "r1",
        *,
        reorder_every: int = 0,
        hold: int = 1,
        loss: float = 0.0,
        seed: int = 0,
        towards: str | None = None,
        release_after: float = 0.02,
    ) -> None:
        interfaces = lab[router].interfaces
        if len(interfaces) != 2:
            raise ValueError(f"a Forwarder's router has two neighbours; {router} has {list(interfaces)}")
        if towards is not None and towards not in interfaces:
            raise ValueError(
                f"{towards!r} is not a neighbour of {router} (its neighbours: {list(interfaces)})"
            )
        if reorder_every < 0 or hold < 1:
            raise ValueError(f"reorder_every must be >= 0 and hold >= 1 (not {reorder_every}, {hold})")
        self.lab = lab
        self.router = router
        self.counters = Counters()
        self._config = {
            "sides": [
                {
                    "peer": peer,
                    "name": interface.name,
                    "mac": interface.mac,
                    "ipv4": interface.ipv4,
                    "ipv6": interface.ipv6,
                    "prefix4": interface.prefix4,
                    "prefix6": interface.prefix6,
                    "neighbour": lab[peer].interfaces[router].mac,
                    "neighbour_addresses": [
                        lab[peer].interfaces[router].ipv4,
                        lab[peer].interfaces[router].ipv6,
                    ],
                }
                for peer, interface in interfaces.items()
            ],
            "local": [address for each in interfaces.values() for address in (each.ipv4, each.ipv6)],
            "reorder_every": reorder_every,
            "hold": hold,
            "loss": loss,
            "seed": seed,
            "towards": towards,
            "release_after": release_after,
        }
        self._process: subprocess.Popen[str] | None = None
        self._saved: dict[str, str] = {}

    _SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")

    def start(self) -> None:
        """Turn the router's kernel forwarding off and start forwarding through rawnet."""
        for key in self._SYSCTLS:
            self._saved[key] = self.lab.run(self.router, ["sysctl", "-n", key], check=True).stdout.strip()
            self.lab.sysctl(self.router, key, "0")
        try:
            self._process = self.lab.popen(
                self.router,
                [sys.executable, __file__, json.dumps(self._config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            assert self._process.stdout is not None
            ready, _, _ = select.select([self._process.stdout], [], [], 20)
            line = self._process.stdout.readline() if ready else ""
            if line != "ready\n":
                raise RuntimeError(f"the forwarder did not start: {line!r} (exit {self._process.poll()})")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> Counters:
        """Stop forwarding (held packets are sent first), restore the sysctls; the counters."""
        process, self._process = self._process, None
        try:
            if process is not None:
                try:  # (communicate() closes its standard input: the forwarder's signal to stop)
                    out, _ = process.communicate(timeout=20)
                finally:
                    if process.poll() is None:
                        process.kill()
                        process.wait()
                lines = out.splitlines()
                if process.returncode != 0 or not lines:
                    raise RuntimeError(f"the forwarder failed (exit {process.returncode}): {out!r}")
                self.counters = Counters(**json.loads(lines[-1]))
        finally:
            for key, value in self._saved.items():
                self.lab.sysctl(self.router, key, value)
            self._saved.clear()
        return self.counters

    def __enter__(self) -> Forwarder:
        self.start()
        return self

    def __exit__(self, *exception: object) -> None:
        self.stop()


# -- a server to download from -------------------------------------------------------------------
#: Python's http.server on every address (IPv4 and IPv6) of its namespace, quiet, serving a folder;
#: it says "serving" on stderr once it listens.
_HTTP_SERVER = """
import functools, http.server, socket, sys
class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *arguments):
        pass
server = Server(("::", int(sys.argv[2])), functools.partial(Handler, directory=sys.argv[1]))
print("serving", file=sys.stderr, flush=True)
server.serve_forever()
"""


@contextlib.contextmanager
def http_server(lab: Lab, host: str, directory: str, port: int = 8080) -> Iterator[subprocess.Popen[str]]:
    """Python's http.server serving ``directory`` on ``port`` of every address of ``host``
    (HTTP/1.0: one request a connection, closed by the server), while the block runs."""
    process = lab.popen(
        host, [sys.executable, "-c", _HTTP_SERVER, directory, str(port)], stderr=subprocess.PIPE
    )
    try:
        assert process.stderr is not None
        ready, _, _ = select.select([process.stderr], [], [], 20)
        line = process.stderr.readline() if ready else ""
        if line != "serving\n":
            raise RuntimeError(f"http.server did not start: {line!r} (exit {process.poll()})")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stderr is not None:
            process.stderr.close()


# -- the forwarding process (run inside the router's namespace) ----------------------------------
_ETH_P_ARP = 0x0806
_ICMPV6 = 58
_ND_SOLICITATION, _ND_ADVERTISEMENT = 135, 136
_PENDING_MAX = 64  # frames kept per address being resolved
_RESOLVE_TRIES, _RESOLVE_WAIT = 3, 0.3  # ARP / neighbour solicitations per address, seconds apart


class _Side:
    """One interface of the router: its socket, its link's neighbours, what waits to go out of it.

    A frame goes to the MAC of its destination when that is on the link (learned from the
    frames its hosts send, from ARP and from Neighbour Discovery, else asked for with an ARP
    request or a neighbour solicitation), and to the neighbour's MAC when it is beyond it: a
    host of the link may have a MAC of its own beside its kernel's (rawnet.tcp's virtual hosts).
    """

    def __init__(self, config: dict[str, Any], local: list[str]) -> None:
        self.peer: str = config["peer"]
        self.name: str = config["name"]
        self.raw = RawSocket.l2(self.name)
        self.socket = self.raw.socket
        self.socket.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        self.socket.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        not_local = {
            version: " and ".join(
                f"not dst host {address}" for address in local if (":" in address) == (version == 6)
            )
            for version in (4, 6)
        }
        # Packets to forward (sent to the router's MAC, for a lab address not its own), and what
        # tells who is on the link (ARP, neighbour solicitations and advertisements).
        expression = (
            f"(ether dst {config['mac']} and ("
            f"(ip and dst net {_LAB_NETWORKS[4]} and {not_local[4]}) or "
            f"(ip6 and dst net {_LAB_NETWORKS[6]} and {not_local[6]})))"
            f" or arp or (icmp6 and (ip6[40] == {_ND_SOLICITATION} or ip6[40] == {_ND_ADVERTISEMENT}))"
        )
        attach_filter(self.socket, compile_filter(expression))
        self.socket.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:  # what the socket queued before its filter was attached
                self.socket.recv(65536)
        self.mac = _mac(config["mac"])
        self.ipv4, self.ipv6 = config["ipv4"], config["ipv6"]
        self.networks = {
            4: ipaddress.ip_network(f"{self.ipv4}/{config['prefix4']}", strict=False),
            6: ipaddress.ip_network(f"{self.ipv6}/{config['prefix6']}", strict=False),
        }
        #: The neighbour's MAC: where packets for addresses beyond it go.
        self.gateway = _mac(config["neighbour"])
        #: MACs of the link's addresses (packed), the neighbour's own to begin with.
        self.neighbours: dict[bytes, bytes] = {
            ipaddress.ip_address(address).packed: self.gateway for address in config["neighbour_addresses"]
        }
        #: Frames for addresses being resolved: packed address -> [tries, next try, frames].
        self.pending: dict[bytes, list[Any]] = {}
        #: Frames held back: [packets still to go before it, deadline (monotonic), frame].
        self.held: list[list[Any]] = []
        self.policy: Policy | None = None
        self.forwarded = 0

    def on_link(self, address: bytes) -> bool:
        """Whether a packed address is on this side's link (its MAC must be known to send to it)."""
        return ipaddress.ip_address(address) in self.networks[4 if len(address) == 4 else 6]

    def learn(self, address: bytes, mac: bytes) -> list[bytes]:
        """A frame from ``address`` came from ``mac`` (a host of the link, or the neighbour that
        forwarded it from beyond): send there; returns the frames that waited for it."""
        if address in (bytes(4), bytes(16)):  # (probes for an address: no sender yet)
            return []
        self.neighbours[address] = mac
        waiting = self.pending.pop(address, None)
        if not waiting:
            return []
        frames: list[bytes] = waiting[2]
        return [mac + frame[6:] for frame in frames]

    def solicitation(self, address: bytes) -> bytes:
        """An ARP request or a neighbour solicitation for ``address``, from the router."""
        mac = ":".join(f"{byte:02x}" for byte in self.mac)
        target = ipaddress.ip_address(address)
        if target.version == 4:
            return bytes(
                Ether(src=mac, dst="ff:ff:ff:ff:ff:ff")
                / ARP(op=1, hwsrc=mac, psrc=self.ipv4, hwdst="00:00:00:00:00:00", pdst=str(target))
            )
        group = ipaddress.ip_address(ipaddress.ip_address("ff02::1:ff00:0").packed[:13] + address[-3:])
        return bytes(
            Ether(src=mac, dst="33:33:" + ":".join(f"{byte:02x}" for byte in group.packed[-4:]))
            / IPv6(src=self.ipv6, dst=str(group), hlim=255)
            / ICMPv6ND_NS(tgt=str(target))
            / ICMPv6NDOptSrcLLAddr(lladdr=mac)
        )

    def kernel_drops(self) -> int:
        """Frames the kernel dropped for this socket since the last call (PACKET_STATISTICS)."""
        statistics = self.socket.getsockopt(SOL_PACKET, PACKET_STATISTICS, TPACKET_STATS.size)
        return int(TPACKET_STATS.unpack(statistics)[1])


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def _serve(config: dict[str, Any]) -> Counters:
    """Forward until standard input ends; returns what was done."""
    sides = [_Side(each, config["local"]) for each in config["sides"]]
    for index, side in enumerate(sides):
        if config["towards"] in (None, side.peer) and (config["reorder_every"] or config["loss"]):
            side.policy = Policy(config["reorder_every"], config["loss"], f"{config['seed']}-{index}")
    for side in sides:
        side.kernel_drops()  # (zeroes the kernel's counts)
    counters = Counters()
    hold, release_after = config["hold"], config["release_after"]
    buffer = bytearray(65536)
    view = memoryview(buffer)
    poller = select.poll()
    outputs = {sides[0].socket.fileno(): sides[1], sides[1].socket.fileno(): sides[0]}
    inputs = {side.socket.fileno(): side for side in sides}
    for descriptor in inputs:
        poller.register(descriptor, select.POLLIN)
    stdin = sys.stdin.fileno()
    poller.register(stdin, select.POLLIN)
    waiting = 0  # frames held or being resolved, all sides
    started = time.monotonic()
    print("ready", flush=True)

    def send(side: _Side, frame: bytes | memoryview) -> None:
        try:
            side.socket.send(frame)
        except OSError as error:
            if error.errno not in (errno.ENOBUFS, errno.EAGAIN):
                raise
            counters.send_errors += 1
        else:
            side.forwarded += 1

    def released(side: _Side) -> None:
        """One more frame went out of ``side``: the held frames that waited for it go too."""
        nonlocal waiting
        due = 0
        for entry in side.held:
            entry[0] -= 1
            due += entry[0] <= 0
        if due:
            for entry in [entry for entry in side.held if entry[0] <= 0]:
                send(side, entry[2])
            side.held = [entry for entry in side.held if entry[0] > 0]
            waiting -= due

    def learned(side: _Side, address: bytes, mac: bytes) -> None:
        nonlocal waiting
        frames = side.learn(address, mac)
        for frame in frames:
            send(side, frame)
        waiting -= len(frames)

    def on_neighbour_discovery(side: _Side, size: int) -> None:
        """Learn from an ARP packet or a neighbour solicitation or advertisement seen on ``side``."""
        if buffer[12:14] == b"\x08\x06":
            if size >= 42:
                learned(side, bytes(buffer[28:32]), bytes(buffer[22:28]))  # (sender's IP and MAC)
        elif size >= 78 and buffer[54] == _ND_ADVERTISEMENT:
            learned(side, bytes(buffer[62:78]), bytes(buffer[6:12]))  # (the target, from its MAC)
        elif size >= 78:
            learned(side, bytes(buffer[22:38]), bytes(buffer[6:12]))  # (the soliciting host)

    def solicit(side: _Side, address: bytes) -> None:
        with contextlib.suppress(OSError):  # (a full queue: the next try goes)
            side.socket.send(side.solicitation(address))

    def resolve(side: _Side, address: bytes, frame: memoryview) -> None:
        """Keep ``frame`` until ``address``'s MAC is known; ask for it first time round."""
        nonlocal waiting
        entry = side.pending.get(address)
        if entry is None:
            entry = side.pending[address] = [1, time.monotonic() + _RESOLVE_WAIT, []]
            solicit(side, address)
        if len(entry[2]) < _PENDING_MAX:
            entry[2].append(bytes(frame))
            waiting += 1
        else:
            counters.unresolved += 1

    running = True
    while running:
        timeout = -1.0
        if waiting:
            deadlines = [entry[1] for side in sides for entry in side.held]
            deadlines += [entry[1] for side in sides for entry in side.pending.values()]
            timeout = max(0.0, (min(deadlines) - time.monotonic()) * 1000)
        for descriptor, _ in poller.poll(timeout):
            if descriptor == stdin:
                running = False
                continue
            receiver = inputs[descriptor]
            out = outputs[descriptor]
            receive = receiver.socket.recv_into
            for _ in range(256):  # drain, but let the other side have its turn
                try:
                    size = receive(buffer)
                except BlockingIOError:
                    break
                if buffer[12] == 0x08 and buffer[13] == 0x00:
                    ethertype, source, destination = ETH_P_IP, bytes(buffer[26:30]), bytes(buffer[30:34])
                elif buffer[12] == 0x86 and buffer[13] == 0xDD:
                    if buffer[20] == _ICMPV6 and buffer[54] in (_ND_SOLICITATION, _ND_ADVERTISEMENT):
                        on_neighbour_discovery(receiver, size)
                        continue
                    ethertype, source, destination = ETH_P_IPV6, bytes(buffer[22:38]), bytes(buffer[38:54])
                else:
                    on_neighbour_discovery(receiver, size)
                    continue
                sender = bytes(buffer[6:12])
                if receiver.neighbours.get(source) != sender:
                    learned(receiver, source, sender)
                if not decrement_ttl(buffer, ethertype):
                    counters.expired += 1
                    continue
                mac = out.neighbours.get(destination)
                buffer[6:12] = out.mac
                frame = view[:size]
                policy = out.policy
                if policy is not None:
                    verdict = policy.decide()
                    if verdict == "drop":
                        counters.dropped += 1
                        continue
                    if verdict == "hold":
                        if mac is None and not out.on_link(destination):
                            mac = out.gateway
                        if mac is None:  # (held until resolved, then sent: not reordered)
                            resolve(out, destination, frame)
                            continue
                        buffer[0:6] = mac
                        out.held.append([hold, time.monotonic() + release_after, bytes(frame)])
                        counters.held += 1
                        waiting += 1
                        continue
                if mac is None:
                    if out.on_link(destination):
                        resolve(out, destination, frame)
                        continue
                    mac = out.gateway
                buffer[0:6] = mac
                send(out, frame)
                if out.held:
                    released(out)
        if waiting:  # held frames whose later packets did not come in time; resolutions to retry
            now = time.monotonic()
            for side in sides:
                late = [entry for entry in side.held if entry[1] <= now]
                for entry in late:
                    send(side, entry[2])
                side.held = [entry for entry in side.held if entry[1] > now]
                waiting -= len(late)
                for address, entry in list(side.pending.items()):
                    if entry[1] > now:
                        continue
                    if entry[0] >= _RESOLVE_TRIES:
                        del side.pending[address]
                        counters.unresolved += len(entry[2])
                        waiting -= len(entry[2])
                    else:
                        entry[0] += 1
                        entry[1] = now + _RESOLVE_WAIT
                        solicit(side, address)
    for side in sides:
        for entry in side.held:
            send(side, entry[2])
        counters.unresolved += sum(len(entry[2]) for entry in side.pending.values())
        counters.socket_drops += side.kernel_drops()
        counters.towards[side.peer] = side.forwarded
        counters.forwarded += side.forwarded
        side.raw.close()
    counters.seconds = time.monotonic() - started
    return counters


def main() -> None:
    """The forwarding process: ``python impair.py CONFIG`` (JSON), in the router's namespace."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # (a terminal's Ctrl-C stops the test; stdin stops this)
    counters = _serve(json.loads(sys.argv[1]))
    print(json.dumps(counters.__dict__), flush=True)


if __name__ == "__main__":
    main()
