"""ping's echo requests made by patching bytes (_EchoWire: -f's fast path) against the same probes
built as Layers by _PingRun.probe: byte for byte, for IPv4 and IPv6, -s sizes, -p patterns, -Q,
-M do, and seqs across the 16-bit wraparound."""

from __future__ import annotations

import pytest

from rawnet.cli.ping import _EchoWire, _pattern, _payload, _PingRun

_FAMILIES = [("198.18.1.2", "198.18.1.1"), ("2001:db8:1::2", "2001:db8:1::1")]


def _run(destination: str, size: int, pattern: str | None, tos: int = 0) -> _PingRun:
    run = _PingRun(destination, "icmp", 0, 64, _payload(size, _pattern(pattern)), tos=tos, ident=0xBEEF)
    run.dont_fragment = True
    return run


@pytest.mark.parametrize(("destination", "source"), _FAMILIES)
@pytest.mark.parametrize(
    ("size", "pattern", "tos"), [(56, None, 0), (0, None, 0), (1, None, 0x10), (7, "ff", 0), (100, "ff00", 0),
                                 (1500, "abcdef0", 0xB8)],
)  # fmt: skip
def test_a_patched_echo_request_is_the_built_one(
    destination: str, source: str, size: int, pattern: str | None, tos: int
) -> None:
    run = _run(destination, size, pattern, tos)
    echo = _EchoWire(bytes(run.probe(0, source)))
    for seq in [*range(1, 70_000, 251), 65_534, 65_535, 65_536, 65_537, 131_071, 131_072]:
        assert echo(seq) == bytes(run.probe(seq, source)), seq  # (seq 65536 is seq 0 again, as ping's)


@pytest.mark.parametrize(("destination", "source"), _FAMILIES)
def test_every_seq_is_patched_right_the_checksum_0_included(destination: str, source: str) -> None:
    run = _run(destination, 56, None)
    echo = _EchoWire(bytes(run.probe(0, source)))
    start = 20 if ":" not in destination else 40
    checksums = set()
    for seq in range(65_536):
        wire = echo(seq)
        assert wire == bytes(run.probe(seq, source)), seq
        checksums.add(wire[start + 2 : start + 4])
    assert b"\0\0" in checksums  # (one's complement sum 0xFFFF: the case an incremental update gets wrong)
