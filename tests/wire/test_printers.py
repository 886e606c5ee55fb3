"""tcpdump's text for what rawnet does not decode (wire/printers/__init__.py, printers/llc.py and
tcpdump.py's fallbacks): unknown EtherTypes with the frame's wire length and ": ", 802.2 LLC
frames, against the installed tcpdump on tcpdump's own captures."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rawnet.wire import IP, TCP, UDP, Ether, IPv6, Layer, Raw, printers
from rawnet.wire.printers import About, Cut, number, run, take
from tests.oracle import LINKTYPE_ETHERNET
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
    ("bcm-li.pcap", "BCM-LI"),
    ("bfd-raw-auth-sha1.pcap", "BFD"),
    ("bfd-raw-auth-simple.pcap", "BFD"),
    ("OSPFv2_Capture_FINAL.pcapng", "OSPFv2"),
    ("ipv6_mobility_1.pcap", "mobility"),
    ("mobility_opt_asan.pcap", "mobility"),
    ("sflow_multiple_counter_30_pdus.pcap", "sFlow"),
    ("sflow-print-v6.pcap", "sFlow"),
    ("ssh.pcap", "SSH"),
    ("bgp-4byte-asn.pcap", "BGP"),
    ("spb.pcap", "IS-IS"),
    ("ISIS_external_lsp.pcap", "IS-IS"),
    ("spb_bpduv4.pcap", "STP"),
    ("802.1w_rapid_STP.pcap", "STP"),
    ("stp-v4-length-sigsegv.pcap", "STP"),
    ("babel.pcap", "babel"),
    ("babel.pcap", "AHCP"),
    ("babel_rfc6126bis.pcap", "babel"),
    ("babel_rtt.pcap", "babel"),
    ("PIM-DM_pruning.pcap", "PIMv2"),
    ("PIMv2_hellos.pcap", "PIMv2"),
    ("tftp.pcap", "TFTP"),
    ("syslog_udp.pcap", "SYSLOG"),
    ("someip1.pcap", "SOMEIP"),
    ("DECnet_Phone.pcap", ""),
    ("arista_ether.pcap", ": IP "),  # (the MPLS ones wait for an MPLS layer)
    ("resp_2_inline.pcap", "RESP"),
    ("resp_4_infiniteloop.pcapng", "RESP"),
    ("EIGRP_subnet_down.pcap", "EIGRP"),
    ("EIGRP_ipv6.pcap", "EIGRP"),
    ("ripv1v2.pcap", "RIP"),
    ("LACP.pcap", "LACP"),
]
# (capture, TESTLIST output, a word of the lines checked): where the installed tcpdump (4.99.3)
# prints otherwise than the newer one that wrote the outputs, the outputs are the oracle.
_EXPECTED = [
    ("babel_update_oobr.pcap", "babel_update_oobr.out", "kerberos"),
    ("bfd-lag.pcap", "bfd-lag.out", "BFD"),  # (4.99.3 says "Lag")
    ("ptp.pcap", "ptp.out", "PTP"),  # (4.99.3 words PTP otherwise)
    ("ptp_corrections.pcap", "ptp_corrections.out", "PTP"),
    ("ptp_management.pcap", "ptp_management.out", "PTP"),
    ("ptp_v2_1.pcap", "ptp_v2_1.out", "PTP"),
    ("esp_truncated.pcap", "esp_truncated.out", "ESP"),
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
    frames = [bytes(packet.build()) for packet in packets]
    lines = [
        line
        for line in tcpdump_of(frames, LINKTYPE_ETHERNET, "-S")
        if line and not line.startswith(("\t", "    "))
    ]
    assert [packet.summary() for packet in packets] == lines


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads(_HEADS["vrrp"]), st.sampled_from([255, 254, 1]))
def test_vrrp_equals_tcpdump(payloads: list[bytes], ttl: int) -> None:
    head = Ether(src="00:00:5e:00:01:01", dst="01:00:5e:00:00:12")
    _same_as_tcpdump(
        [head / IP(src="198.18.0.1", dst="224.0.0.18", proto=112, ttl=ttl) / Raw(p) for p in payloads]
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x10", b"\x18", b"\x1c", b"\x00", b""]))
def test_aoe_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether(src="00:00:5e:00:01:01", dst="ff:ff:ff:ff:ff:ff", type=0x88A2)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


def test_tftp_errors_are_named_as_tcpdump_names_them() -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=40000, dport=69)
    _same_as_tcpdump([head / Raw(b"\x00\x05" + code.to_bytes(2, "big") + b"no\x00") for code in range(10)])


def test_aoe_flags_are_named_as_tcpdump_names_them() -> None:
    head = Ether(src="00:00:5e:00:01:01", dst="ff:ff:ff:ff:ff:ff", type=0x88A2)
    _same_as_tcpdump([head / Raw(bytes([0x10 | flags]) + bytes(28)) for flags in range(16)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x00\x00\x10\x03\x0a\x64\x01\x00", b"\x00\x03", b"\x01", b""]))
def test_hsrp_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether(src="00:00:5e:00:01:01", dst="01:00:5e:00:00:02") / IP(src="198.18.0.1", dst="224.0.0.2")
    _same_as_tcpdump([head / UDP(sport=1985, dport=1985) / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x20\x40\x03\x18", b"\x20\xc4", b"\x00", b""]), st.sampled_from([3784, 4784, 3785, 1234]))
def test_bfd_equals_tcpdump(payloads: list[bytes], port: int) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2")
    _same_as_tcpdump([head / UDP(sport=49153, dport=port) / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x60\x20\x00\x00", b"\x40\x00\x00\x00", b""]))
def test_bcm_li_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2")
    _same_as_tcpdump([head / UDP(sport=49152, dport=49153) / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x02\x01\x00\x2c" + bytes(10) + b"\x00\x02\x00\x00\x01\x10", b"\x02\x04", b"\x02", b""]))
def test_ospf_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="224.0.0.5", proto=89, ttl=1)
    head6 = Ether() / IPv6(src="fe80::1", dst="ff02::5", nh=89, hlim=1)
    _same_as_tcpdump([top / Raw(p) for p in payloads for top in (head, head6)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x00\x00\x12\x34\x00\x00\x00\x01\x00"]))  # (4.99.3 cuts an 8-byte one)
def test_esp_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2", proto=50)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _payloads([b"\x00\x01\x00\x26\x0a\x00\x00\x01\x00\x00", b"\x00\x02\x00\x02", b"\x00\x01\x00\x02", b""])
)
def test_ldp_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="224.0.0.2") / UDP(sport=646, dport=646)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _payloads(
        [b"\x00\x00\x00\x05\x00\x00\x00\x01" + bytes(20), b"\x00\x00\x00\x05\x00\x00\x00\x02" + bytes(20)]
    )
)
def test_sflow_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=40000, dport=6343)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _payloads(
        [
            b"\x3b\x01\x05\x00\x00\x00",
            b"\x3b\x01\x06\x00\x00\x00",
            b"\x3b\x02\x07\x00\x00\x00",
            b"\x3b\x02\x04",
            b"",
        ]
    )
)
def test_mobility_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IPv6(src="2001:db8::1", dst="2001:db8::2", nh=135)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"SSH-2.0-", b"SSH-", b"\x00"]))
def test_ssh_and_bgp_equal_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2")
    packets = [
        head / TCP(sport=40000, dport=port, flags="PA") / Raw(p) for p in payloads for port in (22, 179)
    ]
    _same_as_tcpdump([packet for packet in packets if len(packet[TCP].payload.build())])


def _llc(sap: int, body: bytes) -> Layer:
    frame = Ether(src="00:00:5e:00:01:01", dst="01:80:c2:00:00:00", type=3 + len(body))
    return frame / Raw(bytes((sap, sap, 0x03)) + body)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _payloads([b"\x00\x00\x02\x02", b"\x00\x00\x00\x00", b"\x00\x00\x03\x02" + bytes(32), b"\x00\x00\x80"])
)
def test_stp_equals_tcpdump(payloads: list[bytes]) -> None:
    _same_as_tcpdump([_llc(0x42, p) for p in payloads])


_ISIS_HEADERS = [
    b"\x83\x14\x01\x00\x11\x01\x00\x00",
    b"\x83\x1b\x01\x06\x12\x01\x00\x03",
    b"\x83\x21\x01\x00\x18\x01",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([*_ISIS_HEADERS, b"\x83\x1b\x01\x00\x0f\x01\x00\x00", b"\x83", b"\x84"]))
def test_isis_equals_tcpdump(payloads: list[bytes]) -> None:
    _same_as_tcpdump([_llc(0xFE, p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x20", b"\x21", b"\x10", b""]))
def test_pim_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="224.0.0.13", proto=103, ttl=1)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _payloads([b"\x00\x01f\x00octet\x00", b"\x00\x02", b"\x00\x03", b"\x00\x05\x00", b"\x00\x06", b"\x00"])
)
def test_tftp_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=40000, dport=69)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"<13>", b"<1", b"<191>", b"<", b""]))
def test_syslog_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=40000, dport=514)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x2a\x02\x00\x08\x04\x06", b"\x2a\x02\x00\x02\x00\x00", b"\x2a\x02", b"\x2b\x01"]))
def test_babel_and_ahcp_equal_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IPv6(src="fe80::1", dst="ff02::1:6")
    _same_as_tcpdump([head / UDP(sport=port, dport=port) / Raw(p) for p in payloads for port in (6696, 5359)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _payloads([b"\x00\x01\x00\x00\x01\x02\x03\x00" + bytes(24), b"\x00\x02" + bytes(30), b"\x00\x01", b""])
)
def test_lspping_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="127.0.0.1") / UDP(sport=3503, dport=3503)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x00\x00\x01\x00\x00\x00", b"\x00\x00\x02\x00", b"\x08\x00", b"\x00", b""]))
def test_loopback_and_msnlb_equal_tcpdump(payloads: list[bytes]) -> None:
    frames = [Ether(type=kind) / Raw(p) for p in payloads for kind in (0x9000, 0x886F)]
    _same_as_tcpdump(frames)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\xff\xff\x81\x00\x00\x00\x00\x40\x00\x00\x00\x00\x01\x01\x02\x00", b"\x00\x01", b""]))
def test_someip_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=30490, dport=31490)
    _same_as_tcpdump([head / Raw(p) for p in payloads])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _payloads(
        [
            b"\x2c\x00\x0d\x02\x00\x00\xaa\x00\x04\x00\x01\x04\x03",
            b"\x2c\x00\x02\x01\x04\x01\x04\x00",
            b"\x10\x00\x02\x01\x04\x01\x04\x00\x04",
            b"\x10\x00\x02\x01\x04\x01\x04\x00\x18",
            b"\x10\x00\x02\x01\x04\x01\x04\x00\x60\x03\x20\x03\x20\x01\x80",
            b"\x10\x00\x81\x02",
            b"\x05\x00",
        ]
    )
)
def test_decnet_equals_tcpdump(payloads: list[bytes]) -> None:
    _same_as_tcpdump(
        [Ether(src="aa:00:04:00:01:04", dst="ab:00:00:03:00:00", type=0x6003) / Raw(p) for p in payloads]
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _payloads(
        [
            b"*2\r\n$3\r\nget\r\n$1\r\nk\r\n",
            b"+OK\r\n",
            b"$-1\r\n",
            b"*-2\r\n",
            b"ping\r\n",
            b"$9\r\nab",
            b"\r",
        ]
    )
)
def test_resp_equals_tcpdump(payloads: list[bytes]) -> None:
    head = Ether() / IP(src="198.18.0.1", dst="198.18.0.2")
    packets = [head / TCP(sport=40000, dport=6379, flags="PA") / Raw(p) for p in payloads]
    _same_as_tcpdump([packet for packet in packets if len(packet[TCP].payload.build())])


def test_resp_arrays_nested_without_bound_stop() -> None:
    data = b"*1\r\n" * 5000
    assert printers.run("resp", printers.resp.resp, data, len(data)) == "RESP [|resp]"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_payloads([b"\x02\x05", b"\x01\x01", b"\x02\x03\x00\x00", b"\x01\x02\x00\x00", b"\x02\x01"]))
def test_eigrp_rip_and_lacp_equal_tcpdump(payloads: list[bytes]) -> None:
    eigrp = Ether() / IP(src="198.18.0.1", dst="224.0.0.10", proto=88)
    rip = Ether() / IP(src="198.18.0.1", dst="224.0.0.9") / UDP(sport=520, dport=520)
    packets = [top / Raw(p) for p in payloads for top in (eigrp, rip, Ether(type=0x8809))]
    _same_as_tcpdump(packets)


_EVERY_PRINTER = [
    *printers.ETHERTYPES.values(),
    *printers.IP_PROTOCOLS.values(),
    *printers.IP6_PROTOCOLS.values(),
    *printers.UDP_PORTS.values(),
    *printers.TCP_PORTS.values(),
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_EVERY_PRINTER), st.binary(max_size=80), st.integers(0, 200), st.integers(0, 65535))
def test_printers_take_arbitrary_bytes(entry: printers.Entry, data: bytes, extra: int, port: int) -> None:
    about = printers.About(ttl=port & 0xFF, sport=port, dport=port, inner=lambda kind, body, size: "inner")
    text = printers.run(entry.name, entry.printer, data, len(data) + extra - 100, about)
    assert text is None or isinstance(text, str)
    assert printers.llc.llc_text("a", "b", data, len(data)) is not None
