"""capture.pcap, the file the pcap snippets read (scapy's docs read a capture of the author's).

Its frames are ones quoted in scapy's own docs and tests, written here with struct (neither
engine's code): the ICMP echo request of usage.rst's Hexdump section, the TCP segment of its
"raw(a)" example, the ICMP error quoting TCP of inet.uts' "TCPError parsing", an ARP request of
l2.uts' arp_mitm test and the MLDv2 report of inet6.uts' "ICMPv6MLReport2 ... dissection".
"""

from __future__ import annotations

import struct
from pathlib import Path

FRAMES = [
    bytes.fromhex(
        "005056fcce50000c292b53190800450000540000400040015a7cc0a8198204020201"
        "08009c905a610001e6da7049b6e50800"
        "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
    ),
    bytes.fromhex(
        "00021537a24400aef352aad108004500004300010000400678"
        "3cc0a8051542"
        "23fa9700140050000000000000000050022000bb390000"
    )
    + b"GET /index.html HTTP/1.0 \n\n",
    bytes.fromhex(
        "005056a4302ffcbd676360c908004500003800000000f80164b6682ce6b70ad504560b004f41000000004500"
        "0028400e00000106fdae0ad50456681204d7f73100507d4430f8"
    ),
    bytes.fromhex("ddddddddddddaaaaaaaaaaaa08060001080006040001aaaaaaaaaaaac0a80002000000000000c0a80001"),
    b"33\x00\x00\x00\x16\xd0P\x99V\xdd\xf9\x86\xdd`\x00\x00\x00\x00\x1c:\x01\xfe\x80\x00\x00\x00\x00"
    b"\x00\x00q eX\x98\x86\xfa\x88\xff\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x16"
    b"\x8f\x00\x13\x4d\x00\x00\x00\x01\x04\x00\x00\x00\xff\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x01\xffR\xf3\xe1",
]
#: Seconds since the epoch of the first frame; each next one a second later.
FIRST_TIME = 1_700_000_000


def capture_bytes() -> bytes:
    """A classic pcap file (microseconds, Ethernet) of FRAMES."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for index, frame in enumerate(FRAMES):
        out.append(struct.pack("<IIII", FIRST_TIME + index, 250_000, len(frame), len(frame)))
        out.append(frame)
    return b"".join(out)


def write_capture(path: Path) -> None:
    path.write_bytes(capture_bytes())
