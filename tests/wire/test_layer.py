"""The Layer machinery: stacking, defaults, computed fields, sets, copy, equality, errors."""

from __future__ import annotations

import copy
import functools
import operator
import pickle
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet import IP, TCP, UDP, BuildError, Ether, FieldValueError, Layer, Raw, stack


def test_stacking_copies_operands() -> None:
    base = Ether() / IP(dst="198.18.0.2")
    tcp = TCP(dport=80)
    first = base / tcp
    second = base / UDP()
    tcp.dport = 443
    assert first[TCP].dport == 80
    assert UDP in second and TCP not in second
    assert base.payload is not None and base.payload.payload is None


def test_bytes_payload_becomes_raw() -> None:
    packet = IP() / TCP() / b"abc"
    assert packet[Raw].load == b"abc"
    assert bytes(packet).endswith(b"abc")


def test_build_does_not_change_user_objects() -> None:
    packet = IP(dst="198.18.0.2") / TCP()
    bytes(packet)
    assert packet.len is None and packet.chksum is None and packet[TCP].chksum is None


def test_user_value_is_sent_as_set_even_a_wrong_checksum() -> None:
    wire = bytes(IP(dst="198.18.0.2", chksum=0x1234) / TCP(chksum=0xBEEF))
    assert wire[10:12] == b"\x12\x34"
    assert wire[36:38] == b"\xbe\xef"
    problems = IP.decode(wire).verify()
    assert {(p.layer, p.field) for p in problems} == {("ipv4", "chksum"), ("tcp", "chksum")}


def test_fixed_recomputes() -> None:
    packet = IP.decode(bytes(IP(dst="198.18.0.2", chksum=1) / UDP(chksum=2) / b"x"))
    fixed = packet.fixed()
    assert fixed.verify() == []
    assert fixed[UDP].chksum != 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TCP(dport=70000), "TCP.dport must be 0..65535, got 70000"),
        (lambda: IP(ttl=-1), "IP.ttl must be 0..255, got -1"),
        (lambda: IP(dst="300.1.1.1"), "IP.dst must be an IPv4 address, got '300.1.1.1'"),
        (lambda: TCP(flags="SX"), "TCP.flags must be flags from 'FSRPAUECN' or an int, got 'SX'"),
        (lambda: Ether(src="02:00"), "Ether.src must be"),
    ],
)
def test_invalid_values_fail_at_construction(make: object, message: str) -> None:
    with pytest.raises(FieldValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        make()  # type: ignore[operator]


def test_invalid_value_set_later_fails_at_build() -> None:
    packet = TCP()
    packet.dport = 5
    with pytest.raises(FieldValueError):
        packet.dport = 70000


def test_flags_compare_with_text_and_int() -> None:
    tcp = TCP(flags="SA")
    assert tcp.flags == "SA" and tcp.flags == 0x12 and int(tcp.flags) == 0x12 and str(tcp.flags) == "SA"
    assert TCP(flags=0x12).flags == "AS"  # order of letters does not matter
    assert "S" in tcp.flags and tcp.flags.A and not tcp.flags.F
    assert IP(flags="DF").flags == 2 and str(IP(flags=3).flags) == "MF+DF"


def test_packet_sets_iterate_every_combination() -> None:
    packets = list(IP(dst="198.18.0.0/30") / TCP(dport=[80, 443]))
    assert len(packets) == 8
    assert {(p.dst, p[TCP].dport) for p in packets} == {
        (f"198.18.0.{i}", port) for i in range(4) for port in (80, 443)
    }
    assert list(TCP(dport=range(1, 4))) != [] and len(list(TCP(dport=range(1, 4)))) == 3


def test_building_a_set_is_an_error() -> None:
    with pytest.raises(BuildError, match="holds 2 values"):
        bytes(TCP(dport=[1, 2]))


def test_copy_and_equality() -> None:
    packet = Ether() / IP(dst="198.18.0.2") / TCP(options=[("MSS", 1460)])
    clone = packet.copy()
    assert clone == packet and clone is not packet
    clone[TCP].sport = 1
    assert clone != packet


def packets_in_every_state() -> dict[str, Layer]:
    """A packet as / leaves it, built twice (it keeps its frame), decoded, and decoded then changed."""
    made = Ether() / IP(dst="198.18.0.2") / TCP(dport=80) / b"data"
    built = made.copy()
    bytes(built)
    bytes(built)
    decoded = Ether.decode(bytes(made))
    changed = Ether.decode(bytes(made))
    changed[IP].ttl = 9
    return {"made": made, "built": built, "decoded": decoded, "changed": changed}


@pytest.mark.parametrize("state", ["made", "built", "decoded", "changed"])
@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, lambda packet: pickle.loads(pickle.dumps(packet))],
    ids=["copy", "deepcopy", "pickle"],
)
def test_copies_and_pickles_are_equal_and_independent(
    state: str, duplicate: Callable[[Layer], Layer]
) -> None:
    packet = packets_in_every_state()[state]
    wire = bytes(packet)
    twin = duplicate(packet)
    assert twin == packet and bytes(twin) == wire
    twin[TCP].dport = 1  # a copy changes: the original does not (copy.copy included: scapy's is deep)
    twin[IP].ttl = 2
    assert packet[TCP].dport == 80 and bytes(packet) == wire
    assert bytes(twin) == bytes(Ether.decode(bytes(twin)))


