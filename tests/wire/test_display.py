"""display.py: the field trees of show() and show2(), and hexdump().

show() displays the packet as it stands, lengths and checksums left to the build as None
(scapy's show()); show2() what goes on the wire, computed fields filled in (their values
checked here with the RFC 1071 loop of test_checksum and plain arithmetic). Neither changes
the packet. The layouts are scapy's: blocks with fields three columns further in per layer,
names in ten columns; hexdump: offset, 16 hex bytes, printable ASCII.
"""

from __future__ import annotations

import re

import pytest

from rawnet import IP, TCP, UDP, Dot1Q, Ether, hexdump
from rawnet.wire.layer import Layer
from tests.wire.test_checksum import reference_checksum

MAC1, MAC2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
SRC, DST = "198.18.0.1", "198.18.0.2"


def packet() -> Layer:
    return (
        Ether(src=MAC1, dst=MAC2)
        / IP(src=SRC, dst=DST, flags="DF")
        / TCP(sport=51234, dport=443, flags="SA", options=[("MSS", 1460)])
        / b"hi"
    )


def field_lines(text: str, layer: str) -> dict[str, str]:
    """The ``name = value`` lines of one ``###[ layer ]###`` block."""
    block = text.split(f"###[ {layer} ]###\n", 1)[1].split("###[", 1)[0]
    pairs = (line.split(" = ", 1) for line in block.splitlines() if " = " in line)
    return {name.strip(): value for name, value in pairs}


def test_show_leaves_lengths_and_checksums_to_the_build_and_reads_next_numbers() -> None:
    text = packet().show(dump=True)
    assert text is not None
    ip, tcp = field_lines(text, "IP"), field_lines(text, "TCP")
    assert ip["ihl"] == ip["len"] == ip["chksum"] == tcp["dataofs"] == tcp["chksum"] == "None"
    assert ip["proto"] == "tcp (6)" and field_lines(text, "Ether")["type"] == "IPv4 (0x800)"


def test_show2_fills_in_computed_fields() -> None:
    text = packet().show2(dump=True)
    assert text is not None
    wire = bytes(packet())
    ip_header, segment = wire[14:34], wire[34:]
    pseudo = bytes([198, 18, 0, 1, 198, 18, 0, 2, 0, 6]) + len(segment).to_bytes(2, "big")
    ether, ip, tcp = field_lines(text, "Ether"), field_lines(text, "IP"), field_lines(text, "TCP")
    assert ether["type"] == "IPv4 (0x800)"
    assert ip["ihl"] == "5" and ip["len"] == str(20 + 24 + 2) and ip["proto"] == "tcp (6)"
    chksum = int(ip["chksum"], 16)
    assert reference_checksum(ip_header[:10] + chksum.to_bytes(2, "big") + ip_header[12:]) == 0
    assert tcp["dataofs"] == "6"
    assert reference_checksum(pseudo + segment) == 0 and int(tcp["chksum"], 16) == int.from_bytes(
        segment[16:18]
    )
    assert ip["flags"] == "DF (0x2)" and tcp["flags"] == "SA (0x12)"
    assert ip["src"] == SRC and ether["dst"] == MAC2
    assert tcp["options"] == "[('MSS', 1460)]"
    assert field_lines(text, "Raw")["load"] == "b'hi'"


def test_show_does_not_change_the_packet() -> None:
    built = packet()
    before = repr(built)
    built.show(dump=True)
    built.show2(dump=True)
    assert repr(built) == before and built[IP].chksum is None and built[TCP].dataofs is None


def test_show_prints_the_same_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert packet().show() is None
    assert capsys.readouterr().out == packet().show(dump=True) + "\n"


def test_show_displays_a_value_set_by_the_user_as_set() -> None:
    text = (IP(src=SRC, dst=DST, chksum=0x1234) / UDP(sport=1, dport=2, chksum=0)).show(dump=True)
    assert text is not None
    assert field_lines(text, "IP")["chksum"] == "0x1234" and field_lines(text, "UDP")["chksum"] == "0x0"


def test_show_layout_one_block_per_layer_values_aligned() -> None:
    text = (Ether(src=MAC1, dst=MAC2) / Dot1Q(vlan=7) / IP(src=SRC, dst=DST) / UDP()).show(dump=True)
    assert text is not None
    headers = re.findall(r"^###\[ (\w+) \]###$", text, flags=re.MULTILINE)
    assert headers == ["Ether", "Dot1Q", "IP", "UDP"]
    for depth, block in enumerate(text.split("###[")[1:]):
        columns = {line.index("= ") for line in block.splitlines()[1:]}
        assert columns == {2 + 3 * depth + 10}  # scapy's: three columns in per layer, names in ten
    assert field_lines(text, "Dot1Q") == {"prio": "0", "dei": "0", "vlan": "7", "type": "IPv4 (0x800)"}


def test_show_displays_padding_and_unknown_numbers() -> None:
    wire = bytes(IP(src=SRC, dst=DST, proto=253) / b"x") + b"\xaa\xbb"
    decoded = IP.decode(wire)
    text = decoded.show(dump=True)
    assert text is not None
    lines = field_lines(text, "IP")
    assert lines["padding"] == "b'\\xaa\\xbb'"
    assert lines["proto"] == "unknown_253 (253)"
    assert lines["flags"] == "0"


# -- hexdump ------------------------------------------------------------------------------

DATA = b"GET / HTTP/1.1\r\n" + b"\x00\x7f\x80 ~"
# scapy's hexdump(DATA, dump=True): 4 hex digits of offset, two spaces, 16 bytes as "XX " (47 columns for a
# full line), two spaces, the bytes 0x20..0x7e as themselves and every other byte as ".".
EXPECTED = (
    "0000  47 45 54 20 2F 20 48 54 54 50 2F 31 2E 31 0D 0A  GET / HTTP/1.1..\n"
    "0010  00 7F 80 20 7E                                   ... ~"
)


def test_hexdump_layout() -> None:
    assert hexdump(DATA, dump=True) == EXPECTED


def test_hexdump_prints_the_same_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert hexdump(DATA) is None
    assert capsys.readouterr().out == EXPECTED + "\n"


def test_hexdump_of_a_packet_is_the_hexdump_of_its_bytes() -> None:
    assert hexdump(packet(), dump=True) == hexdump(bytes(packet()), dump=True)
    assert hexdump(bytearray(DATA), dump=True) == EXPECTED


@pytest.mark.parametrize(
    ("size", "lines", "last"), [(0, 0, None), (16, 1, "0000"), (17, 2, "0010"), (70, 5, "0040")]
)
def test_hexdump_line_count_and_offsets(size: int, lines: int, last: str | None) -> None:
    text = hexdump(bytes(range(size)), dump=True)
    assert text is not None
    rows = text.splitlines()
    assert len(rows) == lines
    if last is not None:
        assert rows[-1].startswith(last + "  ")
        assert all(len(row) == 4 + 2 + 47 + 2 + 16 for row in rows[:-1])
