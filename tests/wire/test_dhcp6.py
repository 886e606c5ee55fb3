"""dhcp6.py: DHCPv6 messages and options (RFC 8415), against scapy's bytes, tshark and tcpdump.

The golden frames are the bytes scapy 2.8.0 builds for the same layers; the corpus test reads
tcpdump's own captures holding DHCPv6 with ``rawnet sniff -r`` and the installed tcpdump.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rawnet import (
    DUID_LL,
    DUID_LLT,
    UDP,
    DecodeError,
    DHCP6_Advertise,
    DHCP6_RelayForward,
    DHCP6_Reply,
    DHCP6_Solicit,
    DHCP6OptClientId,
    DHCP6OptDNSDomains,
    DHCP6OptDNSServers,
    DHCP6OptElapsedTime,
    DHCP6OptIA_NA,
    DHCP6OptIA_PD,
    DHCP6OptIAAddress,
    DHCP6OptIAPrefix,
    DHCP6OptOptReq,
    DHCP6OptRapidCommit,
    DHCP6OptRelayMsg,
    DHCP6OptServerId,
    DHCP6OptStatusCode,
    DHCP6OptUnknown,
    Ether,
    IPv6,
    LimitError,
    Raw,
    TruncatedError,
    Undecoded,
)
from rawnet.wire.dhcp6 import DHCP6
from rawnet.wire.layer import Layer
from tests.oracle import tcpdump_lines, tshark_layers

needs_tshark = pytest.mark.tshark  # an oracle test: tshark must be installed (make test does it)
needs_tcpdump = pytest.mark.tcpdump  # an oracle test: tcpdump must be installed (make test does it)

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"


def solicit() -> Layer:
    return (
        DHCP6_Solicit(trid=0x123456)
        / DHCP6OptClientId(duid=DUID_LLT(timeval=1000, lladdr="00:01:02:03:04:05"))
        / DHCP6OptElapsedTime(elapsedtime=5)
        / DHCP6OptIA_NA(
            iaid=1, T1=10, T2=20, ianaopts=[DHCP6OptIAAddress(addr="2001:db8::1", preflft=10, validlft=20)]
        )
        / DHCP6OptOptReq()
        / DHCP6OptRapidCommit()
    )


def relay() -> Layer:
    return DHCP6_RelayForward(hopcount=1, linkaddr="2001:db8::1", peeraddr="fe80::1") / DHCP6OptRelayMsg(
        message=DHCP6_Solicit(trid=5) / DHCP6OptElapsedTime()
    )


def reply() -> Layer:
    return (
        DHCP6_Reply(trid=7)
        / DHCP6OptServerId(duid=DUID_LL(lladdr="00:01:02:03:04:05"))
        / DHCP6OptIA_PD(iaid=2, iapdopt=[DHCP6OptIAPrefix(plen=56, prefix="2001:db8:1::")])
        / DHCP6OptDNSServers(dnsservers=["2001:db8::53"])
        / DHCP6OptDNSDomains(dnsdomains=["example.com"])
        / DHCP6OptStatusCode(statuscode=0, statusmsg="ok")
    )


# What scapy 2.8.0 builds for the same layers (bytes(DHCP6_Solicit(trid=0x123456) / ...)).
GOLDEN = {
    "solicit": (
        solicit,
        "011234560001000e00010001000003e800010203040500080002000500030028000000010000000a00000014"
        "0005001820010db80000000000000000000000010000000a000000140006000400170018000e0000",
    ),
    "relay": (
        relay,
        "0c0120010db8000000000000000000000001fe8000000000000000000000000000010009000a01000005000800020000",
    ),
    "reply": (
        reply,
        "070000070002000a0003000100010203040500190029000000020000000000000000001a00190000000000000000"
        "3820010db80001000000000000000000000017001020010db80000000000000000000000530018000d076578616d"
        "706c6503636f6d00000d000400006f6b",
    ),
}


def frame(message: Layer, sport: int = 546, dport: int = 547) -> Layer:
    return Ether() / IPv6(src="fe80::1", dst="ff02::1:2") / UDP(sport=sport, dport=dport) / message


@pytest.mark.parametrize("name", list(GOLDEN))
def test_builds_scapys_bytes_and_decodes_them_back(name: str) -> None:
    build, wire = GOLDEN[name]
    assert bytes(build()).hex() == wire
    decoded = DHCP6.decode(bytes.fromhex(wire))
    assert bytes(decoded).hex() == wire
    assert decoded.verify() == []
    assert [type(layer) for layer in decoded.layers()] == [type(layer) for layer in build().layers()]


def test_decoded_fields_read_as_scapys() -> None:
    message = DHCP6.decode(bytes(solicit()))
    assert isinstance(message, DHCP6_Solicit) and message.msgtype == 1 and message.trid == 0x123456
    assert message[DHCP6OptClientId].duid.lladdr == "00:01:02:03:04:05"
    assert message[DHCP6OptClientId].duid.timeval == 1000
    (address,) = message[DHCP6OptIA_NA].ianaopts
    assert isinstance(address, DHCP6OptIAAddress) and address.addr == "2001:db8::1" and address.validlft == 20
    assert message[DHCP6OptOptReq].reqopts == [23, 24]
    assert message[DHCP6OptIA_NA].optlen == 40
    answer = DHCP6.decode(bytes(reply()))
    assert answer[DHCP6OptDNSDomains].dnsdomains == ["example.com."]
    assert answer[DHCP6OptStatusCode].statusmsg == b"ok"
    relayed = DHCP6.decode(bytes(relay()))[DHCP6OptRelayMsg].message
    assert isinstance(relayed, DHCP6_Solicit) and relayed.trid == 5
    assert isinstance(relayed.payload, DHCP6OptElapsedTime)


def test_unknown_and_misfit_options_stay_raw() -> None:
    wire = bytes(DHCP6_Advertise()) + bytes.fromhex("03e7000378797a0007000201ff")  # code 999; PREFERENCE of 2
    message = DHCP6.decode(wire)
    options = message.layers()[1:]
    assert [type(option) for option in options] == [DHCP6OptUnknown, DHCP6OptUnknown]
    assert options[0].data == b"xyz" and options[1].data == b"\x01\xff"
    assert bytes(message) == wire


@pytest.mark.parametrize(
    "options",
    [
        "0001000a0003",  # a client ID of 10 bytes with 2 there
        "000300",  # half an option header
        "0003000c0000000100000000000000000005001c",  # an IA_NA whose address runs past it
    ],
)
def test_an_option_running_past_the_end_is_a_decode_error(options: str) -> None:
    wire = bytes(DHCP6_Solicit()) + bytes.fromhex(options)
    with pytest.raises(TruncatedError):
        DHCP6.decode(wire)
    assert isinstance(DHCP6.decode(wire, lenient=True).layers()[-1], Undecoded)


def test_deep_relay_nesting_is_a_limit_error_not_a_hang() -> None:
    wire = bytes(DHCP6_Solicit())
    for _ in range(1000):  # (written as bytes: building it would nest as deep)
        wire = bytes(DHCP6_RelayForward()) + (9).to_bytes(2, "big") + len(wire).to_bytes(2, "big") + wire
    with pytest.raises(LimitError):
        DHCP6.decode(wire)
    assert isinstance(
        Ether.decode(bytes(frame(Raw(load=wire), 547, 547)), lenient=True).layers()[-1], Undecoded
    )


@needs_tshark
def test_tshark_reads_the_built_messages() -> None:
    relayed = DHCP6_RelayForward(linkaddr="2001:db8::1", peeraddr="fe80::1") / DHCP6OptRelayMsg(
        message=solicit()
    )  # (hop count 0: tshark wants the innermost relay's to be 0)
    frames = [bytes(frame(solicit())), bytes(frame(reply(), 547, 546)), bytes(frame(relayed, 547, 547))]
    first, second, third = tshark_layers(frames)
    for layers in (first, second, third):
        assert "_ws.expert" not in str(layers)
    inner = third["dhcpv6"]["dhcpv6.option.type_str_tree"]["dhcpv6"]
    assert inner["dhcpv6.msgtype"] == "1" and inner["dhcpv6.xid"] == "0x123456"
    dhcpv6 = first["dhcpv6"]
    assert dhcpv6["dhcpv6.msgtype"] == "1" and dhcpv6["dhcpv6.xid"] == "0x123456"
    trees = dhcpv6["dhcpv6.option.type_str_tree"]
    assert trees[0]["dhcpv6.duidllt.link_layer_addr"] == "00:01:02:03:04:05"
    assert trees[1]["dhcpv6.elapsed_time"] == "50"  # (tshark: milliseconds)
    assert trees[2]["dhcpv6.iaid.t1"] == "10"
    assert trees[2]["dhcpv6.option.type_str_tree"]["dhcpv6.iaaddr.ip"] == "2001:db8::1"
    assert trees[3]["dhcpv6.requested_option_code"] == ["23", "24"]
    other = second["dhcpv6"]["dhcpv6.option.type_str_tree"]
    assert other[1]["dhcpv6.option.type_str_tree"]["dhcpv6.iaprefix.pref_len"] == "56"
    assert other[2]["dhcpv6.dns_server"] == "2001:db8::53"
    assert other[4]["dhcpv6.status_msg"] == "ok"


@needs_tcpdump
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msgtype=st.integers(0, 255), body=st.binary(max_size=40), cut=st.integers(0, 60), server=st.booleans())
def test_random_messages_summary_is_tcpdumps(msgtype: int, body: bytes, cut: int, server: bool) -> None:
    data = (bytes((msgtype,)) + b"\x00\x00\x01" + body)[:cut]
    wire = bytes(frame(Raw(load=data), *((547, 546) if server else (546, 547))))
    assert Ether.decode(wire, lenient=True).summary() == tcpdump_lines([wire])[0]


@needs_tcpdump
def test_built_messages_summary_is_tcpdumps() -> None:
    frames = [bytes(frame(solicit())), bytes(frame(reply(), 547, 546)), bytes(frame(relay(), 547, 547))]
    assert [Ether.decode(wire).summary() for wire in frames] == tcpdump_lines(frames)


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for prefix in (b"", bytes(DHCP6_Solicit()), bytes(DHCP6_RelayForward())):
        with contextlib.suppress(DecodeError):
            DHCP6.decode(prefix + data)


def _captures() -> list[str]:
    names = sorted(path.name for path in CORPUS.iterdir() if path.suffix in (".pcap", ".pcapng"))
    return [name for name in names if name.startswith(("dhcp6", "dhcpv6", "dhcpv4v6"))]


def _lines(command: list[str], capture: Path) -> list[str]:
    run = subprocess.run([*command, "-r", str(capture)], capture_output=True, text=True, check=False)
    return run.stdout.splitlines()


@needs_tcpdump
@pytest.mark.parametrize("verbose", ["", "-v", "-vv"])
@pytest.mark.parametrize("capture", _captures())
def test_corpus_lines_equal_tcpdumps(capture: str, verbose: str) -> None:
    """Every DHCPv6 packet of tcpdump's captures: rawnet sniff's line is tcpdump's (-v: its options)."""
    path = CORPUS / capture
    options = [verbose] if verbose else []
    want = _lines(["tcpdump", "-n", *options], path)
    got = _lines([sys.executable, "-m", "rawnet", "sniff", *options], path)
    mine = [line for line in got if " dhcp6 " in line]
    assert mine
    assert mine == [line for line in want if " dhcp6 " in line]


