"""lldp.py: LLDP's TLVs (IEEE 802.1AB), checked against tshark and tcpdump, on built frames and
on tcpdump's own LLDP captures."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rawnet import (
    LLDPDU,
    BuildError,
    DecodeError,
    Dot1Q,
    Ether,
    LLDPDUChassisID,
    LLDPDUEndOfLLDPDU,
    LLDPDUGenericOrganisationSpecific,
    LLDPDUManagementAddress,
    LLDPDUPortDescription,
    LLDPDUPortID,
    LLDPDUSystemCapabilities,
    LLDPDUSystemDescription,
    LLDPDUSystemName,
    LLDPDUTimeToLive,
    LLDPDUUnknown,
    MalformedError,
    TruncatedError,
)
from rawnet.cli.linkline import link_line
from rawnet.net.pcap import PcapReader
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_fields

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
LLDP_CAPTURES = sorted(path.name for path in CORPUS.glob("lldp*.pcap"))
ETHER = Ether(src="02:00:00:00:00:01", dst="01:80:c2:00:00:0e")
MANDATORY = (
    LLDPDUChassisID(subtype=4, id="02:00:00:00:00:01")
    / LLDPDUPortID(subtype=5, id="eth0")
    / LLDPDUTimeToLive(ttl=120)
)
FULL = (
    ETHER
    / MANDATORY
    / LLDPDUPortDescription(description="uplink")
    / LLDPDUSystemName(system_name="sw1")
    / LLDPDUSystemDescription(description="rawnet switch")
    / LLDPDUSystemCapabilities(mac_bridge_available=1, router_available=1, router_enabled=1)
    / LLDPDUManagementAddress(
        management_address_subtype=1,
        management_address="192.0.2.1",
        interface_numbering_subtype=2,
        interface_number=3,
    )
    / LLDPDUGenericOrganisationSpecific(org_code=0x0080C2, subtype=1, data=b"\x00\x05")
    / LLDPDUEndOfLLDPDU()
)


def test_lengths_are_computed() -> None:
    wire = bytes(ETHER / MANDATORY / LLDPDUEndOfLLDPDU())
    assert wire[12:14] == b"\x88\xcc"  # the EtherType, from the TLV's class
    assert wire[14:16] == b"\x02\x07" and wire[16] == 4 and wire[17:23] == bytes.fromhex("020000000001")
    assert wire[23:25] == b"\x04\x05" and wire[25:30] == b"\x05eth0"
    assert wire[30:34] == b"\x06\x02\x00\x78" and wire[34:] == b"\x00\x00"
    management = bytes(LLDPDUManagementAddress(management_address="2001:db8::1", object_id=b"\x2b\x06"))
    assert management[2] == 17 and management[-3:] == b"\x02\x2b\x06"  # lengths of address and OID
    assert int.from_bytes(management[:2]) & 0x1FF == len(management) - 2
    assert bytes(LLDPDUChassisID(subtype=5, id="192.0.2.7"))[2:] == b"\x05\x01\xc0\x00\x02\x07"


def test_a_length_set_is_sent_as_set() -> None:
    assert bytes(LLDPDUSystemName(system_name="x", length=9))[:2] == b"\x0a\x09"


def test_decodes_back_with_scapy_names() -> None:
    wire = bytes(FULL)
    decoded = Ether.decode(wire)
    assert bytes(decoded) == wire
    assert decoded[LLDPDUChassisID].id == "02:00:00:00:00:01" and decoded[LLDPDUChassisID].subtype == 4
    assert decoded[LLDPDUPortID].id == b"eth0" and decoded[LLDPDUTimeToLive].ttl == 120
    assert decoded[LLDPDUSystemName].system_name == b"sw1"
    assert decoded[LLDPDUSystemDescription].description == b"rawnet switch"
    capabilities = decoded[LLDPDUSystemCapabilities]
    assert capabilities.router_enabled == 1 and capabilities.mac_bridge_enabled == 0
    management = decoded[LLDPDUManagementAddress]
    assert management.management_address == b"\xc0\x00\x02\x01" and management.interface_number == 3
    assert management.management_address_string_length == 5 and management.oid_string_length == 0
    organisation = decoded[LLDPDUGenericOrganisationSpecific]
    assert (organisation.org_code, organisation.subtype, organisation.data) == (0x0080C2, 1, b"\x00\x05")
    assert isinstance(decoded[LLDPDU], LLDPDUChassisID)
    assert bytes(Dot1Q.decode(bytes(Dot1Q(vlan=3) / MANDATORY))) == bytes(Dot1Q(vlan=3) / MANDATORY)


def test_unknown_types_and_padding_are_kept() -> None:
    wire = bytes(ETHER / MANDATORY) + b"\x20\x03abc" + b"\x00\x00" + bytes(20)
    decoded = Ether.decode(wire)
    unknown = decoded[LLDPDUUnknown]
    assert (unknown.type, unknown.data) == (16, b"abc")
    assert decoded[LLDPDUEndOfLLDPDU].padding == bytes(20) and bytes(decoded) == wire
    # a TLV whose length says more than its fields hold is kept whole, as bytes
    for odd in (
        b"\x06\x04\x00\x78\xaa\xbb",
        b"\x00\x01\x00",
        b"\x10\x0b\x03\x01\x01\x02\x02" + bytes(5) + b"\x55",
    ):
        tlv = LLDPDU.decode(odd)
        assert isinstance(tlv, LLDPDUUnknown) and bytes(tlv) == odd


def test_network_address_ids_keep_their_family() -> None:
    port = LLDPDUPortID.decode(bytes(LLDPDUPortID(subtype=4, id="2001:db8::9")))
    assert (port.family, port.id) == (2, "2001:db8::9")
    odd = LLDPDUChassisID.decode(b"\x02\x04\x05\x09ab")  # a family rawnet does not read
    assert (odd.family, odd.id) == (9, b"ab") and bytes(odd) == b"\x02\x04\x05\x09ab"
    with pytest.raises(BuildError):
        bytes(LLDPDUChassisID(subtype=4, id="not a mac"))


@pytest.mark.parametrize(
    ("wire", "error"),
    [
        (b"\x02", TruncatedError),  # half a TLV header
        (b"\x02\x07\x04\x02", TruncatedError),  # a length past the end
        (b"\x06\x01\x00", MalformedError),  # a TTL of one byte
        (b"\x10\x06\x10\x01\x02\x03\x04\x05", MalformedError),  # an address of 15 bytes in 4
        (b"\x10\x08\x01\x01\x01\x00\x00\x00\x00\x05", MalformedError),  # an OID past the end
    ],
)
def test_bad_lengths_raise_decode_errors(wire: bytes, error: type[DecodeError]) -> None:
    with pytest.raises(error):
        LLDPDU.decode(wire)
    assert bytes(LLDPDU.decode(wire, lenient=True)) == wire


@needs_tshark
def test_tshark_reads_what_rawnet_builds() -> None:
    (fields,) = tshark_fields([bytes(FULL)])
    decoded = Ether.decode(bytes(FULL))
    assert not any("_ws.expert" in key for key in fields)
    assert fields["lldp.tlv.type"] == [str(tlv.type) for tlv in decoded.layers()[1:]]
    assert fields["lldp.tlv.len"] == [str(tlv.length) for tlv in decoded.layers()[1:]]
    assert fields["lldp.chassis.id.mac"] == [decoded[LLDPDUChassisID].id]
    assert fields["lldp.port.id"] == [decoded[LLDPDUPortID].id.decode()]
    assert fields["lldp.time_to_live"] == [str(decoded[LLDPDUTimeToLive].ttl)]
    assert fields["lldp.port.desc"] == ["uplink"] and fields["lldp.tlv.system.name"] == ["sw1"]
    assert fields["lldp.tlv.system.desc"] == ["rawnet switch"]
    assert fields["lldp.tlv.system_cap"] == ["0x0014"] and fields["lldp.tlv.enable_system_cap"] == ["0x0010"]
    assert fields["lldp.mgn.addr.ip4"] == ["192.0.2.1"] and fields["lldp.mgn.interface.number"] == ["3"]
    assert fields["lldp.mgn.address.len"] == ["5"] and fields["lldp.mgn.obj.len"] == ["0"]
    assert fields["lldp.orgtlv.oui"] == [str(0x0080C2)]


@needs_tcpdump
def test_tcpdump_lines_of_built_frames() -> None:
    frames: list[Layer] = [
        FULL,
        ETHER / MANDATORY / LLDPDUSystemName(system_name=b"ab\x00cd") / LLDPDUSystemName(system_name=b"\xff"),
        ETHER / MANDATORY / LLDPDUEndOfLLDPDU() / LLDPDUSystemName(system_name="after the end"),
        ETHER / LLDPDUTimeToLive(),
    ]
    wires = [bytes(frame) for frame in frames]
    assert tcpdump_lines(wires) == [Ether.decode(wire).summary() for wire in wires]
    assert tcpdump_lines(wires, 1, "-e") == [link_line(Ether.decode(wire), len(wire)) for wire in wires]


@needs_tcpdump
@given(
    names=st.lists(st.binary(max_size=12), max_size=3),
    ttl=st.integers(0, 0xFFFF),
    cut=st.integers(0, 40),
)
def test_tcpdump_on_random_frames(names: list[bytes], ttl: int, cut: int) -> None:
    frame: Any = ETHER / MANDATORY / LLDPDUTimeToLive(ttl=ttl)
    for name in names:
        frame = frame / LLDPDUSystemName(system_name=name)
    wire = bytes(frame)
    wire = wire[: max(len(wire) - cut, 14)]  # (cut short: tcpdump's "[|lldp]")
    assert tcpdump_lines([wire]) == [Ether.decode(wire, lenient=True).summary()]


def _installed(capture: str) -> list[str]:
    run = subprocess.run(
        ["tcpdump", "-n", "-r", str(CORPUS / capture)],
        capture_output=True,
        text=True,
        errors="replace",
        env=dict(os.environ, TZ="GMT0"),
        check=False,
    )
    return [line.split(" ", 1)[1] for line in run.stdout.splitlines() if line and not line[0].isspace()]


@needs_tcpdump
@pytest.mark.parametrize("capture", LLDP_CAPTURES)
def test_corpus_lines_equal_tcpdump(capture: str) -> None:
    expected = _installed(capture)
    packets = list(PcapReader(CORPUS / capture))
    assert len(packets) == len(expected)
    pairs = [(p.summary(), line) for p, line in zip(packets, expected, strict=True) if "LLDP" in line]
    assert pairs and all(mine == line for mine, line in pairs)


@given(data=st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        for layer in LLDPDU.decode(data).layers():
            layer.show(dump=True)
    lenient = LLDPDU.decode(data, lenient=True)
    assert bytes(lenient) == data
    lenient.summary()


@needs_tcpdump
@pytest.mark.parametrize("capture", LLDP_CAPTURES)
@pytest.mark.parametrize("verbose", [1, 2])
def test_corpus_verbose_lines_equal_tcpdump(capture: str, verbose: int) -> None:
    run = subprocess.run(
        ["tcpdump", "-n", "-t", "-" + "v" * verbose, "-r", str(CORPUS / capture)],
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    blocks: list[list[str]] = []
    for line in run.stdout.splitlines():
        if line.startswith("\t") and blocks:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    packets = list(PcapReader(CORPUS / capture))
    assert len(packets) == len(blocks)
    # (only LLDP's: a frame of another EtherType in these fuzzed files is Ethernet's)
    pairs = [(p, block) for p, block in zip(packets, blocks, strict=True) if block[0].startswith("LLDP")]
    assert pairs and all(p.summary(verbose).split("\n") == block for p, block in pairs)


TLV_STRATEGY = st.one_of(
    st.builds(
        lambda subtype, data: LLDPDUChassisID(subtype=subtype, id=data),
        st.integers(0, 9),
        st.binary(min_size=0, max_size=8),
    ),
    st.builds(
        lambda subtype, data: LLDPDUPortID(subtype=subtype, id=data),
        st.integers(0, 9),
        st.binary(min_size=0, max_size=8),
    ),
    st.builds(lambda ttl: LLDPDUTimeToLive(ttl=ttl), st.integers(0, 0xFFFF)),
    st.builds(lambda text: LLDPDUPortDescription(description=text), st.binary(max_size=10)),
    st.builds(lambda text: LLDPDUSystemDescription(description=text), st.binary(max_size=10)),
    st.builds(lambda text: LLDPDUSystemName(system_name=text), st.binary(max_size=10)),
    st.builds(
        lambda caps: LLDPDU(bytes.fromhex("0e04") + caps.to_bytes(4, "big")), st.integers(0, 0xFFFFFFFF)
    ),
    st.builds(
        lambda subtype, address, numbering, number, oid: LLDPDUManagementAddress(
            management_address_subtype=subtype,
            management_address=address,
            interface_numbering_subtype=numbering,
            interface_number=number,
            object_id=oid,
        ),
        st.sampled_from([0, 1, 2, 6, 9]),
        st.binary(max_size=16),
        st.integers(0, 4),
        st.integers(0, 0xFFFFFFFF),
        st.binary(max_size=4),
    ),
    st.builds(
        lambda oui, subtype, data: LLDPDUGenericOrganisationSpecific(
            org_code=oui, subtype=subtype, data=data
        ),
        st.sampled_from([0x0080C2, 0x00120F, 0x0012BB]),
        st.sampled_from([1, 2, 3, 4, 5, 7]),
        st.one_of(
            st.binary(max_size=8),
            st.builds(lambda kind, rest: bytes([kind]) + rest, st.integers(0, 4), st.binary(max_size=24)),
        ),
    ),
    st.builds(lambda data: LLDPDUUnknown(type=20, data=data), st.binary(max_size=6)),
)


@needs_tcpdump
@settings(max_examples=100, deadline=None)  # (tcpdump runs per example)
@given(tlvs=st.lists(TLV_STRATEGY, min_size=1, max_size=5), verbose=st.integers(1, 2))
def test_tcpdump_verbose_on_random_tlvs(tlvs: list[Layer], verbose: int) -> None:
    frame: Any = ETHER
    for tlv in tlvs:
        frame = frame / tlv
    wire = bytes(frame / LLDPDUEndOfLLDPDU())
    expected = tcpdump_lines([wire], 1, "-" + "v" * verbose)
    assert expected == Ether.decode(wire, lenient=True).summary(verbose).split("\n")
