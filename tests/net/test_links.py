"""rawnet.net.links in a lab: what a listener hears of the probes leaving (``outgoing``)."""

from __future__ import annotations

import select
from collections.abc import Iterator

import pytest

from rawnet.net.exchange import Query
from rawnet.net.lab import Lab
from rawnet.net.links import layer3_link
from rawnet.wire import ICMP, IP


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.pair() as made:
        yield made


def _directions(lab: Lab, outgoing: bool) -> list[str | None]:
    """How the listener saw an echo request to b and b's reply (its ``direction`` of each)."""
    probe = IP(src=lab["a"].ipv4, dst=lab["b"].ipv4) / ICMP(id=4242, seq=1) / b"links"
    link = layer3_link([probe], netns=lab["a"].netns, outgoing=outgoing)
    seen: list[str | None] = []
    try:
        assert link.transmit is not None
        link.transmit(Query(probe))
        while select.select([link.listener.socket], [], [], 0.5)[0]:
            got = link.listener.recv()
            if ICMP in got.packet and got.packet[ICMP].id == 4242:
                seen.append(got.direction)
    finally:
        link.close()
    return seen


def test_a_listener_hears_the_probe_leave_unless_outgoing_is_false(lab: Lab) -> None:
    assert sorted(map(str, _directions(lab, outgoing=True))) == ["host", "outgoing"]
    assert _directions(lab, outgoing=False) == ["host"]  # b's reply only (PACKET_IGNORE_OUTGOING)
