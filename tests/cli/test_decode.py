"""rawnet decode, end to end; tshark, tcpdump, xxd and hexdump judge."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from rawnet.net.pcap import wrpcap
from rawnet.wire import IP, TCP, UDP, Ether, IPv6
from tests.cli.conftest import RAWNET, assert_one_line_error, json_lines, rawnet

MAC_A, MAC_B = "02:00:00:00:00:01", "02:00:00:00:00:02"


FRAMES = {
    "tcp good": Ether(dst=MAC_B, src=MAC_A)
    / IP(src="198.18.1.1", dst="198.18.1.2")
    / TCP(sport=40000, dport=80, flags="S")
    / b"hi",
    "ip and tcp bad": Ether(dst=MAC_B, src=MAC_A)
    / IP(src="198.18.1.1", dst="198.18.1.2", chksum=0x1234)
    / TCP(sport=40000, dport=80, flags="PA", chksum=0xDEAD)
    / b"GET /",
    "udp bad": Ether(dst=MAC_B, src=MAC_A)
    / IP(src="198.18.1.1", dst="198.18.1.2")
    / UDP(sport=5, dport=9, chksum=0xBEEF)
    / b"x",
    "udp6 bad": Ether(dst=MAC_B, src=MAC_A)
    / IPv6(src="2001:db8:1::1", dst="2001:db8:1::2")
    / UDP(sport=5, dport=9, chksum=0x0BAD)
    / b"six",
    "tcp6 good": Ether(dst=MAC_B, src=MAC_A)
    / IPv6(src="2001:db8:1::1", dst="2001:db8:1::2")
    / TCP(sport=1, dport=2, flags="S"),
}


@pytest.fixture(scope="module")
def frames_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("decode") / "frames.pcap"
    wrpcap(path, list(FRAMES.values()))
    return path


def tshark_checksums(path: Path) -> list[dict[str, tuple[str, str]]]:
    """tshark's verdict per frame: {"ip"/"tcp"/"udp": (status "good"/"bad", calculated value)}."""
    fields = ["ip", "tcp", "udp"]
    argv = ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=\t"]
    for proto in fields:
        argv += ["-o", f"{proto}.check_checksum:TRUE", "-e", f"{proto}.checksum.status"]
        argv += ["-e", f"{proto}.checksum_calculated"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    verdicts = []
    for line in out.splitlines():
        values = line.split("\t")
        frame = {}
        for index, proto in enumerate(fields):
            status, calculated = values[2 * index], values[2 * index + 1]
            if status:
                frame[proto] = ({"1": "good", "0": "bad"}[status], calculated)
        verdicts.append(frame)
    return verdicts


def rawnet_checksums(packet: dict[str, object]) -> dict[str, tuple[str, str]]:
    layers = packet["layers"]
    assert isinstance(layers, list)
    names = {"IP": "ip", "IPv6": "ipv6", "TCP": "tcp", "UDP": "udp"}
    verdicts = {}
    for layer in layers:
        check = layer.get("checks", {}).get("chksum")
        if layer["layer"] in names and check is not None:
            expected = check.get("expected", check["value"])
            verdicts[names[layer["layer"]]] = (check["status"], f"0x{expected:04x}")
    return verdicts


def test_decode_tells_good_and_bad_checksums_as_tshark_does(frames_file: Path) -> None:
    verdicts = tshark_checksums(frames_file)
    assert [set(v) for v in verdicts] == [{"ip", "tcp"}, {"ip", "tcp"}, {"ip", "udp"}, {"udp"}, {"tcp"}]
    assert verdicts[1]["ip"][0] == verdicts[1]["tcp"][0] == "bad"  # tshark agrees they are bad
    from_file = json_lines(rawnet(None, "", "decode", "-r", str(frames_file), "--json").stdout)
    assert len(from_file) == len(FRAMES)
    for name, verdict, packet in zip(FRAMES, verdicts, from_file, strict=True):
        assert rawnet_checksums(packet) == verdict, name
    for index in (1, 3):  # the same from hex
        result = rawnet(None, "", "decode", bytes(list(FRAMES.values())[index]).hex(), "--json")
        assert result.returncode == 0, result.stderr
        (from_hex,) = json_lines(result.stdout)
        assert rawnet_checksums(from_hex) == verdicts[index]
        assert from_hex["layers"] == from_file[index]["layers"]
    text = rawnet(None, "", "decode", bytes(FRAMES["ip and tcp bad"]).hex()).stdout
    ip_right, tcp_right = verdicts[1]["ip"][1], verdicts[1]["tcp"][1]
    assert re.search(rf"^ +chksum +=  ?0x1234 \(bad, should be {ip_right}\)$", text, re.M), text
    assert re.search(rf"^ +chksum += 0xdead \(bad, should be {tcp_right}\)$", text, re.M), text
    good = rawnet(None, "", "decode", bytes(FRAMES["tcp good"]).hex()).stdout
    assert good.count("(good)") == 2 and "bad" not in good


def test_decode_takes_hex_in_every_usual_form() -> None:
    frame = bytes(FRAMES["udp bad"])
    single = json_lines(rawnet(None, "", "decode", frame.hex(), "--json").stdout)
    for form in (frame.hex(":"), frame.hex(" ", 2)):  # as arguments
        assert json_lines(rawnet(None, "", "decode", "--json", *form.split(" ")).stdout) == single, form
    lines = "\n".join(f"0x{byte:02x}" for byte in frame)  # on stdin
    assert json_lines(rawnet(None, "", "decode", "--json", input=lines).stdout) == single


def test_decode_takes_hexdumps_with_offsets(frames_file: Path, tmp_path: Path) -> None:
    frame = bytes(FRAMES["udp bad"])
    single = json_lines(rawnet(None, "", "decode", frame.hex(), "--json").stdout)
    # several packets: tcpdump -xx and rawnet sniff -xx (from Ethernet)
    for argv in (
        ["tcpdump", "-xx", "-nn", "-r", str(frames_file)],
        [*RAWNET, "sniff", "-xx", "-r", str(frames_file)],
    ):
        dump = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        decoded = json_lines(rawnet(None, "", "decode", "--json", input=dump).stdout)
        assert [packet["length"] for packet in decoded] == [len(bytes(f)) for f in FRAMES.values()]
        assert decoded[2]["layers"] == single[0]["layers"]
    # xxd and hexdump -C of the bytes (hexdump -C: a double space mid-row, text between bars)
    binary = tmp_path / "frame.bin"
    binary.write_bytes(frame + b"|ab|")  # bars in the text column too
    with_bars = json_lines(rawnet(None, "", "decode", "--json", (frame + b"|ab|").hex()).stdout)
    for argv in (["xxd", str(binary)], ["hexdump", "-C", str(binary)]):
        dump = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        assert json_lines(rawnet(None, "", "decode", "--json", input=dump).stdout) == with_bars, argv
    # tcpdump -x starts at the IP header: the guess starts there too
    dump = subprocess.run(["tcpdump", "-x", "-r", str(frames_file)], capture_output=True, text=True).stdout
    decoded = json_lines(rawnet(None, "", "decode", "--json", input=dump).stdout)
    assert [packet["layers"][0]["layer"] for packet in decoded] == ["IP", "IP", "IP", "IPv6", "IPv6"]
    assert decoded[2]["layers"] == single[0]["layers"][1:]


def test_decode_shows_what_decoded_and_the_rest_with_the_reason() -> None:
    cut = bytes(FRAMES["tcp good"])[:30]
    result = rawnet(None, "", "decode", cut.hex(), "--json")
    assert result.returncode == 0, result.stderr
    (packet,) = json_lines(result.stdout)
    assert [layer["layer"] for layer in packet["layers"]] == ["Ether", "Undecoded"]
    undecoded = packet["layers"][1]["fields"]
    assert undecoded["load"] == cut[14:].hex() and "ipv4 at offset 14" in undecoded["reason"]
    text = rawnet(None, "", "decode", "--link", "ether", cut.hex()).stdout
    assert "###[ Undecoded ]###" in text and "the header needs 20" in text


def test_bad_hex_is_one_line_and_exit_2() -> None:
    assert_one_line_error(rawnet(None, "", "decode", "45zz"), 2, "not hex")
    assert_one_line_error(rawnet(None, "", "decode", "450"), 2, "odd number")
    assert_one_line_error(rawnet(None, "", "decode", input=""), 2, "no hex")
    assert_one_line_error(rawnet(None, "", "decode", "--link", "fddi", "00"), 2, "fddi")
