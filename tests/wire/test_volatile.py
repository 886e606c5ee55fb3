"""volatile.py: random values, drawn within their range at each use, repeatable with random.seed."""

from __future__ import annotations

import ipaddress
import random

import pytest

from rawnet import (
    IP,
    FieldValueError,
    RandByte,
    RandChoice,
    RandInt,
    RandIP,
    RandIP6,
    RandMAC,
    RandNum,
    RandShort,
    RandString,
)


def test_each_draw_is_within_its_range_and_seeding_repeats_them() -> None:
    random.seed(11)
    first = [RandNum(5, 9).draw() for _ in range(200)]
    random.seed(11)
    assert [RandNum(5, 9).draw() for _ in range(200)] == first and set(first) == set(range(5, 10))
    for value, top in ((RandByte(), 255), (RandShort(), 65535), (RandInt(), 2**32 - 1)):
        assert all(0 <= value.draw() <= top for _ in range(100))
    network = ipaddress.ip_network("198.18.0.0/30")
    assert {ipaddress.ip_address(RandIP("198.18.0.0/30").draw()) for _ in range(200)} == set(network)
    assert ipaddress.ip_address(RandIP6("2001:db8::/64").draw()) in ipaddress.ip_network("2001:db8::/64")
    assert all(RandMAC("02:00:*:*:*:*").draw().startswith("02:00:") for _ in range(20))
    assert len(RandString(7).draw()) == 7 and RandChoice(1, 2).draw() in (1, 2)


def test_bad_templates_are_errors_and_equal_values_compare_equal() -> None:
    with pytest.raises(ValueError, match="min is above max"):
        RandNum(9, 5)
    with pytest.raises(ValueError):
        RandMAC("zz:*")
    with pytest.raises(ValueError):
        RandChoice()
    assert RandIP("198.18.0.0/16") == RandIP("198.18.0.0/16") != RandIP("198.18.0.0/24")
    assert (
        repr(RandShort()) == "<RandShort 0..65535>"
        and repr(RandIP("198.18.0.0/16")) == "<RandIP 198.18.0.0/16>"
    )


def test_a_random_range_beyond_the_field_is_refused_when_given() -> None:
    with pytest.raises(FieldValueError, match=r"IP.ttl must be a random value within 0..255"):
        IP(ttl=RandNum(250, 300))
    assert 0 <= bytes(IP(ttl=RandByte()))[8] <= 255
