"""rawnet.stream's generators, through streams: each generator's values, read back from the frames."""

import ipaddress

import numpy as np
import pytest

from rawnet.errors import InputError
from rawnet.stream import Counter, Cycle, Random, RandomNetwork, Stream, Values
from rawnet.stream.generators import BLOCK
from rawnet.wire import IP, TCP, UDP, Ether, IPv6, Raw

SRC, DST = "198.18.0.1", "198.18.1.2"


def _ipv4(fields, count=None):
    return Stream(IP(src=SRC, dst=DST) / UDP(sport=5000, dport=6000) / Raw(b"data"), fields, count=count)


def _field(stream, start, n, name):
    """The values of ``name`` in frames start..start+n-1, decoded from the frames' bytes."""
    frames = stream.frames(start, n)
    packets = [(IPv6 if frame[0] >> 4 == 6 else IP)(frame.tobytes()) for frame in frames]
    layer, field = name.split(".")
    return [getattr(packet[{"IP": IP, "IPv6": IPv6, "UDP": UDP}[layer]], field) for packet in packets]


# -- Counter --------------------------------------------------------------------------------


def test_counter_counts_from_start_by_step():
    stream = _ipv4({"UDP.sport": Counter(1000, step=3)})
    assert _field(stream, 0, 4, "UDP.sport") == [1000, 1003, 1006, 1009]
    assert _field(stream, 100, 2, "UDP.sport") == [1300, 1303]


def test_counter_wraps_at_the_field_width_by_default():
    stream = _ipv4({"UDP.sport": Counter(65534)})
    assert _field(stream, 0, 4, "UDP.sport") == [65534, 65535, 0, 1]


def test_counter_wraps_at_its_modulus():
    stream = _ipv4({"UDP.sport": Counter(5, step=2, wrap=7)})
    assert _field(stream, 0, 6, "UDP.sport") == [5, 0, 2, 4, 6, 1]


def test_counter_steps_down():
    stream = _ipv4({"IP.ttl": Counter(2, step=-1)})
    assert _field(stream, 0, 4, "IP.ttl") == [2, 1, 0, 255]


def test_counter_far_indexes_are_exact():
    stream = _ipv4({"IP.id": Counter(7, step=12345, wrap=65521)})
    start = 2**40 + 3
    assert _field(stream, start, 2, "IP.id") == [(7 + i * 12345) % 65521 for i in (start, start + 1)]


def test_counter_over_addresses_takes_their_text():
    stream = _ipv4({"IP.src": Counter("198.18.0.254")})
    assert _field(stream, 0, 3, "IP.src") == ["198.18.0.254", "198.18.0.255", "198.18.1.0"]


def test_counter_over_an_ipv6_address_carries_through_every_word():
    stream = Stream(
        IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(), {"IPv6.dst": Counter("2001:db8::ffff:ffff")}
    )
    assert _field(stream, 0, 2, "IPv6.dst") == ["2001:db8::ffff:ffff", "2001:db8::1:0:0"]


def test_counter_over_a_mac_is_the_48_bit_number():
    stream = Stream(
        Ether(dst="02:00:00:00:00:02") / IP(src=SRC, dst=DST), {"Ether.src": Counter(2**48 - 1, step=2)}
    )
    assert [Ether(frame.tobytes()).src for frame in stream.frames(0, 2)] == [
        "ff:ff:ff:ff:ff:ff",
        "00:00:00:00:00:01",
    ]


# -- Cycle and Values -----------------------------------------------------------------------


def test_cycle_repeats_the_list_in_order():
    stream = _ipv4({"UDP.dport": Cycle([80, 443, 8080])})
    assert stream.count is None
    assert _field(stream, 0, 7, "UDP.dport") == [80, 443, 8080, 80, 443, 8080, 80]
    assert _field(stream, 3 * 10**9 + 1, 1, "UDP.dport") == [443]


def test_values_are_used_once_and_make_the_stream_finite():
    stream = _ipv4({"IP.id": Values([1, 2, 3])})
    assert stream.count == 3
    assert _field(stream, 0, 3, "IP.id") == [1, 2, 3]
    with pytest.raises(InputError, match="the stream has 3"):
        stream.frames(2, 2)
    with pytest.raises(InputError, match="the stream has 3"):
        stream.packet(3)


def test_the_shortest_values_list_bounds_the_stream_and_count_may_cut_it():
    assert _ipv4({"IP.id": Values([1, 2, 3]), "IP.ttl": Values([9, 8])}).count == 2
    assert _ipv4({"IP.id": Values([1, 2, 3])}, count=1).count == 1
    assert _ipv4({"IP.id": Counter(1)}, count=5).count == 5


def test_a_count_beyond_the_values_is_an_error():
    with pytest.raises(InputError, match="count 4 is more than the 3 values"):
        _ipv4({"IP.id": Values([1, 2, 3])}, count=4)


def test_cycle_takes_addresses_and_names_as_the_field_takes_them():
    template = IP(src=SRC, dst=DST, proto=6) / UDP() / Raw(b"data")
    stream = Stream(template, {"IP.dst": Cycle(["198.18.0.5", 0xC6130001]), "IP.proto": Cycle(["udp", 6])})
    assert _field(stream, 0, 2, "IP.dst") == ["198.18.0.5", "198.19.0.1"]
    assert [IP(frame.tobytes()).proto for frame in stream.frames(0, 2)] == [17, 6]


# -- Random and RandomNetwork ---------------------------------------------------------------


