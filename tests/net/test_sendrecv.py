"""send, sr and sr1 against the kernel of a lab peer: echo, TCP and closed-port replies are matched."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from rawnet import ICMP, IP, TCP, UDP, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from rawnet.net.lab import Lab
from rawnet.net.sendrecv import answers, send, sr, sr1


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        yield made


def test_sr1_gets_the_kernels_echo_reply(lab: Lab) -> None:
    reply = sr1(IP(dst=lab["b"].ipv4) / ICMP(id=77, seq=3) / b"ping", netns=lab["a"].netns, timeout=2)
    assert reply is not None
    echo = reply.packet[ICMP]
    assert (echo.type, echo.id, echo.seq) == (0, 77, 3) and reply.packet[IP].src == lab["b"].ipv4
    assert bytes(echo.payload or b"") == b"ping"


def test_sr1_over_ipv6(lab: Lab) -> None:
    reply = sr1(IPv6(dst=lab["b"].ipv6) / ICMPv6EchoRequest(id=5, seq=1), netns=lab["a"].netns, timeout=2)
    assert reply is not None and ICMPv6EchoReply in reply.packet
    assert reply.packet[ICMPv6EchoReply].id == 5


def test_a_syn_to_a_listening_port_gets_syn_ack(lab: Lab) -> None:
    with lab.socket("b", socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind((lab["b"].ipv4, 0))
        server.listen()
        port = server.getsockname()[1]
        reply = sr1(IP(dst=lab["b"].ipv4) / TCP(sport=41000, dport=port, flags="S"), netns=lab["a"].netns)
    assert reply is not None and reply.packet[TCP].flags == "SA"


def test_udp_to_a_closed_port_is_matched_through_the_icmp_error(lab: Lab) -> None:
    probe = IP(dst=lab["b"].ipv4) / UDP(sport=41001, dport=33434) / b"probe"
    reply = sr1(probe, netns=lab["a"].netns, timeout=2)
    assert reply is not None
    error = reply.packet[ICMP]
    assert (error.type, error.code) == (3, 3)  # port unreachable, quoting the probe
    assert error.payload is not None and error.payload[UDP].dport == 33434


def test_sr_separates_answered_from_unanswered(lab: Lab) -> None:
    nobody = "198.18.1.99"  # in the subnet, but no host: ARP gets no answer
    probes = [IP(dst=lab["b"].ipv4) / ICMP(id=1, seq=seq) for seq in range(3)] + [IP(dst=nobody) / ICMP(id=2)]
    results = sr(probes, netns=lab["a"].netns, timeout=1.5)
    assert sorted(probe[ICMP].seq for probe, _ in results.answered) == [0, 1, 2]
    assert [probe[IP].dst for probe in results.unanswered] == [nobody]


def test_a_packet_set_is_sent_whole(lab: Lab) -> None:
    results = sr(IP(dst=lab["b"].ipv4) / ICMP(id=9, seq=[10, 11, 12]), netns=lab["a"].netns, timeout=1.5)
    assert sorted(reply.packet[ICMP].seq for _, reply in results.answered) == [10, 11, 12]


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
    answer = reply.packet[ARP]
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
    assert reply is not None and ICMPv6ND_NA in reply.packet
    assert reply.packet[ICMPv6ND_NA].tgt == target


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
