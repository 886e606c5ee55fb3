"""IP fragmentation and reassembly: tshark and tcpdump read rawnet's fragments; gaps are named."""

from __future__ import annotations

import pytest

from rawnet import (
    IP,
    UDP,
    BuildError,
    Ether,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    Layer,
    Raw,
)
from rawnet.wire.fragment import defragment, fragment
from tests.oracle import tcpdump_lines, tshark_fields

DATAGRAM = (
    Ether()
    / IP(src="198.18.0.1", dst="198.18.0.2", id=77)
    / UDP(sport=1030, dport=9)
    / (bytes(range(256)) * 12)
)
DATAGRAM6 = Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=1031, dport=9) / bytes(2000)


def test_ipv4_fragments_are_what_tshark_reassembles() -> None:
    pieces = [bytes(piece) for piece in fragment(DATAGRAM, 1000)]
    assert len(pieces) == 4
    fields = tshark_fields(pieces)
    offsets = [int(field["ip.frag_offset"][0]) for field in fields]
    assert offsets == [0, 125, 250, 375]  # in 8-byte units, as on the wire: 1000 bytes each
    assert [field["ip.flags.mf"][0] for field in fields] == ["1", "1", "1", "0"]
    assert all(field["ip.checksum.status"] == ["1"] for field in fields)
    assert fields[-1]["udp.length"] == [str(8 + 256 * 12)] and fields[-1]["udp.checksum.status"] == ["1"]
    assert tcpdump_lines(pieces)[0] == "IP 198.18.0.1.1030 > 198.18.0.2.9: UDP, length 3072"


def test_ipv6_fragments_are_what_tshark_reassembles() -> None:
    pieces = [bytes(piece) for piece in fragment(DATAGRAM6, 800)]
    fields = tshark_fields(pieces)
    assert [field["ipv6.fraghdr.more"][0] for field in fields] == ["1", "1", "0"]
    assert [field["ipv6.fraghdr.offset"][0] for field in fields] == ["0", "100", "200"]
    assert fields[-1]["udp.checksum.status"] == ["1"]
    assert all(IPv6ExtHdrFragment in Ether.decode(piece) for piece in pieces)


@pytest.mark.parametrize("datagram", [DATAGRAM, DATAGRAM6], ids=["ipv4", "ipv6"])
def test_defragment_gives_the_datagram_back(datagram: Ether) -> None:
    pieces = [Ether.decode(bytes(piece)) for piece in fragment(datagram, 512)]
    result = defragment(reversed(pieces))  # in any order
    assert result.problems == []
    network = IP if IP in datagram else IPv6
    assert [bytes(packet) for packet in result.packets] == [bytes(datagram[network])]


def test_missing_and_overlapping_pieces_are_reported_not_guessed() -> None:
    pieces = [Ether.decode(bytes(piece)) for piece in fragment(DATAGRAM, 1000)]
    assert defragment(pieces[:1] + pieces[2:]).problems == [
        "ipv4 198.18.0.1 > 198.18.0.2 id 77: bytes 1000..1999 are missing"
    ]
    assert defragment(pieces[:-1]).problems == [
        "ipv4 198.18.0.1 > 198.18.0.2 id 77: the last fragment is missing (bytes from 3000 on)"
    ]
    overlapping = defragment([*pieces, pieces[1]])
    assert "overlap at byte 1000" in overlapping.problems[0]
    kept = sorted(
        bytes(piece) for piece in overlapping
    )  # what could not be reassembled is kept, as scapy does
    assert kept == sorted(bytes(piece) for piece in [*pieces, pieces[1]])


def test_unfragmented_packets_pass_through_and_bad_sizes_fail() -> None:
    whole = Ether.decode(bytes(Ether() / IP(dst="198.18.0.2") / UDP() / b"x"))
    assert defragment([whole]).packets == [whole]
    assert [len(piece[IP].payload) for piece in fragment(IP() / (b"x" * 16), 5)] == [8, 8]  # 8 at least
    assert [int(piece.flags) for piece in fragment(fragment(IP() / (b"x" * 32), 16), 8)] == [1, 1, 1, 0]
    with pytest.raises(BuildError, match="needs an IPv4 or IPv6 layer"):
        fragment(Ether() / Raw(load=b"x"))


