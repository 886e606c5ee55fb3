"""ARP (wire/arp.py): golden frames checked by tshark, tcpdump's summaries, sizes, padding, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet.errors import DecodeError, FieldValueError, TruncatedError
from rawnet.wire.arp import ARP, ARPOp
from rawnet.wire.ether import Ether
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

HOST_A, HOST_B = "198.18.0.1", "198.18.0.2"
MAC_A, MAC_B = "02:00:00:00:00:01", "02:00:00:00:00:02"
BROADCAST = "ff:ff:ff:ff:ff:ff"

# Golden frames: built by rawnet, their meaning read back by tshark (one tshark run for all).
GOLDEN: dict[str, bytes] = {
    "request": bytes(Ether(src=MAC_A, dst=BROADCAST) / ARP(hwsrc=MAC_A, psrc=HOST_A, pdst=HOST_B)),
    "reply": bytes(
        Ether(src=MAC_B, dst=MAC_A) / ARP(op="is-at", hwsrc=MAC_B, psrc=HOST_B, hwdst=MAC_A, pdst=HOST_A)
    ),
    "gratuitous": bytes(Ether(src=MAC_A, dst=BROADCAST) / ARP(op=2, hwsrc=MAC_A, psrc=HOST_A, pdst=HOST_A)),
    "odd-sizes": bytes(
        Ether(src=MAC_A, dst=BROADCAST)
        / ARP(ptype=0x86DD, hwsrc=b"\x02\x00\x01", hwdst=b"\0\0\0", psrc=bytes(15) + b"\1", pdst=bytes(16))
    ),
}
# What a switch delivers: the request padded with zeros to Ethernet's 60-byte minimum.
GOLDEN["padded"] = GOLDEN["request"] + bytes(60 - len(GOLDEN["request"]))


@pytest.fixture(scope="module")
def tshark() -> dict[str, dict[str, list[str]]]:
    return dict(zip(GOLDEN, tshark_fields(list(GOLDEN.values())), strict=True))


@needs_tshark
@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden_frames_match_tshark(tshark: dict[str, dict[str, list[str]]], name: str) -> None:
    fields = tshark[name]
    arp = Ether.decode(GOLDEN[name])[ARP]
    assert fields["arp.hw.type"] == [str(arp.hwtype)]
    assert fields["arp.proto.type"] == [f"0x{arp.ptype:04x}"]
    assert fields["arp.hw.size"] == [str(arp.hwlen)]
    assert fields["arp.proto.size"] == [str(arp.plen)]
    assert fields["arp.opcode"] == [str(arp.op)]
    if arp.hwlen == 6 and arp.plen == 4:
        assert fields["arp.src.hw_mac"] == [arp.hwsrc]
        assert fields["arp.src.proto_ipv4"] == [arp.psrc]
        assert fields["arp.dst.hw_mac"] == [arp.hwdst]
        assert fields["arp.dst.proto_ipv4"] == [arp.pdst]
    else:
        assert isinstance(arp.hwsrc, bytes) and isinstance(arp.psrc, bytes)
        assert fields["arp.src.hw"] == [arp.hwsrc.hex(":")]
        assert fields["arp.src.proto"] == [arp.psrc.hex(":")]
        assert fields["arp.dst.hw"] == [arp.hwdst.hex(":")]
        assert fields["arp.dst.proto"] == [arp.pdst.hex(":")]


@needs_tshark
def test_golden_values(tshark: dict[str, dict[str, list[str]]]) -> None:
    request = tshark["request"]
    assert (request["arp.opcode"], request["arp.src.hw_mac"], request["arp.dst.proto_ipv4"]) == (
        ["1"],
        [MAC_A],
        [HOST_B],
    )
    assert tshark["reply"]["arp.opcode"] == ["2"] and tshark["reply"]["arp.src.proto_ipv4"] == [HOST_B]
    assert tshark["gratuitous"]["arp.isgratuitous"] == ["1"]
    assert tshark["odd-sizes"]["arp.hw.size"] == ["3"] and tshark["odd-sizes"]["arp.proto.size"] == ["16"]
    assert tshark["padded"]["eth.padding"] == [":".join(["00"] * 18)]


def test_decode_reads_what_was_built_and_builds_it_back() -> None:
    for name, frame in GOLDEN.items():
        packet = Ether.decode(frame)
        assert bytes(packet) == frame, name
        assert bytes(Ether.decode(frame).copy()) == frame, name
        arp = packet[ARP]
        rebuilt = ARP(
            hwtype=arp.hwtype,
            ptype=arp.ptype,
            op=arp.op,
            hwsrc=arp.hwsrc,
            psrc=arp.psrc,
            hwdst=arp.hwdst,
            pdst=arp.pdst,
        )
        assert bytes(rebuilt) + arp.padding == frame[14:], name


# An ARP request assembled by hand from RFC 826, as tcpdump -X shows it (Ethernet header first):
#   0x0000:  ffff ffff ffff 0200 0000 0001 0806 0001  ................
#   0x0010:  0800 0604 0001 0200 0000 0001 c612 0001  ................
#   0x0020:  0000 0000 0000 c612 0002 0000 0000 0000  ................
#   0x0030:  0000 0000 0000 0000 0000 0000            ............
REQUEST = bytes.fromhex(
    "ffffffffffff 020000000001 0806"
    "0001 0800 06 04 0001 020000000001 c6120001 000000000000 c6120002"
    "000000000000000000000000000000000000"
)


def test_hand_assembled_request() -> None:
    packet = Ether.decode(REQUEST)
    arp = packet[ARP]
    assert (arp.hwtype, arp.ptype, arp.hwlen, arp.plen, arp.op) == (1, 0x0800, 6, 4, 1)
    assert (arp.hwsrc, arp.psrc, arp.hwdst, arp.pdst) == (MAC_A, HOST_A, "00:00:00:00:00:00", HOST_B)
    assert arp.padding == bytes(18)
    assert packet.verify() == []
    assert bytes(packet) == REQUEST
    assert bytes(Ether(src=MAC_A, dst=BROADCAST) / ARP(hwsrc=MAC_A, psrc=HOST_A, pdst=HOST_B)) == REQUEST[:42]


# -- summaries ----------------------------------------------------------------------------------

SUMMARIES: list[Layer] = [
    Ether(src=MAC_A, dst=BROADCAST) / ARP(hwsrc=MAC_A, psrc=HOST_A, pdst=HOST_B),
    Ether(src=MAC_B, dst=MAC_A) / ARP(op="is-at", hwsrc=MAC_B, psrc=HOST_B, hwdst=MAC_A, pdst=HOST_A),
    Ether(src=MAC_A, dst=BROADCAST) / ARP(hwsrc=MAC_A, psrc=HOST_A, hwdst=MAC_B, pdst=HOST_B),
    *(
        Ether(src=MAC_A, dst=BROADCAST) / ARP(op=op, hwsrc=MAC_A, psrc=HOST_A, hwdst=MAC_B, pdst=HOST_B)
        for op in (3, 4, 8, 9)
    ),
    Ether(src=MAC_A, dst=BROADCAST) / ARP(ptype=0x86DD, hwsrc=MAC_A, psrc=bytes(16), pdst=bytes(16)),
    Ether(src=MAC_A, dst=BROADCAST) / ARP(hwtype=6, ptype=0x1234, hwsrc=MAC_A, psrc=HOST_A, pdst=HOST_B),
    Ether(src=MAC_A, dst=BROADCAST) / ARP(hwtype=99, hwsrc=b"", hwdst=b"", psrc=HOST_A, pdst=HOST_B),
    Ether(src=MAC_A, dst=BROADCAST) / ARP(hwsrc=b"\1\2\3", hwdst=b"\0\0\4", psrc=HOST_A, pdst=HOST_B),
    Ether(src=MAC_A, dst=BROADCAST)
    / ARP(op=2, hwsrc=bytes(range(1, 9)), hwdst=bytes(8), psrc=HOST_A, pdst=HOST_B),
    Ether.decode(GOLDEN["padded"]),
]


@needs_tcpdump
def test_summaries_match_tcpdump() -> None:
    frames = [bytes(packet) for packet in SUMMARIES]
    expected = tcpdump_lines(frames)
    assert len(expected) == len(frames)
    for frame, packet, line in zip(frames, SUMMARIES, expected, strict=True):
        assert packet.summary() == line
        assert Ether.decode(frame).summary() == line


def test_summary_examples() -> None:
    assert SUMMARIES[0].summary() == "ARP, Request who-has 198.18.0.2 tell 198.18.0.1, length 28"
    assert SUMMARIES[1].summary() == "ARP, Reply 198.18.0.2 is-at 02:00:00:00:00:02, length 28"
    assert SUMMARIES[-1].summary() == "ARP, Request who-has 198.18.0.2 tell 198.18.0.1, length 46"
    assert ARP(op=10).summary().startswith("ARP, NACK Reply \n\t0x0000:  0001 0800 0604 000a")  # a hex dump


# -- fields -------------------------------------------------------------------------------------


def test_defaults_and_computed_sizes() -> None:
    arp = ARP()
    assert (arp.hwtype, arp.ptype, arp.hwlen, arp.plen, arp.op) == (1, 0x0800, None, None, 1)
    assert (arp.hwsrc, arp.psrc, arp.hwdst, arp.pdst) == (None, None, "00:00:00:00:00:00", "0.0.0.0")
    wire = bytes(arp)
    assert wire == bytes.fromhex("0001 0800 0604 0001") + bytes(20)
    assert arp.hwlen is None and arp.hwsrc is None  # building did not change them
    sized = ARP(hwsrc=bytes(8), hwdst=bytes(8), psrc=bytes(16), pdst=bytes(16))
    assert bytes(sized)[4:6] == bytes([8, 16]) and len(bytes(sized)) == 8 + 2 * (8 + 16)
    assert bytes(ARP(hwlen=8, plen=16)) == bytes.fromhex("0001 0800 0810 0001") + bytes(
        48
    )  # zeros of that size
    assert bytes(ARP(hwdst=bytes(8)))[4] == 8 and len(bytes(ARP(psrc=bytes(16)))) == 8 + 2 * (6 + 16)
    assert bytes(ARP(hwdst=None, pdst=None)) == wire


def test_user_sizes_are_sent_as_set() -> None:
    wire = bytes(ARP(hwlen=5, plen=3, hwsrc=MAC_A, psrc=HOST_A))
    # The given addresses go out whole; the targets left at their defaults are 5 and 3 zeros.
    assert wire == bytes.fromhex("0001 0800 0503 0001 020000000001 c6120001") + bytes(8)


def test_operation_names() -> None:
    assert ARP(op="who-has").op == 1 and ARP(op="is-at").op == 2 and ARP(op="InARP-rep").op == 9
    assert ARPOp(2).name == "is_at"
    assert "op=is-at" in repr(ARP(op=2))  # (scapy's repr: the name)
    assert "op        = who-has (1)" in str(ARP().show(dump=True))


def test_address_sizes_decide_text_or_bytes() -> None:
    arp = ARP(hwsrc=MAC_A, psrc=HOST_A, hwdst=b"\x02\x00\x00\x00\x00\x02", pdst=b"\xc6\x12\x00\x02")
    assert (arp.hwsrc, arp.psrc, arp.hwdst, arp.pdst) == (MAC_A, HOST_A, MAC_B, HOST_B)
    odd = Ether.decode(GOLDEN["odd-sizes"])[ARP]
    assert (odd.hwsrc, odd.psrc) == (b"\x02\x00\x01", bytes(15) + b"\x01")
    assert "hwsrc     = b'\\x02\\x00\\x01'" in str(odd.show(dump=True))


def test_prefix_makes_a_set() -> None:
    packets = list(Ether(src=MAC_A, dst=BROADCAST) / ARP(hwsrc=MAC_A, psrc=HOST_A, pdst="198.18.0.0/30"))
    assert [packet[ARP].pdst for packet in packets] == [f"198.18.0.{i}" for i in range(4)]
    assert [len(bytes(packet)) for packet in packets] == [42] * 4
    assert [p[ARP].pdst for p in ARP(pdst=[HOST_A, HOST_B])] == [HOST_A, HOST_B]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ARP(op="nope"), "ARP.op must be 0..65535 or a name such as 'who-has', got 'nope'"),
        (lambda: ARP(op=65536), "ARP.op must be 0..65535, got 65536"),
        (
            lambda: ARP(hwsrc="02:00"),
            "ARP.hwsrc must be an Ethernet (aa:bb:cc:dd:ee:ff) address, got '02:00'",
        ),
        (lambda: ARP(pdst="198.18.0.300"), "ARP.pdst must be an IPv4 address, got '198.18.0.300'"),
        (lambda: ARP(psrc=5), "ARP.psrc must be an IPv4 address or bytes, got 5"),
        (lambda: ARP(hwlen=256), "ARP.hwlen must be 0..255, got 256"),
    ],
)
def test_invalid_values_fail_at_construction(make: Any, message: str) -> None:
    with pytest.raises(FieldValueError, match=re.escape(message)):
        make()


# -- decode errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 8))
def test_truncated_fixed_part(size: int) -> None:
    frame = bytes(Ether(type=0x0806)) + GOLDEN["request"][14 : 14 + size]
    with pytest.raises(TruncatedError) as caught:
        Ether.decode(frame)[ARP]
    assert (caught.value.layer, caught.value.offset) == ("arp", 14)
    assert f"{size} bytes left, the header needs 8" in str(caught.value)


@pytest.mark.parametrize("size", [8, 20, 27])
def test_truncated_addresses(size: int) -> None:
    with pytest.raises(TruncatedError) as caught:
        Ether.decode(GOLDEN["request"][: 14 + size])[ARP]
    assert (caught.value.layer, caught.value.offset) == ("arp", 14)
    assert f"hwlen 6 and plen 4 need 28 bytes, {size} left" in str(caught.value)


def test_huge_sizes_are_checked_before_reading() -> None:
    with pytest.raises(TruncatedError, match="hwlen 255 and plen 255 need 1028 bytes, 28 left"):
        ARP.decode(bytes.fromhex("0001 0800 ffff 0001") + bytes(20))


# -- properties ---------------------------------------------------------------------------------


@given(st.binary(max_size=96))
def test_arbitrary_bytes_raise_only_decode_errors(data: bytes) -> None:
    for cls in (ARP, Ether):
        try:
            packet = cls.decode(data)
            for layer in packet.layers():
                layer.field_values()
            packet.summary()
        except DecodeError:
            continue
        if cls is ARP:
            assert bytes(packet) == data


@given(st.binary(min_size=8, max_size=80))
def test_arbitrary_arp_frames_build_back(body: bytes) -> None:
    frame = bytes(Ether(src=MAC_A, dst=BROADCAST, type=0x0806)) + body
    try:
        packet = Ether.decode(frame)
        packet.summary()
        packet.verify()
    except DecodeError:
        return
    assert bytes(packet) == frame
    assert packet[ARP].padding == frame[14 + 8 + 2 * (body[4] + body[5]) :]


@given(
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 20),
    st.integers(0, 20),
    st.data(),
)
def test_round_trip(hwtype: int, ptype: int, op: int, hwlen: int, plen: int, data: st.DataObject) -> None:
    hw = st.binary(min_size=hwlen, max_size=hwlen)
    proto = st.binary(min_size=plen, max_size=plen)
    packet = ARP(
        hwtype=hwtype,
        ptype=ptype,
        hwlen=hwlen,
        plen=plen,
        op=op,
        hwsrc=data.draw(hw),
        psrc=data.draw(proto),
        hwdst=data.draw(hw),
        pdst=data.draw(proto),
    )
    assert ARP.decode(bytes(packet)) == packet


# Odd but legal (and malformed) ARP messages, as tcpdump prints them: unknown opcodes dumped in
# hex, addresses cut short ("[|arp]"), other protocol types, ATM ARP's own layout.
ARP_BODY = st.builds(
    lambda hwtype, ptype, sizes, op, rest: (
        hwtype.to_bytes(2, "big") + ptype.to_bytes(2, "big") + bytes(sizes) + op.to_bytes(2, "big") + rest
    ),
    st.sampled_from([1, 6, 15, 19, 23, 99]),
    st.sampled_from([0x0800, 0x1000, 0x86DD, 0x9200, 0x1234]),
    st.sampled_from([(6, 4), (6, 4), (0, 4), (6, 16), (8, 4), (4, 4), (20, 4), (134, 4), (6, 36), (5, 1)]),
    st.sampled_from([1, 2, 3, 4, 5, 8, 9, 10, 11, 300]),
    st.binary(min_size=0, max_size=80),
)


@needs_tcpdump
@given(st.lists(ARP_BODY, min_size=1, max_size=30))
def test_odd_messages_print_as_tcpdump_prints_them(bodies: list[bytes]) -> None:
    frames = [bytes.fromhex("ffffffffffff02000000000108 06".replace(" ", "")) + body for body in bodies]
    lines = [line for data in frames for line in Ether.decode(data, lenient=True).summary().split("\n")]
    assert lines == tcpdump_lines(frames)


def atm_arp(op: int, shtl: int = 20, sstl: int = 0, spln: int = 4, tstl: int = 0, pro: int = 0x0800) -> bytes:
    """An Ethernet frame with an ATM ARP message (RFC 2225): sizes in their own bytes, subaddresses."""
    sizes = bytes([shtl, sstl]) + op.to_bytes(2, "big") + bytes([spln, 20, tstl, 4])
    addresses = bytes(range(1, shtl + 1)) + bytes(range(50, 50 + sstl)) + bytes([198, 18, 0, 1])[:spln]
    addresses += bytes(range(100, 120)) + bytes(range(150, 150 + tstl)) + bytes([198, 18, 0, 2])
    return bytes.fromhex("ffffffffffff0200000000010806 0013") + pro.to_bytes(2, "big") + sizes + addresses


@needs_tcpdump
def test_atm_arp_prints_in_its_own_layout_as_tcpdump() -> None:
    frames = [atm_arp(op) for op in (1, 2, 3, 8, 9, 10, 11)]
    frames += [atm_arp(2, sstl=3), atm_arp(8, tstl=2), atm_arp(1, pro=0x86DD), atm_arp(1, spln=16)]
    lines = [line for data in frames for line in Ether.decode(data, lenient=True).summary().split("\n")]
    assert lines == tcpdump_lines(frames)
    assert "ARP, NACK Reply for 198.18.0.1, length 60" in lines and " [|arp]" in lines
