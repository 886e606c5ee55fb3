"""tcpdump's text for what rawnet does not decode (wire/printers/__init__.py, printers/llc.py and
tcpdump.py's fallbacks): unknown EtherTypes with the frame's wire length and ": ", 802.2 LLC
frames, against the installed tcpdump on tcpdump's own captures."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rawnet.wire import IP, UDP, Ether, Layer, Raw
from rawnet.wire.printers import About, Cut, number, run, take
from tests.oracle import tcpdump_lines as tcpdump_of
from tests.wire.printer_corpus import differences, expected_lines, rawnet_lines, tcpdump_lines

# (capture, a word of the lines checked)
_CAPTURES = [
    ("isakmp-rfc3948-oobr.pcap", "ethertype Unknown"),
    ("decnet-shorthdr-oobr.pcap", "ethertype Unknown"),
    ("hoobr_pimv1.pcap", "ethertype Unknown"),
    ("snmp-heapoverflow-1.pcap", "ethertype Unknown"),
    ("kh-timed-001-oobr.pcap", "ethertype Unknown"),
    ("kday4.pcap", "SSAP"),
    ("vrrp.pcap", "VRRP"),
    ("AoE_Linux.pcap", "AoE"),
    ("HSRP_coup.pcap", "HSRP"),
    ("HSRP_failover.pcap", "HSRP"),
    ("of13_ericsson.pcapng", "OpenFlow"),
    ("of10_s4810.pcap", "OpenFlow"),
]
# (capture, TESTLIST output, a word of the lines checked): where the installed tcpdump (4.99.3)
# prints otherwise than the newer one that wrote the outputs, the outputs are the oracle.
_EXPECTED = [
    ("babel_update_oobr.pcap", "babel_update_oobr.out", "kerberos"),
]


@pytest.mark.parametrize(("capture", "marker"), _CAPTURES)
def test_corpus_lines_equal_tcpdumps(capture: str, marker: str) -> None:
    assert differences(tcpdump_lines(capture), rawnet_lines(capture), marker) == []


@pytest.mark.parametrize(("capture", "output", "marker"), _EXPECTED)
def test_corpus_lines_equal_tcpdumps_outputs(capture: str, output: str, marker: str) -> None:
    assert differences(expected_lines(output), rawnet_lines(capture), marker) == []


@pytest.mark.parametrize(
    "frame",
    [
        Ether(dst="01:02:03:04:05:06", src="0a:0b:0c:0d:0e:0f", type=0x1234) / Raw(b"\x00" * 30),
        Ether(dst="01:02:03:04:05:06", src="0a:0b:0c:0d:0e:0f", type=0xD28C) / Raw(b"\x01" * 3),
        Ether(dst="01:02:03:04:05:06", src="0a:0b:0c:0d:0e:0f", type=46)
        / Raw(b"\x10\x11\x03" + b"\x00" * 43),
        Ether(dst="01:02:03:04:05:06", src="0a:0b:0c:0d:0e:0f", type=46)
        / Raw(b"\x04\x05\x0e\x02" + b"\x00" * 42),
        Ether(dst="01:02:03:04:05:06", src="0a:0b:0c:0d:0e:0f", type=46)
        / Raw(b"\x04\x05\x01\x03" + b"\x00" * 42),
        Ether(dst="01:02:03:04:05:06", src="0a:0b:0c:0d:0e:0f", type=46)
        / Raw(b"\x42\x43\xbf\x81\x01\x02" + b"\x00" * 40),
    ],
)
def test_built_frames_equal_tcpdumps(frame: Ether) -> None:
    line = tcpdump_of([frame.build()])[0]  # (the hex dump that follows is left out)
    assert frame.summary() == line


def test_a_printer_cut_short_ends_in_the_protocols_name() -> None:
    def printer(words: list[str], data: bytes, length: int, about: About) -> None:
        words.append(f"first {number(data, 0, 1)}")
        words.append(f", then {take(data, 1, 4).hex()}")

    assert run("demo", printer, b"\x07\x01\x02\x03\x04", 5) == "first 7, then 01020304"
    assert run("demo", printer, b"\x07\x01", 5) == "first 7 [|demo]"
    with pytest.raises(Cut):
        take(b"", 0, 1)


# -- each printer on random bytes, against the installed tcpdump (its version prints these alike)

_HEADS = {  # a printer's usual first bytes, so that most examples reach its fields
    "vrrp": [b"\x21", b"\x31", b""],
}


def _payloads(heads: list[bytes]) -> st.SearchStrategy[list[bytes]]:
    one = st.tuples(st.sampled_from(heads), st.binary(max_size=48)).map(lambda pair: pair[0] + pair[1])
    return st.lists(one, min_size=1, max_size=12)


def _same_as_tcpdump(packets: list[Layer]) -> None:
    lines = [
        line for line in tcpdump_of([bytes(packet.build()) for packet in packets]) if not line[:1].isspace()
    ]
    assert [packet.summary() for packet in packets] == lines


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads(_HEADS["vrrp"]), st.sampled_from([255, 254, 1]))
def test_vrrp_equals_tcpdump(payloads: list[bytes], ttl: int) -> None:
    head = Ether(src="00:00:5e:00:01:01", dst="01:00:5e:00:00:12")
    _same_as_tcpdump(
        [head / IP(src="10.0.0.1", dst="224.0.0.18", proto=112, ttl=ttl) / Raw(p) for p in payloads]
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x10", b"\x18", b"\x1c", b"\x00", b""]))
def test_aoe_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether(src="00:00:5e:00:01:01", dst="ff:ff:ff:ff:ff:ff", type=0x88A2)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x00\x00\x10\x03\x0a\x64\x01\x00", b"\x00\x03", b"\x01", b""]))
def test_hsrp_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether(src="00:00:5e:00:01:01", dst="01:00:5e:00:00:02") / IP(src="10.0.0.1", dst="224.0.0.2")
    _same_as_tcpdump([head / UDP(sport=1985, dport=1985) / Raw(p) for p in payloads])
