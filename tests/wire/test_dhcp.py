"""dhcp.py: BOOTP and its DHCP options (RFC 951, 2131, 2132), against tshark, tcpdump and scapy's forms.

The corpus test reads tcpdump's own captures holding BOOTP/DHCP (tests/data/tcpdump) with
``rawnet sniff -r`` and the installed ``tcpdump -n -r``, and compares the lines of every such
packet; random messages go through tcpdump too (Hypothesis).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rawnet import BOOTP, DHCP, IP, UDP, DecodeError, Ether, Raw, TruncatedError, Undecoded
from rawnet.wire.dhcp import MAGIC, decode_options, encode_options
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_layers

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
MAC = "02:00:00:00:00:01"


def frame(message: Layer, sport: int = 68, dport: int = 67) -> Layer:
    return Ether(src=MAC) / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=sport, dport=dport) / message


DISCOVER = [
    ("message-type", "discover"),
    ("requested_addr", "192.0.2.5"),
    ("param_req_list", [1, 3, 6, 15]),
    ("hostname", b"host"),
    ("router", "192.0.2.1", "192.0.2.2"),
    ("lease_time", 3600),
    ("max_dhcp_size", 1500),
    ("client_id", b"\x01\x02\x00\x00\x00\x00\x01"),
    (250, b"xx"),
    "end",
]


def discover() -> Layer:
    return frame(BOOTP(chaddr=MAC, xid=0x1234, flags="B", secs=3) / DHCP(options=DISCOVER))


def test_builds_scapy_bytes() -> None:
    """The bytes scapy 2.8.0 builds for the same message (its BOOTP()/DHCP() with these options)."""
    wire = bytes(BOOTP(chaddr=MAC, xid=0x1234) / DHCP(options=[("message-type", "discover"), "end"]))
    assert len(wire) == 236 + 4 + 4
    assert wire[:12] == bytes.fromhex("010106000000123400000000")
    assert wire[28:44] == bytes.fromhex("02000000000100000000000000000000")
    assert wire[236:] == MAGIC + bytes.fromhex("350101ff")
    assert bytes(BOOTP()) == bytes.fromhex("01010600") + bytes(232)  # no DHCP: no cookie


def test_decodes_options_as_scapy_lists_them() -> None:
    message = Ether.decode(bytes(discover()))
    assert message[BOOTP].options == MAGIC
    assert message[BOOTP].chaddr == bytes.fromhex("020000000001") + bytes(10)
    assert message[BOOTP].flags == "B"
    assert message[DHCP].options == [
        ("message-type", 1),
        ("requested_addr", "192.0.2.5"),
        ("param_req_list", [1, 3, 6, 15]),
        ("hostname", b"host"),
        ("router", "192.0.2.1", "192.0.2.2"),
        ("lease_time", 3600),
        ("max_dhcp_size", 1500),
        ("client_id", b"\x01\x02\x00\x00\x00\x00\x01"),
        (250, b"xx"),
        "end",
    ]
    assert message.verify() == []
    assert bytes(message) == bytes(discover())


def test_options_round_trip_pads_routes_and_odd_sizes() -> None:
    options = [
        ("classless_static_routes", "10.0.0.0/8:192.0.2.1", "0.0.0.0/0:192.0.2.254"),
        ("subnet_mask", b"\x01\x02\x03"),  # a size its format does not take: the bytes
        ("message-type", 5),
        "end",
        "pad",
        "pad",
    ]
    data = encode_options(options)
    assert decode_options(data, 0, len(data)) == options


def test_without_cookie_the_vendor_area_stays_bytes() -> None:
    wire = bytes(BOOTP(options=b"\x01\x02\x03\x04vendor"))
    decoded = BOOTP.decode(wire)
    assert decoded.options == b"\x01\x02\x03\x04vendor" and decoded.payload is None


@pytest.mark.parametrize(
    ("options", "where"),
    [
        (b"\x35\x05\x01", 240),  # length 5, 1 byte left
        (b"\x35", 240),  # no length byte
        (b"\x01\x04\x01\x02\x03\x04\x03\x08\x01", 246),
    ],
)
def test_an_option_running_past_the_end_is_a_decode_error(options: bytes, where: int) -> None:
    wire = bytes(BOOTP()) + MAGIC + options
    with pytest.raises(TruncatedError) as error:
        BOOTP.decode(wire)
    assert error.value.offset == where and "dhcp" in str(error.value)
    lenient = BOOTP.decode(wire, lenient=True)
    assert isinstance(lenient.payload, Undecoded)


def test_what_follows_end_is_kept() -> None:
    wire = bytes(BOOTP()) + MAGIC + b"\xff\x00\x35\x05\x01"
    assert BOOTP.decode(wire)[DHCP].options == ["end", "pad", b"\x35\x05\x01"]


def test_a_short_message_is_a_decode_error() -> None:
    with pytest.raises(TruncatedError):
        BOOTP.decode(bytes(235))


def test_bad_option_values_are_refused() -> None:
    for options in ([("no-such-option", 1)], [("router", "not an address")], [("hostname", b"x" * 256)]):
        with pytest.raises(ValueError):
            DHCP(options=options)


@needs_tshark
def test_tshark_reads_the_built_message() -> None:
    layers = tshark_layers([bytes(discover())])[0]
    assert not any(key.startswith("_ws.expert") for key in str(layers).split("'"))
    dhcp = layers["dhcp"]
    built = Ether.decode(bytes(discover()))[BOOTP]
    assert dhcp["dhcp.type"] == str(built.op)
    assert dhcp["dhcp.id"] == f"0x{built.xid:08x}"
    assert dhcp["dhcp.flags"] == "0x8000"
    assert dhcp["dhcp.secs"] == "3"
    assert dhcp["dhcp.hw.mac_addr"] == MAC
    assert dhcp["dhcp.cookie"] == "99.130.83.99"
    assert dhcp["dhcp.option.type"][:9] == ["53", "50", "55", "12", "3", "51", "57", "61", "250"]
    trees = dhcp["dhcp.option.type_tree"]
    assert trees[9]["dhcp.option.end"] == "255"
    assert trees[1]["dhcp.option.requested_ip_address"] == "192.0.2.5"
    assert trees[2]["dhcp.option.request_list_item"] == ["1", "3", "6", "15"]
    assert trees[4]["dhcp.option.router"] == ["192.0.2.1", "192.0.2.2"]
    assert trees[5]["dhcp.option.ip_address_lease_time"] == "3600"


@needs_tcpdump
@pytest.mark.parametrize(
    "message",
    [
        BOOTP(chaddr=MAC) / DHCP(options=DISCOVER),
        BOOTP(op=2, yiaddr="192.0.2.9") / DHCP(options=[("message-type", "offer"), "end"]),
        BOOTP(op=3),
        BOOTP(htype=6, chaddr=MAC),
        Raw(load=b""),
        Raw(load=b"\x01"),
        Raw(load=b"\x01\x01\x06" + bytes(30)),
        Raw(load=b"\x02" + bytes(40)),
        Raw(load=bytes(BOOTP()) + MAGIC + b"\x35\x05\x01"),  # an option past the end
    ],
    ids=["discover", "offer", "op3", "htype6", "empty", "op-only", "no-chaddr", "short-reply", "bad-option"],
)
def test_summary_is_tcpdumps_line(message: Layer) -> None:
    wire = bytes(frame(message))
    assert Ether.decode(wire, lenient=True).summary() == tcpdump_lines([wire])[0]


@needs_tcpdump
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    op=st.integers(0, 255),
    htype=st.sampled_from([1, 6, 0]),
    hlen=st.sampled_from([6, 8, 0]),
    cut=st.integers(0, 300),
    reply=st.booleans(),
)
def test_random_messages_summary_is_tcpdumps(op: int, htype: int, hlen: int, cut: int, reply: bool) -> None:
    whole = bytes(BOOTP(op=op, htype=htype, hlen=hlen, chaddr=MAC) / DHCP(options=DISCOVER))
    ports = (67, 68) if reply else (68, 67)
    wire = bytes(frame(Raw(load=whole[:cut]), *ports))
    assert Ether.decode(wire, lenient=True).summary() == tcpdump_lines([wire])[0]


@given(st.binary(max_size=400))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for decoder in (BOOTP, DHCP):
        with contextlib.suppress(DecodeError):
            decoder.decode(data)
    with contextlib.suppress(DecodeError):
        BOOTP.decode(bytes(BOOTP()) + MAGIC + data)


def _captures() -> list[str]:
    names = sorted(path.name for path in CORPUS.iterdir() if path.suffix in (".pcap", ".pcapng"))
    return [name for name in names if name.startswith(("bootp", "dhcp", "dcb_pfc", "eapon1"))]


def _lines(command: list[str], capture: Path) -> list[str]:
    run = subprocess.run([*command, "-r", str(capture)], capture_output=True, text=True, check=False)
    return [line for line in run.stdout.splitlines() if line and not line[0].isspace()]


@needs_tcpdump
@pytest.mark.parametrize(
    "capture", [name for name in _captures() if "dhcp6" not in name and "dhcpv6" not in name]
)
def test_corpus_lines_equal_tcpdumps(capture: str) -> None:
    """Every BOOTP/DHCP packet of tcpdump's captures: rawnet sniff's line is tcpdump's."""
    path = CORPUS / capture
    want = _lines(["tcpdump", "-n"], path)
    got = _lines([sys.executable, "-m", "rawnet", "sniff"], path)
    pairs = [(line, mine) for line, mine in zip(want, got, strict=False) if "BOOTP/DHCP" in line]
    assert pairs or "dhcp" not in capture
    assert [mine for _, mine in pairs] == [line for line, _ in pairs]


_IPS = st.sampled_from(["192.0.2.1", "198.51.100.7", "0.0.0.0", "255.255.255.255"])
_OPTION = st.one_of(
    st.tuples(st.just("message-type"), st.integers(1, 13)),
    st.builds(lambda ips: ("router", *ips), st.lists(_IPS, min_size=1, max_size=3)),
    st.tuples(st.just("lease_time"), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just("max_dhcp_size"), st.integers(0, 0xFFFF)),
    st.tuples(st.just("hostname"), st.binary(max_size=20)),
    st.tuples(st.just("param_req_list"), st.lists(st.integers(0, 255), min_size=1, max_size=8)),
    st.tuples(st.integers(224, 254), st.binary(max_size=20)),
    st.just("pad"),
)


@given(options=st.lists(_OPTION, max_size=12), end=st.booleans())
def test_build_then_decode_round_trips(options: list[object], end: bool) -> None:
    given = [*options, "end"] if end or not options else options  # (no options: no DHCP layer, as scapy)
    packet = frame(BOOTP(chaddr=MAC, xid=7) / DHCP(options=given))
    wire = bytes(packet)
    decoded = Ether.decode(wire)
    assert bytes(decoded) == wire and decoded.verify() == []
    assert decoded[DHCP].options == given
