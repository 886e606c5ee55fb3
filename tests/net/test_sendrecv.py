"""send, sr and sr1 against the kernel of a lab peer: echo, TCP and closed-port replies are matched."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from rawnet import (
    ICMP,
    IP,
    TCP,
    UDP,
    ICMPv6,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    IPv6,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    Layer,
    fragment,
)
from rawnet.net.capture import AsyncSniffer
from rawnet.net.lab import Lab
from rawnet.net.matching import answers
from rawnet.net.sendrecv import send, sr, sr1, srp


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        made.sysctl("b", "net.ipv4.icmp_ratelimit", "0")  # every probe to a closed port gets its error
        yield made


def test_sr1_gets_the_kernels_echo_reply(lab: Lab) -> None:
    reply = sr1(IP(dst=lab["b"].ipv4) / ICMP(id=77, seq=3) / b"ping", netns=lab["a"].netns, timeout=2)
    assert reply is not None
    echo = reply[ICMP]
    assert (echo.type, echo.id, echo.seq) == (0, 77, 3) and reply[IP].src == lab["b"].ipv4
    assert bytes(echo.payload or b"") == b"ping"


def test_sr1_over_ipv6(lab: Lab) -> None:
    reply = sr1(IPv6(dst=lab["b"].ipv6) / ICMPv6EchoRequest(id=5, seq=1), netns=lab["a"].netns, timeout=2)
    assert reply is not None and ICMPv6EchoReply in reply
    assert reply[ICMPv6EchoReply].id == 5


def test_a_syn_to_a_listening_port_gets_syn_ack(lab: Lab) -> None:
    with lab.socket("b", socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind((lab["b"].ipv4, 0))
        server.listen()
        port = server.getsockname()[1]
        reply = sr1(IP(dst=lab["b"].ipv4) / TCP(sport=41000, dport=port, flags="S"), netns=lab["a"].netns)
    assert reply is not None and reply[TCP].flags == "SA"


def test_udp_to_a_closed_port_is_matched_through_the_icmp_error(lab: Lab) -> None:
    probe = IP(dst=lab["b"].ipv4) / UDP(sport=41001, dport=33434) / b"probe"
    reply = sr1(probe, netns=lab["a"].netns, timeout=2)
    assert reply is not None
    error = reply[ICMP]
    assert (error.type, error.code) == (3, 3)  # port unreachable, quoting the probe
    assert error.payload is not None and error.payload[UDP].dport == 33434


def test_sr_separates_answered_from_unanswered(lab: Lab) -> None:
    nobody = "198.18.1.99"  # in the subnet, but no host: ARP gets no answer
    probes = [IP(dst=lab["b"].ipv4) / ICMP(id=1, seq=seq) for seq in range(3)] + [IP(dst=nobody) / ICMP(id=2)]
    results = sr(probes, netns=lab["a"].netns, timeout=1.5)
    assert sorted(probe[ICMP].seq for probe, _ in results.answered) == [0, 1, 2]
    for probe, got in results.answered:  # each probe's own send time, stamped as it left
        assert 0 < results.rtt(probe, got) < 0.5
    assert [probe[IP].dst for probe in results.unanswered] == [nobody]


def test_a_packet_set_is_sent_whole(lab: Lab) -> None:
    results = sr(IP(dst=lab["b"].ipv4) / ICMP(id=9, seq=[10, 11, 12]), netns=lab["a"].netns, timeout=1.5)
    assert sorted(reply[ICMP].seq for _, reply in results.answered) == [10, 11, 12]


def test_send_counts_and_the_debug_mode_explains(lab: Lab) -> None:
    assert send(IP(dst=lab["b"].ipv4) / ICMP(id=3, seq=[1, 2]), netns=lab["a"].netns) == 2
    results = sr(IP(dst=lab["b"].ipv4) / ICMP(id=4, seq=1), netns=lab["a"].netns, timeout=1, debug=True)
    assert len(results.answered) == 1
    wrong = IP(src=lab["b"].ipv4, dst=lab["a"].ipv4) / ICMP(type=0, id=4, seq=2)
    assert (
        answers(wrong, IP(src=lab["a"].ipv4, dst=lab["b"].ipv4) / ICMP(id=4, seq=1))
        == "another echo's id or seq"
    )


# -- layer 2 ------------------------------------------------------------------------------------


def test_srp1_gets_the_kernels_arp_reply(lab: Lab) -> None:
    from rawnet import ARP, Ether
    from rawnet.net.sendrecv import srp1

    interface = lab["a"].interfaces["b"].name
    reply = srp1(Ether() / ARP(pdst=lab["b"].ipv4, psrc=lab["a"].ipv4), interface, netns=lab["a"].netns)
    assert reply is not None
    answer = reply[ARP]
    assert (int(answer.op), answer.psrc, answer.hwsrc) == (2, lab["b"].ipv4, lab["b"].interfaces["a"].mac)


def test_a_neighbour_solicitation_gets_the_kernels_advertisement(lab: Lab) -> None:
    from rawnet import Ether, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr
    from rawnet.net.sendrecv import srp1

    a, b = lab["a"], lab["b"]
    target = b.ipv6
    low = socket.inet_pton(socket.AF_INET6, target)[-3:]  # RFC 4291 2.7.1: ff02::1:ffXX:XXXX
    solicited = socket.inet_ntop(socket.AF_INET6, bytes.fromhex("ff0200000000000000000001ff") + low)
    mac = "33:33:ff:" + low.hex(":")  # RFC 2464 7: 33:33 and the last 32 bits
    probe = (
        Ether(dst=mac)
        / IPv6(src=a.ipv6, dst=solicited, hlim=255)
        / ICMPv6ND_NS(tgt=target)
        / ICMPv6NDOptSrcLLAddr(lladdr=a.interfaces["b"].mac)
    )
    reply = srp1(probe, a.interfaces["b"].name, netns=a.netns)
    assert reply is not None and ICMPv6ND_NA in reply
    assert reply[ICMPv6ND_NA].tgt == target


def test_sendp_fills_the_macs_and_the_kernel_takes_the_frame(lab: Lab) -> None:
    from rawnet import Ether
    from rawnet.net.sendrecv import resolve_mac, sendp

    a, b = lab["a"], lab["b"]
    assert resolve_mac(b.ipv4, a.interfaces["b"].name, netns=a.netns) == b.interfaces["a"].mac
    with lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind((b.ipv4, 0))
        sink.settimeout(2)
        frame = Ether() / IP(src=a.ipv4, dst=b.ipv4) / UDP(sport=41002, dport=sink.getsockname()[1]) / b"l2"
        assert sendp(frame, a.interfaces["b"].name, netns=a.netns) == 1
        assert sink.recvfrom(100) == (b"l2", (a.ipv4, 41002))


def test_an_address_nobody_answers_for_is_an_error_not_a_broadcast(lab: Lab) -> None:
    from rawnet.errors import RawnetError
    from rawnet.net.sendrecv import resolve_mac

    with pytest.raises(
        RawnetError, match=r"cannot resolve the MAC of 198.18.1.77 on .*: no neighbour answered"
    ):
        resolve_mac("198.18.1.77", lab["a"].interfaces["b"].name, netns=lab["a"].netns, timeout=0.5)


# -- every socket mode, TCP sequence numbers, the listener's filter, loopback, routes ----------


@pytest.mark.parametrize("mode", ["l3", "l3_hdrincl", "l2", "l2_cooked", "srp1"])
def test_a_syn_through_each_socket_mode_gets_the_listeners_syn_ack(lab: Lab, mode: str) -> None:
    from rawnet import Ether
    from rawnet.net.sendrecv import srp1
    from rawnet.net.sockets import RawSocket

    a, b = lab["a"], lab["b"]
    interface = a.interfaces["b"].name
    sport = 42000 + ["l3", "l3_hdrincl", "l2", "l2_cooked", "srp1"].index(mode)
    with lab.socket("b", socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind((b.ipv4, 0))
        server.listen()
        probe = IP(dst=b.ipv4) / TCP(sport=sport, dport=server.getsockname()[1], flags="S", seq=7000)
        if mode == "srp1":  # layer 2 with the frame written by the user (the MACs filled in)
            reply = srp1(Ether() / probe, interface, netns=a.netns, timeout=2)
        else:
            sockets = {
                "l3": lambda: RawSocket.l3(socket.IPPROTO_TCP, netns=a.netns),  # kernel writes IP
                "l3_hdrincl": lambda: RawSocket.l3_hdrincl(socket.IPPROTO_TCP, netns=a.netns),
                "l2": lambda: RawSocket.l2(interface, netns=a.netns),
                "l2_cooked": lambda: RawSocket.l2_cooked(interface, netns=a.netns),
            }
            with sockets[mode]() as via:
                reply = sr1(probe, via=via, timeout=2)
    assert reply is not None
    segment = reply[TCP]
    assert (segment.flags, segment.ack, segment.dport) == ("SA", 7001, sport)
    assert reply[IP].src == b.ipv4 and reply.verify() == []


def test_the_kernels_resets_are_matched_by_their_sequence_numbers(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    closed = 9  # nothing listens: the kernel resets
    syn = IP(dst=b.ipv4) / TCP(sport=42100, dport=closed, flags="S", seq=[1000, 5000])
    results = sr(syn, netns=a.netns, timeout=2)
    assert len(results.answered) == 2
    for probe, got in results.answered:  # RST-ACK acknowledging each SYN (RFC 9293 3.10.7.1)
        assert got[TCP].flags == "RA" and got[TCP].ack == probe[TCP].seq + 1
    ack = IP(dst=b.ipv4) / TCP(sport=42101, dport=closed, flags="A", seq=1, ack=123456)
    reply = sr1(ack, netns=a.netns, timeout=2)  # a RST without ACK carrying the probe's ack as seq
    assert reply is not None and reply[TCP].flags == "R" and reply[TCP].seq == 123456


def test_the_listeners_kernel_filter_keeps_unrelated_traffic_out_of_python(lab: Lab) -> None:
    import threading

    a, b = lab["a"], lab["b"]
    with (
        lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as quiet,
        lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as local,
    ):
        quiet.bind((b.ipv4, 0))  # a bound port: the probe gets no reply at all
        local.bind(("127.0.0.1", 0))  # (bound, so loopback datagrams draw no ICMP error either)
        stop = threading.Event()

        def chatter() -> None:  # traffic sr has no reason to look at, and some it has
            with lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as remote:
                while not stop.wait(0.05):
                    local.sendto(b"lo", local.getsockname())  # a's own loopback: filtered out
                    remote.sendto(b"from b", (a.ipv4, 9))  # from the probe's host: let through

        thread = threading.Thread(target=chatter)
        thread.start()
        try:
            probe = IP(dst=b.ipv4) / UDP(sport=42200, dport=quiet.getsockname()[1])
            results = sr(probe, netns=a.netns, timeout=1, debug=True)
        finally:
            stop.set()
            thread.join()
    assert results.unanswered and not results.answered
    assert any(f"{b.ipv4}" in line and "UDP" in line for line in results.rejected), results.rejected
    assert not any("127.0.0.1" in line for line in results.rejected), results.rejected


def test_loopback_goes_out_at_layer_3(lab: Lab) -> None:
    from rawnet import Ether
    from rawnet.net.sendrecv import sendp, srp1

    a = lab["a"]
    reply = sr1(IP(dst="127.0.0.1") / ICMP(id=31, seq=1), netns=a.netns, timeout=2)
    assert reply is not None and reply[ICMP].type == 0 and reply.sniffed_on == "lo"
    results = srp(Ether() / IP(dst="127.0.0.1") / ICMP(id=32, seq=1), "lo", netns=a.netns, timeout=2)
    [(sent, got)] = results.answered
    assert isinstance(sent, Ether) and got[ICMP].id == 32  # the frame given, answered at layer 3
    assert 0 < results.rtt(sent, got) < 0.5
    assert srp1(Ether() / IP(dst="127.0.0.1") / ICMP(id=33), netns=a.netns, timeout=2) is not None
    with lab.socket("a", socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind((a.ipv4, 0))  # one of a's own addresses: routed through lo
        sink.settimeout(2)
        frame = Ether() / IP(dst=a.ipv4) / UDP(sport=42300, dport=sink.getsockname()[1]) / b"local"
        assert sendp(frame, netns=a.netns) == 1  # no interface given: the route says lo
        assert sink.recvfrom(100) == (b"local", (a.ipv4, 42300))


def test_sendp_sends_an_off_link_destination_to_the_gateways_mac() -> None:
    from rawnet import Ether
    from rawnet.net.sendrecv import sendp

    with Lab.line(routers=1) as line:
        a, b = line["a"], line["b"]
        with line.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as sink:
            sink.bind((b.ipv4, 0))
            sink.settimeout(2)
            frame = Ether() / IP(dst=b.ipv4) / UDP(sport=42400, dport=sink.getsockname()[1]) / b"via r1"
            assert sendp(frame, netns=a.netns) == 1  # interface and MAC from the route via r1
            assert sink.recvfrom(100) == (b"via r1", (a.ipv4, 42400))  # only r1 could forward it


def test_ipv6_macs_are_resolved_by_neighbour_discovery(lab: Lab) -> None:
    from rawnet import Ether
    from rawnet.errors import RawnetError
    from rawnet.net.sendrecv import resolve_mac, sendp

    a, b = lab["a"], lab["b"]
    interface = a.interfaces["b"].name
    lab.run("a", ["ip", "-6", "neigh", "flush", "dev", interface], check=True)  # nothing known
    assert resolve_mac(b.ipv6, interface, netns=a.netns) == b.interfaces["a"].mac  # asked with NS
    with pytest.raises(RawnetError, match="cannot resolve the MAC of 2001:db8:1::99"):
        resolve_mac("2001:db8:1::99", interface, netns=a.netns, timeout=0.3)
    with lab.socket("b", socket.AF_INET6, socket.SOCK_DGRAM) as sink:
        sink.bind((b.ipv6, 0))
        sink.settimeout(2)
        frame = Ether() / IPv6(dst=b.ipv6) / UDP(sport=42500, dport=sink.getsockname()[1]) / b"v6 l2"
        assert sendp(frame, netns=a.netns) == 1
        data, sender = sink.recvfrom(100)
        assert data == b"v6 l2" and sender[:2] == (a.ipv6, 42500)


def test_ipv6_fragments_with_a_hop_by_hop_header_are_reassembled_by_the_kernel(lab: Lab) -> None:
    # RFC 8200 4.5: Hop-by-Hop travels in front of the Fragment header in every fragment (after
    # it, Linux answers Parameter Problem). The peer must reassemble and answer the echo.
    request = (
        IPv6(src=lab["a"].ipv6, dst=lab["b"].ipv6)  # (the checksum is computed now: over the source too)
        / IPv6ExtHdrHopByHop(options=[("PadN", b"\0\0\0\0")])
        / ICMPv6EchoRequest(id=9, seq=2)
        / (bytes(range(256)) * 3)
    )
    pieces = fragment(request, 256)
    assert len(pieces) > 2
    assert all(isinstance(piece.payload, IPv6ExtHdrHopByHop) for piece in pieces)
    assert all(isinstance(piece.payload.payload, IPv6ExtHdrFragment) for piece in pieces)
    sniffer = AsyncSniffer(
        filter="icmp6", timeout=5, stop_filter=lambda got: ICMPv6EchoReply in got, netns=lab["a"].netns
    )
    sniffer.start()
    time.sleep(0.3)  # (the capture is open)
    send(pieces, netns=lab["a"].netns)
    replies = [got for got in sniffer.join() if ICMPv6 in got and got[IPv6].src == lab["b"].ipv6]
    replies = [reply for reply in replies if reply[ICMPv6].type < 133]  # (not Neighbor Discovery)
    assert [type(reply[ICMPv6]) for reply in replies] == [ICMPv6EchoReply]  # no Parameter Problem
    assert (
        replies[0][ICMPv6EchoReply].id == 9
        and replies[0][ICMPv6EchoReply].payload.load == bytes(range(256)) * 3
    )


# -- scapy's shapes: results, call options, errors, asyncio -------------------------------------


def test_sr_returns_scapys_pair_and_sr1_the_answer_itself(lab: Lab) -> None:
    from rawnet import PacketList, SndRcvList

    a, b = lab["a"], lab["b"]
    results = sr(
        IP(dst=[b.ipv4, "198.18.1.98"]) / ICMP(id=41, seq=1), netns=a.netns, timeout=1
    )  # (.98: nobody)
    ans, unans = results
    assert len(results) == 2 and results[0] is ans and isinstance(results, tuple)
    assert isinstance(ans, SndRcvList) and isinstance(unans, PacketList)
    assert repr(ans) == "<Results: TCP:0 UDP:0 ICMP:1 Other:0>" and unans.listname == "Unanswered"
    [(query, answer)] = ans
    assert query[IP].src == a.ipv4 and query.sent_time is not None  # filled from the route, stamped
    assert (
        0 < answer.time - query.sent_time < 0.5
        and results.rtt(query, answer) == answer.time - query.sent_time
    )
    assert (answer.sniffed_on, answer.direction, answer.wirelen) == (a.interfaces["b"].name, 0, 28)
    assert [packet[IP].dst for packet in unans] == ["198.18.1.98"]
    reply = sr1(IP(dst=b.ipv4) / ICMP(id=42, seq=1), netns=a.netns, timeout=1)
    assert isinstance(reply, IP) and reply[ICMP].id == 42 and reply.time is not None


def test_a_protocol_unreachable_answers_the_probe_of_its_protocol(lab: Lab) -> None:
    # The old matcher compared the quoted transport bytes only: with none (a bare IP header,
    # an IP protocol scan), the error about protocol 253 answered the probe of protocol 6.
    probes = IP(dst=lab["b"].ipv4, proto=[6, 253])  # a bare TCP header is dropped, 253 unknown
    ans, unans = sr(probes, netns=lab["a"].netns, timeout=1)
    assert [(int(query.proto), answer[ICMP].type, answer[ICMP].code) for query, answer in ans] == [
        (253, 3, 2)
    ]
    assert [int(query.proto) for query in unans] == [6]


def test_random_fields_are_drawn_once_per_query(lab: Lab) -> None:
    from rawnet import RandInt, RandShort

    closed = 9  # the kernel resets: a RST matched by ports and sequence numbers
    probe = IP(dst=lab["b"].ipv4, id=RandShort()) / TCP(sport=RandShort(), dport=closed, seq=RandInt())
    ans, unans = sr(probe, netns=lab["a"].netns, timeout=1)
    [(query, answer)] = ans
    assert answer[TCP].dport == query[TCP].sport and answer[TCP].ack == (query[TCP].seq + 1) % 2**32
    assert isinstance(query[TCP].sport, int) and not unans


def test_filter_is_added_to_the_listeners_own(lab: Lab) -> None:
    probe = IP(dst=lab["b"].ipv4) / ICMP(id=43, seq=1)
    assert sr1(probe, netns=lab["a"].netns, timeout=0.5, filter="tcp") is None
    assert sr1(probe, netns=lab["a"].netns, timeout=0.5, filter="icmp[0] == 0") is not None


def test_verbose_prints_scapys_lines(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    sr(IP(dst=lab["b"].ipv4) / ICMP(id=44, seq=[1, 2]), netns=lab["a"].netns, timeout=1, verbose=1)
    assert capsys.readouterr().out.splitlines() == [
        "Begin emission:",
        "Finished sending 2 packets.",
        "",
        "Received 2 packets, got 2 answers, remaining 0 packets",
    ]
    sr(IP(dst=lab["b"].ipv4) / ICMP(id=45, seq=1), netns=lab["a"].netns, timeout=1)
    assert capsys.readouterr().out == ""  # (verbose=0, rawnet's default)


def test_send_counts_and_returns_the_packets_sent(lab: Lab) -> None:
    a, b = lab["a"], lab["b"]
    with lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind((b.ipv4, 0))
        sink.settimeout(2)
        datagram = IP(dst=b.ipv4) / UDP(sport=42600, dport=sink.getsockname()[1]) / b"n"
        assert send(datagram, count=3, netns=a.netns) == 3
        sent = send(datagram / b"+", count=2, inter=0.05, return_packets=True, netns=a.netns)
        assert len(sent) == 2 and all(packet.sent_time for packet in sent)
        assert sent[1].sent_time - sent[0].sent_time >= 0.045  # type: ignore[operator]
        assert [sink.recv(100) for _ in range(5)] == [b"n"] * 3 + [b"n+"] * 2


def test_a_packet_over_the_mtu_with_dont_fragment_is_a_rawnet_error_naming_fragment(lab: Lab) -> None:
    from rawnet.errors import PacketTooBigError, RawnetError

    too_long = IP(dst=lab["b"].ipv4, flags="DF") / UDP(dport=9) / bytes(2000)  # (without DF: fragments)
    with pytest.raises(
        PacketTooBigError, match=r"a packet of 2028 bytes is longer than the MTU.*fragment\(\)"
    ):
        send(too_long, netns=lab["a"].netns)
    with pytest.raises(RawnetError, match="MTU"):
        sr(too_long, netns=lab["a"].netns, timeout=0.1)


def test_a_neighbour_solicitation_scapy_style_gets_the_kernels_advertisement(lab: Lab) -> None:
    from rawnet import Ether, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr

    a, b = lab["a"], lab["b"]
    mac = a.interfaces["b"].mac
    probe = Ether() / IPv6() / ICMPv6ND_NS(tgt=b.ipv6) / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    ans, _ = srp(probe, iface=a.interfaces["b"].name, netns=a.netns, timeout=2)
    [(query, answer)] = ans
    assert query[Ether].dst == "33:33:00:00:00:01" and query[IPv6].dst == "ff02::1"  # RFC 2464 7
    assert query[IPv6].src.startswith("fe80:") and query[Ether].src == mac  # the link's own
    assert answer[ICMPv6ND_NA].tgt == b.ipv6 and answer[IPv6].dst == query[IPv6].src


def test_public_calls_take_explicit_keywords() -> None:
    import inspect

    import rawnet

    for name in ("send", "sendp", "sr", "sr1", "srp", "srp1", "asr", "asr1", "arping", "traceroute"):
        parameters = inspect.signature(getattr(rawnet, name)).parameters.values()
        assert not [p for p in parameters if p.kind is p.VAR_KEYWORD], name  # a typo is a TypeError
        assert "iface" in {p.name for p in parameters} and "interface" not in {p.name for p in parameters}
    with pytest.raises(TypeError, match="timeuot"):
        sr1(IP(dst="127.0.0.1") / ICMP(), timeuot=2)  # type: ignore[call-arg]


def test_sr1_works_inside_a_running_event_loop_and_asr_awaits(lab: Lab) -> None:
    import asyncio

    from rawnet.net.sendrecv import asr, asr1

    a, b = lab["a"], lab["b"]

    async def main() -> tuple[Layer | None, Layer | None, int, float]:
        blocking = sr1(IP(dst=b.ipv4) / ICMP(id=46, seq=1), netns=a.netns, timeout=1)  # (old: loop running)
        awaited = await asr1(IP(dst=b.ipv4) / ICMP(id=46, seq=2), netns=a.netns, timeout=1)
        ans, _ = await asr(IP(dst=b.ipv4) / ICMP(id=46, seq=[3, 4]), netns=a.netns, timeout=1)
        with lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as silent:  # bound: no answer at all
            silent.bind((b.ipv4, 0))
            never = IP(dst=b.ipv4) / UDP(sport=42700, dport=silent.getsockname()[1])
            task = asyncio.ensure_future(asr(never, netns=a.netns, timeout=30))
            await asyncio.sleep(0.3)
            started = time.perf_counter()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        return blocking, awaited, len(ans), time.perf_counter() - started

    blocking, awaited, answered, cancelled_in = asyncio.run(main())
    assert blocking is not None and blocking[ICMP].seq == 1
    assert awaited is not None and awaited[ICMP].seq == 2 and answered == 2
    assert cancelled_in < 0.5


@pytest.mark.parametrize(
    ("address", "mac"),
    [
        ("224.0.0.251", "01:00:5e:00:00:fb"),  # RFC 1112 6.4: the group's low 23 bits
        ("239.255.130.7", "01:00:5e:7f:82:07"),
        ("ff02::1", "33:33:00:00:00:01"),  # RFC 2464 7: the group's last 32 bits
        ("ff02::1:ff00:2", "33:33:ff:00:00:02"),
        ("255.255.255.255", "ff:ff:ff:ff:ff:ff"),
        ("198.18.1.2", None),
        ("2001:db8::2", None),
    ],
)
def test_the_ethernet_address_of_a_group(address: str, mac: str | None) -> None:
    from rawnet.net.sendrecv import group_mac

    assert group_mac(address) == mac


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_sr1_above_the_mtu_sends_fragments_and_reassembles_the_reply(lab: Lab, family: str) -> None:
    data = bytes(range(256)) * 12  # 3072 bytes: two fragments of 1500-byte frames at least
    if family == "ipv4":
        probe: Layer = IP(dst=lab["b"].ipv4) / ICMP(id=9, seq=4) / data
    else:
        probe = IPv6(dst=lab["b"].ipv6) / ICMPv6EchoRequest(id=9, seq=4, data=data)
    sniffer = AsyncSniffer(iface=lab["b"].interfaces["a"].name, netns=lab["b"].netns, timeout=1.5)
    sniffer.start()
    time.sleep(0.3)  # (the capture is open)
    reply = sr1(probe, netns=lab["a"].netns, timeout=2)
    seen = [packet for packet in sniffer.join() if IP in packet or IPv6 in packet]
    assert reply is not None
    if family == "ipv4":
        assert (reply[ICMP].type, reply[ICMP].id, reply[ICMP].seq) == (0, 9, 4)
        assert bytes(reply[ICMP].payload or b"") == data
        assert len(reply) == 20 + 8 + len(data)
    else:
        assert (reply[ICMPv6EchoReply].id, reply[ICMPv6EchoReply].seq) == (9, 4)
        assert bytes(reply[ICMPv6EchoReply].data) == data
        assert len(reply) == 40 + 8 + len(data)
    assert len(seen) >= 4 and max(len(bytes(packet)) for packet in seen) <= 14 + 1500  # nothing above the MTU


def test_send_to_a_broadcast_address_reaches_the_peer(lab: Lab) -> None:
    with lab.socket("b", socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        server.bind(("0.0.0.0", 9998))
        server.settimeout(5)
        assert send(IP(dst="198.18.1.255") / UDP(sport=4000, dport=9998) / b"hi", netns=lab["a"].netns) == 1
        data, (source, port) = server.recvfrom(100)
    assert (data, source, port) == (b"hi", lab["a"].ipv4, 4000)