@pytest.mark.parametrize(
    ("extensions", "repeated"),
    [
        ([IPv6ExtHdrHopByHop(options=[("RouterAlert", 0)])], 1),
        ([IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), IPv6ExtHdrRouting(addresses=["2001:db8::9"])], 3),
        ([IPv6ExtHdrRouting(addresses=["2001:db8::9"]), IPv6ExtHdrDestOpt()], 1),
        ([IPv6ExtHdrDestOpt()], 0),
    ],
    ids=["hop-by-hop", "up-to-routing", "routing-then-destination", "destination-only"],
)
def test_ipv6_fragments_repeat_the_per_fragment_headers_in_front(
    extensions: list[Layer], repeated: int
) -> None:
    # RFC 8200 4.5: the IPv6 header and the extension headers up to a Routing header (else a
    # Hop-by-Hop header) come before the Fragment header in every fragment; the rest is cut.
    datagram: Layer = IPv6(src="2001:db8::1", dst="2001:db8::2")
    for extension in extensions:
        datagram = datagram / extension
    datagram = datagram / UDP(sport=1031, dport=9) / bytes(600)
    pieces = [Ether() / piece for piece in fragment(datagram, 256)]
    names = [type(layer).__name__ for layer in extensions]
    for piece in pieces:
        layers = Ether.decode(bytes(piece)).layers()
        assert [type(layer).__name__ for layer in layers[2 : 3 + repeated]] == [
            *names[:repeated],
            "IPv6ExtHdrFragment",
        ]
    fields = tshark_fields([bytes(piece) for piece in pieces])
    assert fields[-1]["udp.checksum.status"] == ["1"]  # tshark reassembles it, checksum good
    whole = defragment(Ether.decode(bytes(piece)) for piece in pieces)
    assert whole.problems == [] and [bytes(packet) for packet in whole.packets] == [bytes(datagram)]


def test_fragmenting_needs_the_source_the_transport_checksum_covers() -> None:
    with pytest.raises(
        BuildError, match=r"udp checksum now, over the source address: give it \(src=\.\.\.\)"
    ):
        fragment(IPv6(dst="2001:db8::2") / UDP() / bytes(100), 40)
    assert len(fragment(IP(dst="198.18.0.2") / UDP(chksum=0) / bytes(100), 40)) == 3  # nothing to compute


def test_the_source_needed_is_the_one_of_the_ip_header_above_the_checksum() -> None:
    inner = IP(src="198.18.0.1", dst="198.18.0.3") / UDP() / bytes(100)
    assert len(fragment(IP(dst="198.18.0.2") / inner, 48)) == 3  # the outer header's src: not needed
    with pytest.raises(BuildError, match="udp checksum"):
        fragment(IP(src="198.18.0.1") / IP(dst="198.18.0.3") / UDP() / bytes(100), 48)


@pytest.mark.parametrize("datagram", [DATAGRAM, DATAGRAM6], ids=["ipv4", "ipv6"])
def test_a_decoded_frame_with_a_trailer_fragments_without_it(datagram: Ether) -> None:
    decoded = Ether.decode(bytes(datagram) + b"FCS!")  # (an Ethernet trailer: the IP layer's padding)
    pieces = [Ether.decode(bytes(piece)) for piece in fragment(decoded, 512)]
    assert all(not piece.layers()[1].padding for piece in pieces)
    result = defragment(pieces)
    network = IP if IP in datagram else IPv6
    assert result.problems == [] and [bytes(packet) for packet in result.packets] == [
        bytes(datagram[network])
    ]
    assert tshark_fields([bytes(piece) for piece in pieces])[-1]["udp.checksum.status"] == ["1"]


def test_a_wrong_ipv6_payload_length_is_recomputed_per_fragment() -> None:
    datagram = IPv6(src="2001:db8::1", dst="2001:db8::2", plen=5000) / UDP() / bytes(200)
    pieces = fragment(datagram, 64)
    assert len(pieces) == 4 and all(IPv6.decode(bytes(piece)).verify() == [] for piece in pieces)


def test_a_reassembled_datagram_that_does_not_decode_is_kept_not_raised() -> None:
    datagram = IP(src="198.18.0.1", dst="198.18.0.2") / UDP(len=500) / bytes(100)  # UDP says 500 bytes
    result = defragment(fragment(datagram, 48))
    assert result.problems == [] and bytes(result.packets[0]) == bytes(datagram)
    assert type(result.packets[0].layers()[-1]).__name__ == "Undecoded"