def test_decode_round_trip_and_lookup() -> None:
    wire = bytes(Ether() / IP(dst="198.18.0.2") / TCP(dport=22) / b"data")
    decoded = Ether.decode(wire)
    assert bytes(decoded) == wire
    assert [type(layer).__name__ for layer in decoded.layers()] == ["Ether", "IP", "TCP", "Raw"]
    assert TCP in decoded and UDP not in decoded
    with pytest.raises(IndexError):
        decoded[UDP]


# -- stacking: operands are never changed or shared ---------------------------------------


def test_operands_held_anywhere_are_never_changed() -> None:
    held = [IP(dst="198.18.0.2")]
    tcp = TCP(dport=80)
    packet = Ether() / held[0] / tcp  # a container's element and a variable: both copied
    assert held[0].payload is None and tcp.payload is None
    assert packet[IP] is not held[0] and packet[TCP] is not tcp


def test_an_inner_layer_held_elsewhere_never_gets_what_is_stacked_after_it() -> None:
    kept: list[Layer] = []

    def make() -> Layer:
        stack = Ether() / IP(dst="198.18.0.2")
        kept.append(stack[IP])  # somebody keeps the inner layer...
        return stack  # ...of a stack returned as a temporary

    packet = make() / TCP()
    assert kept[0].payload is None  # the kept layer did not get the TCP appended
    assert TCP in packet and packet[IP] is not kept[0]
    right = make()[IP]
    other = Ether() / (right / UDP())
    assert right.payload is None and UDP in other


def test_operands_held_by_c_code_are_never_changed() -> None:
    # functools.partial, operator.methodcaller and map hold their arguments in C: ``/`` must not
    # take a held template for a temporary (it never judges by reference counts).
    make = functools.partial(operator.truediv, Ether() / IP(dst="198.18.0.2"))  # held by partial alone
    first, second = make(UDP()), make(UDP(dport=7))
    assert [type(layer) for layer in first.layers()] == [Ether, IP, UDP]
    assert [type(layer) for layer in second.layers()] == [Ether, IP, UDP] and second[UDP].dport == 7
    assert [type(layer) for layer in make.args[0].layers()] == [Ether, IP]
    add_tcp = operator.methodcaller("__truediv__", TCP(dport=80))  # held by methodcaller alone
    a, b = add_tcp(IP()), add_tcp(IP())
    a[TCP].dport = 1
    assert b[TCP].dport == 80 and a[TCP] is not b[TCP]
    results = list(map((Ether() / IP()).__truediv__, [UDP(), TCP(), UDP()]))  # a bound method holds it
    results[0][UDP].sport = 1
    assert results[2][UDP].sport == 53
    assert [type(result.payload.payload) for result in results] == [UDP, TCP, UDP]


