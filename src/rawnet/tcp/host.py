"""A virtual host: an address the kernel does not own, with a MAC of its own, on one interface.

Why: a kernel that receives a SYN-ACK for a connection it did not open answers it with RST. This
host's frames are addressed to a MAC the kernel does not have, so the kernel drops them before
its IP layer looks at them (packet type "otherhost"): no RST, with IP forwarding on or off, and
no firewall rule to install or forget. rawnet answers ARP and Neighbour Discovery for the address
itself, resolves its next hop itself, and adds nothing to the kernel's tables: what it asks of
the kernel (the MAC on the interface's unicast filter, the solicited-node multicast group) are
socket memberships the kernel drops when the socket closes, SIGKILL included.

One thread per host does the I/O: it reads the host's packet socket (a kernel filter lets only
its ARP/ND and TCP through), hands each segment to its connection's machine, runs the timers
and sends what the machines say, through the hooks. The connections' callers wait on one
condition the thread notifies.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import ipaddress
import itertools
import os
import secrets
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rawnet.errors import DecodeError, InputError, RawnetError, TCPError, TCPTimeout
from rawnet.net import routes
from rawnet.net.bpf import attach_filter, compile_filter
from rawnet.net.linux import (
    ETH_P_ALL,
    PACKET_AUXDATA,
    PACKET_IGNORE_OUTGOING,
    SO_RCVBUFFORCE,
    SOL_PACKET,
    TPACKET_AUXDATA,
)
from rawnet.net.sockets import RawSocket
from rawnet.tcp.machine import ACK, RST, SYN, Config, Machine, Segment, State
from rawnet.wire import ARP, IP, TCP, Ether, IPv6, Layer, Raw
from rawnet.wire.checksum import internet_checksum
from rawnet.wire.ndp import ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr
from rawnet.wire.tcp import decode_options

#: What an outgoing hook may return: the packet to send, None (dropped), or (packet, delay in s).
Outgoing = Callable[[Layer], "Layer | tuple[Layer, float] | None"]
Incoming = Callable[[Layer], None]

_PACKET_ADD_MEMBERSHIP = 1
_PACKET_MR_MULTICAST, _PACKET_MR_UNICAST = 0, 3
_PACKET_MREQ = struct.Struct("iHH8s")  # struct packet_mreq (linux/if_packet.h)
_TP_STATUS_CSUMNOTREADY, _TP_STATUS_CSUM_VALID = 0x8, 0x80
_ANCILLARY = socket.CMSG_SPACE(TPACKET_AUXDATA.size)
_IPV4 = struct.Struct("!BBHHHBBH4s4s")
_TCP = struct.Struct("!HHIIBBHHH")
_ARP = struct.Struct("!HHBBH6s4s6s4s")
_BATCH = 64  # frames read before the machines are polled
_RCVBUF = 8 << 20  # the packet socket's receive buffer
_FRAME = 262144  # room for one received frame (a GRO/GSO aggregate included)
_DAD_WAIT = 0.2  # how long a chosen address is probed before use (seconds)
_RESOLVE_TRIES, _RESOLVE_WAIT = 3, 0.5
#: How long a host without connections stays (its address answered for), for the next connection.
LINGER = 2.0


def virtual_mac(address: str) -> str:
    """A locally administered unicast MAC made from the address, the same in every run (the
    peers' neighbour caches stay right from one run to the next)."""
    digest = hashlib.sha256(b"rawnet.tcp " + address.encode()).digest()
    return ":".join(f"{byte:02x}" for byte in (0x02, *digest[:5]))


class HostLock(threading.Condition):
    """The host's lock and condition: ``wait()`` is safe against Ctrl-C.

    The callers wait in with-blocks; ``Condition.wait`` lets the lock go and takes it back in a
    ``finally``. With a plain Lock that taking back is a Python-level acquire, which a signal
    handler's exception (KeyboardInterrupt) breaks off while the I/O thread holds the lock: the
    exception left the with-block without the lock, whose release then freed the I/O thread's
    hold or failed with "release unlocked lock" in place of the KeyboardInterrupt (CPython's
    gh-118433 shows the same). Over an RLock the taking back is one C call that signals do not
    break, and the release at the block's end is skipped if the lock is not this thread's (a
    signal in the instant ``wait`` lets it go): the KeyboardInterrupt goes on, the lock is right.
    As with the plain Lock before, a thread cannot take it twice (below).
    """

    def __init__(self) -> None:
        self._held = threading.RLock()
        super().__init__(self._held)

    def __enter__(self) -> bool:
        """Taken once per thread (the RLock is for ``wait``, not for nesting): a hook, which runs
        with the lock held, calling a connection's methods gets this error, not a re-entry."""
        if self._held._is_owned():  # type: ignore[attr-defined]
            raise RawnetError(
                "a hook runs inside rawnet.tcp's I/O, with the connection's lock held: it cannot call "
                "the connection's methods (return the packet; act on it after the hook)"
            )
        return self._held.acquire()

    def __exit__(self, *exc: object) -> None:
        if self._held._is_owned():  # type: ignore[attr-defined]  # (RLock's own, in C)
            self._held.release()


@dataclass(frozen=True)
class Endpoint:
    """Where a connection of the host leads: the peer's address and port, and our port."""

    remote: str
    rport: int
    lport: int


@dataclass
class Entry:
    """A connection's machine with what the host needs to put its segments on the wire."""

    machine: Machine
    endpoint: Endpoint
    next_mac: bytes
    ttl: int
    outgoing: Outgoing | None
    incoming: Incoming | None
    ip_id: int = field(default_factory=lambda: secrets.randbelow(0x10000))
    #: IPv6: one random flow label per connection, as Linux's auto_flowlabels gives.
    flow_label: int = field(default_factory=lambda: secrets.randbits(20))
    accepted: bool = False  # (a listener's connection, handed to accept() already)
    listener: Listener | None = None


class Listener:
    """Connections a host accepts on one port (see ``rawnet.tcp.listen``)."""

    def __init__(self, host: VirtualHost, port: int, config: Config, ttl: int, backlog: int,
                 outgoing: Outgoing | None, incoming: Incoming | None) -> None:  # fmt: skip
        self.host = host
        self.port = port
        self.config = config
        self.ttl = ttl
        self.backlog = backlog
        self.outgoing = outgoing
        self.incoming = incoming
        self.ready: list[Entry] = []
        self.closed = False


class VirtualHost:
    """One address on one interface, answered for by rawnet; see the module's text."""

    def __init__(
        self, interface: str, address: str, *, netns: str | None = None, mac: str | None = None
    ) -> None:
        self.interface = interface
        self.address = str(ipaddress.ip_address(address))
        self.version = ipaddress.ip_address(address).version
        self.netns = netns
        self.mac = mac or virtual_mac(self.address)
        self._mac = bytes.fromhex(self.mac.replace(":", ""))
        self._packed = ipaddress.ip_address(self.address).packed
        self.lock = HostLock()
        self.entries: dict[tuple[str, int, int], Entry] = {}
        self.listeners: dict[int, Listener] = {}
        self._resolved: dict[str, bytes] = {}
        self._seen: set[str] = set()  # addresses heard answering (the duplicate address check)
        self._delayed: list[tuple[float, int, bytes]] = []
        self._order = itertools.count()
        self._users = 1  # (its maker holds it: release() when done)
        #: Frames the kernel refused (a full queue, a hook's frame above the MTU): lost, as on a wire.
        self.send_errors = 0
        self.last_send_error: OSError | None = None
        #: Segments whose options did not decode (taken without them, as Linux takes them).
        self.malformed_options = 0
        self._closed = False
        #: Called (from the I/O thread, holding the lock) after each batch: the asyncio form's futures.
        self.watchers: list[Callable[[], None]] = []
        self.mtu = routes.interface_mtu(interface, netns)
        self._raw = RawSocket.l2(interface, ETH_P_ALL, netns=netns)
        self.sock = self._raw.socket
        try:
            self._arm()
        except BaseException:
            self._raw.close()
            raise
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._run, name=f"rawnet-tcp-{self.address}", daemon=True)
        self._thread.start()

    def _arm(self) -> None:
        sock = self.sock
        if self.version == 4:
            expression = f"arp or (ip dst host {self.address} and tcp)"
        else:  # (Neighbour Discovery without extension headers, as every stack sends it)
            expression = (
                f"(ip6 dst host {self.address} and tcp) or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))"
            )
        attach_filter(sock, compile_filter(expression))
        with contextlib.suppress(OSError):  # (before 4.20: outgoing copies are skipped by their type)
            sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        try:  # (a burst at line rate outruns the default 208 KiB while the thread is busy)
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, _RCVBUF)
        except PermissionError:  # (CAP_NET_ADMIN missing: as much as net.core.rmem_max allows)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        index = self._raw.index_of(self.interface)
        members = [(_PACKET_MR_UNICAST, self._mac)]
        if self.version == 6:
            members.append((_PACKET_MR_MULTICAST, b"\x33\x33\xff" + self._packed[-3:]))
        for kind, mac in members:
            try:
                sock.setsockopt(SOL_PACKET, _PACKET_ADD_MEMBERSHIP, _PACKET_MREQ.pack(index, kind, 6, mac))
            except OSError as error:
                raise RawnetError(
                    f"{self.interface} cannot take the MAC {self.mac}: {error.strerror}"
                ) from None
        sock.setblocking(False)

    # -- sharing ----------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def hold(self) -> bool:
        """One user more; False if the host has closed already (make another)."""
        with self.lock:
            if self._closed:
                return False
            self._users += 1
            return True

    def release(self) -> None:
        """One user less; the host closes once no user, connection or listener is left."""
        with self.lock:
            self._users -= 1
        self.wake()

    def _idle(self) -> bool:
        return self._users <= 0 and not self.entries and not self.listeners and not self._delayed

    # -- the neighbours ---------------------------------------------------------------------
    def probe_in_use(self) -> bool:
        """RFC 5227's ARP probe or RFC 4862's DAD NS for our address: True if someone answers."""
        self._seen.discard(self.address)
        if self.version == 4:
            probe = Ether(src=self.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
                op=1, hwsrc=self.mac, psrc="0.0.0.0", hwdst="00:00:00:00:00:00", pdst=self.address
            )
        else:
            group = ipaddress.ip_address("ff02::1:ff00:0").packed[:13] + self._packed[-3:]
            probe = (
                Ether(src=self.mac, dst="33:33:" + ":".join(f"{b:02x}" for b in group[-4:]))
                / IPv6(src="::", dst=str(ipaddress.ip_address(group)), hlim=255)
                / ICMPv6ND_NS(tgt=self.address)
            )
        self.send_frame(bytes(probe))
        deadline = time.monotonic() + _DAD_WAIT
        with self.lock:
            while self.address not in self._seen and (left := deadline - time.monotonic()) > 0:
                self.lock.wait(left)
            return self.address in self._seen

    def resolve(self, neighbour: str) -> bytes:
        """The MAC of ``neighbour``, asked from our address (the kernel's table is not touched)."""
        found = self._resolved.get(neighbour)
        if found is not None:
            return found
        for _ in range(_RESOLVE_TRIES):
            self.send_frame(self._solicit(neighbour))
            deadline = time.monotonic() + _RESOLVE_WAIT
            with self.lock:
                while neighbour not in self._resolved and (left := deadline - time.monotonic()) > 0:
                    self.lock.wait(left)
                if neighbour in self._resolved:
                    return self._resolved[neighbour]
        protocol = "ARP" if self.version == 4 else "Neighbour Discovery"
        raise TCPTimeout(f"no {protocol} answer from {neighbour} on {self.interface}: is it up?")

    def _solicit(self, neighbour: str) -> bytes:
        if self.version == 4:
            return bytes(
                Ether(src=self.mac, dst="ff:ff:ff:ff:ff:ff")
                / ARP(op=1, hwsrc=self.mac, psrc=self.address, hwdst="00:00:00:00:00:00", pdst=neighbour)
            )
        packed = ipaddress.ip_address(neighbour).packed
        group = ipaddress.ip_address(ipaddress.ip_address("ff02::1:ff00:0").packed[:13] + packed[-3:])
        return bytes(
            Ether(src=self.mac, dst="33:33:" + ":".join(f"{b:02x}" for b in group.packed[-4:]))
            / IPv6(src=self.address, dst=str(group), hlim=255)
            / ICMPv6ND_NS(tgt=neighbour)
            / ICMPv6NDOptSrcLLAddr(lladdr=self.mac)
        )

    def _on_arp(self, frame: memoryview) -> None:
        if len(frame) < 42:
            return
        _, _, _, _, op, sha, spa, _, tpa = _ARP.unpack_from(frame, 14)
        sender = socket.inet_ntoa(spa)
        if sha != self._mac:
            self._seen.add(sender)
            if sender == "0.0.0.0" and tpa == self._packed:
                self._seen.add(self.address)  # another host probing for our address
        if op == 2 and sender != "0.0.0.0":
            self._resolved[sender] = bytes(sha)
        elif op == 1 and tpa == self._packed and sender != "0.0.0.0":
            self._resolved.setdefault(sender, bytes(sha))
            mac = ":".join(f"{b:02x}" for b in sha)
            self.send_frame(
                bytes(
                    Ether(src=self.mac, dst=mac)
                    / ARP(op=2, hwsrc=self.mac, psrc=self.address, hwdst=mac, pdst=sender)
                )
            )

    def _on_icmp6(self, frame: memoryview) -> None:
        if len(frame) < 14 + 40 + 24:
            return
        kind = frame[54]
        target = bytes(frame[62:78])
        source = bytes(frame[22:38])
        if kind == 136:  # a Neighbour Advertisement: its target's MAC, from the option if it has one
            address = str(ipaddress.ip_address(target))
            self._seen.add(address)
            self._resolved[address] = self._option_mac(frame, 2) or bytes(frame[6:12])
        elif kind == 135 and target == self._packed:
            if source == bytes(16):  # another host's DAD for our address
                self._seen.add(self.address)
                return
            peer = str(ipaddress.ip_address(source))
            mac = self._option_mac(frame, 1) or bytes(frame[6:12])
            text = ":".join(f"{b:02x}" for b in mac)
            answer = (
                Ether(src=self.mac, dst=text)
                / IPv6(src=self.address, dst=peer, hlim=255)
                / ICMPv6ND_NA(tgt=self.address, R=0, S=1, O=1)
                / ICMPv6NDOptDstLLAddr(lladdr=self.mac)
            )
            self.send_frame(bytes(answer))

    @staticmethod
    def _option_mac(frame: memoryview, kind: int) -> bytes | None:
        offset = 78
        while offset + 8 <= len(frame):
            size = frame[offset + 1] * 8
            if size == 0:
                return None
            if frame[offset] == kind:
                return bytes(frame[offset + 2 : offset + 8])
            offset += size
        return None

    # -- connections --------------------------------------------------------------------------
    def add(self, entry: Entry) -> None:
        endpoint = entry.endpoint
        with self.lock:
            key = (endpoint.remote, endpoint.rport, endpoint.lport)
            if key in self.entries:
                raise InputError(f"{self.address}:{endpoint.lport} has a connection to that peer already")
            self.entries[key] = entry
        self.wake()

    def port_in_use(self, port: int) -> bool:
        return port in self.listeners or any(key[2] == port for key in self.entries)

    def free_port(self) -> int:
        """A source port in Linux's ephemeral range that no connection of this host uses."""
        with self.lock:
            for _ in range(1000):
                port = 32768 + secrets.randbelow(60999 - 32768 + 1)
                if not self.port_in_use(port):
                    return port
        raise RawnetError(f"no free source port on {self.address}")

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"\0")

    # -- the I/O thread -------------------------------------------------------------------
    def _run(self) -> None:
        buffer = bytearray(_FRAME)
        view = memoryview(buffer)
        poller = select.poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        recvmsg_into = self.sock.recvmsg_into
        idle_since = 0.0
        try:
            while True:
                with self.lock:
                    if self._idle():
                        idle_since = idle_since or time.monotonic()
                        if time.monotonic() - idle_since >= LINGER:
                            self._closed = True  # (decided under the lock: hold() sees it)
                            break
                    else:
                        idle_since = 0.0
                    timeout = self._next_deadline()
                    if idle_since:
                        timeout = min(timeout or idle_since + LINGER, idle_since + LINGER)
                wait = None if timeout is None else max(0, int((timeout - time.monotonic()) * 1000) + 1)
                poller.poll(wait)
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 4096)
                with self.lock:
                    for _ in range(_BATCH):
                        try:
                            size, ancillary, _, address = recvmsg_into([buffer], _ANCILLARY)
                        except BlockingIOError:
                            break
                        except OSError:
                            break
                        if address[2] == 4:  # PACKET_OUTGOING (kernels without IGNORE_OUTGOING)
                            continue
                        self._on_frame(view[:size], ancillary)
                    self._service(time.monotonic())
                    self.lock.notify_all()
                    for watcher in self.watchers:
                        watcher()
        except Exception as error:  # (a bug: every connection of the host says what it was)
            failure: Exception | None = RawnetError(f"rawnet.tcp's I/O thread failed: {error!r}")
            raise
        else:
            failure = None
        finally:
            with self.lock:
                self._closed = True
                for entry in self.entries.values():
                    entry.machine.abort()
                    if failure is not None and entry.machine.error is None:
                        entry.machine.error = failure
                self.lock.notify_all()
                for watcher in self.watchers:
                    watcher()
            self._raw.close()
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _next_deadline(self) -> float | None:
        times = [t for entry in self.entries.values() if (t := entry.machine.deadline()) is not None]
        if self._delayed:
            times.append(self._delayed[0][0])
        return min(times) if times else None

    def _service(self, now: float) -> None:
        """Poll every machine: what they send goes out (through the hooks), the finished go."""
        while self._delayed and self._delayed[0][0] <= now:
            self.send_frame(heapq.heappop(self._delayed)[2])
        for key, entry in list(self.entries.items()):
            machine = entry.machine
            for segment in machine.poll(now):
                self._send_segment(entry, segment, now)
            if machine.state is State.CLOSED and (entry.accepted or entry.listener is None):
                del self.entries[key]

    def flush(self, entry: Entry) -> None:
        """Send what ``entry``'s machine has to send, now, from the caller's thread (which holds
        the lock): an abort's RST goes out before the caller goes on (and perhaps exits)."""
        now = time.monotonic()
        for segment in entry.machine.poll(now):
            self._send_segment(entry, segment, now)
        self.wake()

    def _on_frame(self, frame: memoryview, ancillary: list[tuple[int, int, bytes]]) -> None:
        if len(frame) < 14:
            return
        ethertype = (frame[12] << 8) | frame[13]
        if ethertype == 0x0806:
            self._on_arp(frame)
        elif ethertype == 0x0800 and self.version == 4:
            self._on_ipv4(frame, ancillary)
        elif ethertype == 0x86DD and self.version == 6 and len(frame) >= 54:
            if frame[20] == 58:
                self._on_icmp6(frame)
            elif frame[20] == 6 and bytes(frame[38:54]) == self._packed:
                size = (frame[18] << 8) | frame[19]
                self._on_tcp(frame, 54, 54 + size, frame[22:38], ancillary)

    def _on_ipv4(self, frame: memoryview, ancillary: list[tuple[int, int, bytes]]) -> None:
        if len(frame) < 34:
            return
        version_ihl, _, total, _, fragment, _, protocol, _, source, destination = _IPV4.unpack_from(frame, 14)
        ihl = (version_ihl & 0x0F) * 4
        if protocol != 6 or destination != self._packed or fragment & 0x3FFF or ihl < 20:
            return  # (a TCP stack sends no fragments: DF is set on every segment)
        if internet_checksum(frame[14 : 14 + ihl]):
            return
        self._on_tcp(frame, 14 + ihl, 14 + total, source, ancillary)

    def _on_tcp(
        self,
        frame: memoryview,
        start: int,
        end: int,
        source: bytes | memoryview,
        ancillary: list[tuple[int, int, bytes]],
    ) -> None:
        if end > len(frame) or end - start < 20:
            return
        sport, dport, seq, ack, offset, flags, window, _, _ = _TCP.unpack_from(frame, start)
        header = (offset >> 4) * 4
        if header < 20 or start + header > end:
            return
        if not self._checksum_ok(frame, start, end, bytes(source), ancillary):
            return
        remote = str(ipaddress.ip_address(bytes(source)))
        entry = self.entries.get((remote, sport, dport))
        options: Sequence[tuple[Any, Any]] = ()
        if header > 20:
            try:
                options = decode_options(bytes(frame[: start + header]), start + 20, start + header)
            except DecodeError:  # (as Linux: malformed options are ignored, the segment is taken)
                self.malformed_options += 1
        segment = Segment(seq, ack, flags, window, options, bytes(frame[start + header : end]))
        now = time.monotonic()
        if entry is None:
            listener = self.listeners.get(dport)
            if flags & (SYN | RST | ACK) != SYN:
                return  # not a connection's opening: silence (the host sends no RST but this one)
            if listener is None:  # a closed port, as any host answers it: "connection refused"
                self._refuse(frame, remote, sport, dport, seq + 1 + end - start - header)
                return
            if len(listener.ready) + self._half_open(listener) >= listener.backlog:
                return  # (a full queue drops the SYN, as Linux's does: the client sends it again)
            machine = Machine.accept(
                listener.config,
                self.version,
                self._local_mss(),
                secrets.randbits(32),
                now,
                secrets.randbits(32),
                segment,
            )
            entry = Entry(
                machine, Endpoint(remote, sport, dport), bytes(frame[6:12]), listener.ttl,
                listener.outgoing, listener.incoming, listener=listener,
            )  # fmt: skip
            self.entries[(remote, sport, dport)] = entry
            self._tell(entry, frame, end)
            return
        self._tell(entry, frame, end)
        was = entry.machine.state
        entry.machine.on_segment(segment, now)
        listener = entry.listener
        if (
            listener is not None
            and not entry.accepted
            and was is State.SYN_RECEIVED
            and entry.machine.established
        ):
            entry.accepted = True
            listener.ready.append(entry)

    def _refuse(self, frame: memoryview, remote: str, sport: int, dport: int, ack: int) -> None:
        """RST|ACK to a SYN for a port nobody listens on (RFC 9293 3.10.7.1)."""
        ip: Layer = (IP if self.version == 4 else IPv6)(src=self.address, dst=remote)
        tcp = TCP(sport=dport, dport=sport, seq=0, ack=ack & 0xFFFFFFFF, flags="RA", window=0)
        self.send_frame(bytes(Ether(src=self.mac, dst=_mac_text(bytes(frame[6:12]))) / ip / tcp))

    def _tell(self, entry: Entry, frame: memoryview, end: int) -> None:
        """The incoming hook, given the decoded IP packet (decoded only when there is a hook)."""
        if entry.incoming is None:
            return
        packet = (IP if self.version == 4 else IPv6)(bytes(frame[14:end]))
        packet.time = time.time()
        try:
            entry.incoming(packet)
        except Exception as error:
            self._hook_failed(entry, "incoming", error)

    @staticmethod
    def _hook_failed(entry: Entry, which: str, error: Exception) -> None:
        """A hook that raised ends its connection (RST); the caller's next call raises why."""
        entry.incoming = entry.outgoing = None
        entry.machine.abort()
        failure = TCPError(f"the {which} hook raised {error!r}: the connection was reset")
        failure.__cause__ = error
        entry.machine.error = failure

    def _half_open(self, listener: Listener) -> int:
        return sum(1 for e in self.entries.values() if e.listener is listener and not e.accepted)

    def _checksum_ok(
        self, frame: memoryview, start: int, end: int, source: bytes, ancillary: list[tuple[int, int, bytes]]
    ) -> bool:
        for level, kind, data in ancillary:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= TPACKET_AUXDATA.size:
                status = TPACKET_AUXDATA.unpack_from(data)[0]
                if status & (_TP_STATUS_CSUMNOTREADY | _TP_STATUS_CSUM_VALID):
                    return True  # (sent from this machine, its sum left to the "hardware"; or checked by it)
        size = end - start
        if self.version == 4:
            pseudo = source + self._packed + struct.pack("!HH", 6, size)
        else:
            pseudo = source + self._packed + struct.pack("!IxxxB", size, 6)
        return internet_checksum(pseudo + frame[start:end]) == 0

    def _local_mss(self) -> int:
        return self.mtu - (40 if self.version == 4 else 60)

    # -- sending ---------------------------------------------------------------------------
    def _send_segment(self, entry: Entry, segment: Segment, now: float) -> None:
        endpoint = entry.endpoint
        tcp = TCP(
            sport=endpoint.lport, dport=endpoint.rport, seq=segment.seq, ack=segment.ack,
            flags=segment.flags, window=segment.window, options=list(segment.options),
        )  # fmt: skip
        if self.version == 4:
            entry.ip_id = (entry.ip_id + 1) & 0xFFFF
            ip: Layer = IP(src=self.address, dst=endpoint.remote, ttl=entry.ttl, id=entry.ip_id, flags="DF")
        else:
            ip = IPv6(src=self.address, dst=endpoint.remote, hlim=entry.ttl, fl=entry.flow_label)
        packet = ip / tcp / Raw(bytes(segment.payload)) if segment.payload else ip / tcp
        delay = 0.0
        if entry.outgoing is not None:
            packet.time = time.time()
            try:
                answer = entry.outgoing(packet)
            except Exception as error:
                self._hook_failed(entry, "outgoing", error)
                return
            if answer is None:
                return
            if isinstance(answer, tuple):
                packet, delay = answer
            else:
                packet = answer
        frame = bytes(
            Ether(src=self.mac, dst=_mac_text(entry.next_mac), type=0x0800 if self.version == 4 else 0x86DD)
            / packet
        )
        if delay > 0:
            heapq.heappush(self._delayed, (now + delay, next(self._order), frame))
        else:
            self.send_frame(frame)

    def send_frame(self, frame: bytes) -> None:
        try:
            self.sock.send(frame)
        except OSError as error:  # (a full queue, or a frame a hook made too long: lost, as on a wire)
            self.send_errors += 1
            self.last_send_error = error

    def close(self) -> None:
        """Stop at once: every connection is forgotten (without RST) and the socket closed."""
        with self.lock:
            self.entries.clear()
            self.listeners.clear()
            self._delayed.clear()
            self._users = 0
        self.wake()
        if threading.current_thread() is not self._thread:
            self._thread.join()


def _mac_text(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)