def test_random_stays_in_its_range_both_ends_included():
    stream = _ipv4({"UDP.sport": Random(1024, 1027, seed=2)})
    values = _field(stream, 0, 400, "UDP.sport")
    assert set(values) == {1024, 1025, 1026, 1027}


def test_random_is_reproducible_from_its_seed_and_differs_between_seeds():
    one = _ipv4({"UDP.sport": Random(0, 65535, seed=7)}).frames(0, 64)
    two = _ipv4({"UDP.sport": Random(0, 65535, seed=7)}).frames(0, 64)
    other = _ipv4({"UDP.sport": Random(0, 65535, seed=8)}).frames(0, 64)
    assert np.array_equal(one, two)
    assert not np.array_equal(one, other)


def test_random_frames_do_not_depend_on_which_blocks_were_asked_before():
    fields = {"UDP.sport": Random(0, 65535, seed=3), "IP.src": RandomNetwork("198.19.0.0/16", seed=4)}
    whole = _ipv4(fields).frames(0, 3 * BLOCK)
    stream = _ipv4(fields)
    later = stream.frames(2 * BLOCK + 5, 100)  # a later block first
    first = stream.frames(0, BLOCK + 7)
    second = stream.frames(BLOCK + 7, 2 * BLOCK - 7)
    assert np.array_equal(later, whole[2 * BLOCK + 5 : 2 * BLOCK + 105])
    assert np.array_equal(np.concatenate([first, second]), whole)
    assert stream.packet(BLOCK + 1).build() == whole[BLOCK + 1].tobytes()


def test_random_without_a_seed_draws_one_and_keeps_it():
    stream = _ipv4({"UDP.sport": Random(0, 65535)})
    assert np.array_equal(stream.frames(0, 50), stream.frames(0, 50))


def test_random_over_a_wide_range_of_ipv6_addresses():
    low, high = "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff:ffff"
    stream = Stream(
        IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(), {"IPv6.dst": Random(low, high, seed=1)}
    )
    values = {ipaddress.ip_address(value) for value in _field(stream, 0, 300, "IPv6.dst")}
    assert all(ipaddress.ip_address(low) <= value <= ipaddress.ip_address(high) for value in values)
    assert len(values) == 300


@pytest.mark.parametrize("network", ["198.18.0.0/24", "198.18.7.9/32", "0.0.0.0/0"])
def test_random_network_gives_addresses_of_the_network(network):
    stream = _ipv4({"IP.src": RandomNetwork(network, seed=5)})
    prefix = ipaddress.ip_network(network, strict=False)
    values = [ipaddress.ip_address(value) for value in _field(stream, 0, 500, "IP.src")]
    assert all(value in prefix for value in values)
    assert len(set(values)) == min(prefix.num_addresses, len(set(values)))
    if prefix.num_addresses == 256:
        assert len(set(values)) > 200  # (500 draws over 256 addresses)


@pytest.mark.parametrize("network", ["2001:db8::/32", "2001:db8:1:2:3::/80", "2001:db8::5/128"])
def test_random_network_over_ipv6(network):
    stream = Stream(
        IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(), {"IPv6.src": RandomNetwork(network, seed=6)}
    )
    prefix = ipaddress.ip_network(network, strict=False)
    values = [ipaddress.ip_address(value) for value in _field(stream, 0, 200, "IPv6.src")]
    assert all(value in prefix for value in values)
    if prefix.prefixlen < 100:
        assert len(set(values)) == 200


# -- what generators refuse -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"IP.ttl": Counter(256)}, "start 256 is too wide for 8 bits"),
        ({"IP.ttl": Counter(0, wrap=257)}, "wrap 257 is too wide for 8 bits"),
        ({"IP.ttl": Random(0, 256)}, "high 256 is too wide"),
        ({"IP.ttl": Random(9, 3)}, "low 9 is above high 3"),
        ({"IP.ttl": Cycle([1, 300])}, "value 300 is too wide"),
        ({"IP.ttl": Values([-1])}, "value -1 is too wide"),
        ({"IP.ttl": Cycle([True])}, "is not a number"),
        ({"IP.src": Cycle(["not an address"])}, "IP.src: value 'not an address'"),
        ({"IP.src": Cycle(["198.18.0.0/30"])}, "is not one value"),
        ({"IP.src": RandomNetwork("2001:db8::/64")}, "needs an IPv6 address field"),
        ({"UDP.sport": RandomNetwork("198.19.0.0/16")}, "needs an IPv4 address field"),
    ],
)
def test_a_value_the_field_cannot_hold_is_an_error(fields, message):
    with pytest.raises(InputError, match=message):
        _ipv4(fields)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Counter(0, step=1.5), "step must be an int"),
        (lambda: Counter(0, wrap=0), "wrap must be a positive int"),
        (lambda: Random(0, 1, seed=-1), "seed must be a non-negative int"),
        (lambda: RandomNetwork("198.19.0.0/33"), "RandomNetwork"),
        (lambda: Cycle([]), "a non-empty list"),
        (lambda: Values("abc"), "a non-empty list"),
    ],
)
def test_a_generator_given_nonsense_is_an_error(make, message):
    with pytest.raises(InputError, match=message):
        make()


def test_the_tcp_flags_take_numbers_and_letters():
    stream = Stream(IP(src=SRC, dst=DST) / TCP(), {"TCP.flags": Cycle(["S", 0x12])})
    assert [str(IP(frame.tobytes())[TCP].flags) for frame in stream.frames(0, 2)] == ["S", "SA"]