def test_a_shared_template_and_its_results_stay_independent_both_ways() -> None:
    template = Ether() / IP(dst="198.18.0.2", ttl=9)
    packets = [template / UDP(sport=port) for port in (1, 2)]
    packets[0][IP].ttl = 1  # a result changes: the template and the other result do not
    assert template[IP].ttl == 9 and packets[1][IP].ttl == 9
    template[IP].ttl = 2  # the template changes: the results do not
    assert [packet[IP].ttl for packet in packets] == [1, 9]
    assert bytes(packets[1]) == bytes(Ether() / IP(dst="198.18.0.2", ttl=9) / UDP(sport=2))


@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(["left", "right", "result"]),
            st.sampled_from(["ttl", "dport", "load", "padding", "payload"]),
            st.integers(0, 255),
        ),
        max_size=8,
    )
)
def test_no_change_on_either_side_of_a_slash_reaches_the_other(changes: list[tuple[str, str, int]]) -> None:
    left = Ether() / IP(dst="198.18.0.2")
    right = UDP(dport=9) / b"data"
    result = left / right
    expected = {
        name: bytes(packet) for name, packet in (("left", left), ("right", right), ("result", result))
    }
    packets = {"left": left, "right": right, "result": result}
    for side, what, value in changes:
        packet = packets[side]
        layers = packet.layers()
        if what == "ttl" and IP in packet:
            packet[IP].ttl = value
        elif what == "dport" and UDP in packet:
            packet[UDP].dport = value
        elif what == "load" and Raw in packet:
            packet[Raw].load = bytes([value])
        elif what == "padding":
            layers[-1].padding = bytes([value])
        elif what == "payload":
            layers[-1].payload = bytes([value])
        else:
            continue
        expected[side] = packet.copy()._build(None)
        for name, other in packets.items():  # each side builds what its own changes made of it
            assert bytes(other) == expected[name]


def test_a_decoded_layer_changed_then_stacked_shares_nothing() -> None:
    decoded = Ether.decode(bytes(Ether() / IP() / TCP() / b"data"))
    segment = decoded[TCP]
    for join in (operator.truediv, stack):
        segment.seq = 1  # a decoded layer with values of its own now
        joined = join(segment, b"more")
        joined.seq = 2
        assert decoded[TCP].seq == 1 and segment.seq == 1
    segment.seq = 3
    assert joined.seq == 2 and bytes(joined)[4:8] == (2).to_bytes(4, "big")


def test_stack_is_slash_in_one_step_and_shares_nothing_either() -> None:
    ip, tcp = IP(dst="198.18.0.2"), TCP(dport=80)
    packet = stack(Ether(), ip, tcp, b"data")
    assert bytes(packet) == bytes(Ether() / IP(dst="198.18.0.2") / TCP(dport=80) / b"data")
    assert [type(layer) for layer in packet.layers()] == [Ether, IP, TCP, Raw]
    tcp.dport = 443  # an operand changes: the packet does not, and the other way round
    packet[IP].ttl = 1
    assert packet[TCP].dport == 80 and ip.ttl == 64 and ip.payload is None
    decoded = Ether.decode(bytes(Ether() / IP() / UDP() / b"x"))
    assert bytes(stack(decoded, b"y")) == bytes(decoded / b"y")  # after a decoded tail, as / does
    assert bytes(stack(Ether(), decoded[IP])) == bytes(Ether() / decoded[IP])
    with pytest.raises(TypeError, match="stack\\(\\) takes layers and data"):
        stack(Ether(), 5)  # type: ignore[arg-type]
