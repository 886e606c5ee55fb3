"""signatures.py: the constructors mypy sees are the generated ones, and catch what users mistype."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rawnet import ICMP, IP, TCP, ICMPv6EchoRequest, ICMPv6NDOptSrcLLAddr, IPv6, Raw
from rawnet.wire import signatures


def test_the_typed_blocks_say_what_the_field_tables_say() -> None:
    assert signatures.stale(write=False) == [], "run: python -m rawnet.wire.signatures"


def test_mypy_rejects_a_mistyped_field_name_and_value_in_user_code(tmp_path: Path) -> None:
    user = tmp_path / "user.py"
    user.write_text(
        "from rawnet import IP, TCP, ICMP, ICMPv6EchoRequest\n"
        "ok = IP(b'E', ttl=3) / TCP(dport=(440, 443), flags='SA') / ICMP(type='echo-reply')\n"
        "ok6 = ICMPv6EchoRequest(id=1, seq=(1, 3))\n"
        "bad1 = TCP(dprot=80)\n"
        "bad2 = TCP(dport='eighty')\n"
        "bad3 = ICMPv6EchoRequest(idd=1)\n"
        "port: int = TCP().dport\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(user)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["4", "5", "6"], result.stdout
    assert 'Unexpected keyword argument "dprot" for "TCP"; did you mean "dport"?' in errors[0]
    assert 'Argument "dport" to "TCP" has incompatible type "str"' in errors[1]


def test_positional_bytes_decode_through_every_kind_of_constructor() -> None:
    for packet in (
        ICMP(type="dest-unreach", code="port-unreachable") / IP(dst="198.18.0.2") / TCP(),
        ICMPv6EchoRequest(id=7, seq=1) / b"ping",
        ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01"),
        IPv6() / Raw(load=b"x"),
    ):
        wire = bytes(packet)
        again = type(packet)(wire)
        assert bytes(again) == wire and again == type(packet).decode(wire)