def _option(code: int, body: bytes) -> bytes:
    return code.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


_BODIES = st.one_of(
    st.tuples(
        st.sampled_from([1, 2]),
        st.sampled_from(
            [b"\0\1\0\1" + bytes(10), b"\0\2" + bytes(12), b"\0\3\0\1" + bytes(6), b"\0\4" + bytes(16), b"\0"]
        ),
    ),
    st.tuples(st.sampled_from([3, 4, 5, 25, 26]), st.binary(max_size=40)),
    st.tuples(
        st.sampled_from([6, 7, 8, 13, 14, 18, 19, 20, 23, 31, 32, 37, 41, 56, 64, 112]),
        st.binary(max_size=20),
    ),
    st.tuples(st.just(24), st.sampled_from([b"\3voo\2be\0", b"\3foo\0\0", b"\5ab"])),
    st.tuples(st.integers(0, 300), st.binary(max_size=8)),
    st.tuples(st.sampled_from([11, 44, 45, 47]), st.binary(min_size=10, max_size=50)),
    st.tuples(st.just(11), st.sampled_from([bytes((2, 1, 0)) + bytes(8 + n) for n in (0, 5, 20, 23)])),
    st.tuples(
        st.just(11),
        st.sampled_from([bytes((3, 1, 0)) + bytes(8) + bytes((k,)) + bytes(16) for k in (1, 2, 3)]),
    ),
)


@needs_tcpdump
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    msgtype=st.sampled_from([1, 2, 3, 7, 11, 12, 13]),
    options=st.lists(_BODIES, max_size=5),
    cut=st.integers(0, 8),
)
def test_verbose_summary_is_tcpdumps(msgtype: int, options: list[tuple[int, bytes]], cut: int) -> None:
    header = bytes((msgtype,)) + (bytes(33) if msgtype in (12, 13) else b"\0\0\1")
    data = header + b"".join(_option(code, body) for code, body in options)
    data = data[: len(data) - cut] if cut < len(data) else data
    wire = bytes(frame(Raw(load=data)))
    assert Ether.decode(wire, lenient=True).summary(verbose=1) == tcpdump_lines([wire], 1, "-v")[0]
