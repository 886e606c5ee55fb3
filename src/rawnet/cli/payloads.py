"""Payloads: what a UDP scan sends to well-known ports, and the body of ``rawnet send``'s packets.

A UDP scan sends a request the service answers (nmap-payloads' idea): an empty datagram draws
no answer from most UDP services, so their ports look open|filtered; a valid request makes an
open one answer. Each payload is one fixed, minimal request: tests/cli/test_scan.py has tshark
decode every one of them.

``rawnet send`` fills its packets' data as hping3 does (``Data``): the signature (-e) and the
given bytes first, then -E's file, a chunk per packet, else 'X's, to the data size (-d).
Nothing here reads the command line or sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from rawnet.wire.dns import DNS, DNSQR
from rawnet.wire.ntp import NTPHeader


def dns_query(name: str, qtype: str | int = "A", ident: int = 0) -> bytes:
    """A standard DNS query (RFC 1035), recursion desired, for ``name``'s ``qtype`` records
    ("A", "AAAA", "MX", "ANY"... or a number); FieldValueError for a bad name or type."""
    if isinstance(qtype, str) and qtype.upper() == "ANY":
        qtype = 255  # (scapy's name for it is "ALL")
    elif isinstance(qtype, str):
        qtype = qtype.upper()
    return bytes(DNS(id=ident, rd=1, qd=[DNSQR(qname=name, qtype=qtype)]))


#: DNS (RFC 1035): a standard query, recursion desired, for the root's NS records.
DNS_QUERY = dns_query(".", "NS", ident=6)

#: NTP (RFC 5905): a version 4 client request (LI 3 unsynchronised, mode 3), the rest zero.
NTP_REQUEST = NTPHeader(leap=3, version=4, mode=3, stratum=0, poll=0, id="0.0.0.0", orig=0, sent=0).build()

#: SNMP v1 (RFC 1157): get-request for sysDescr.0 (OID {iso(1) 3 6 1 2 1 1 1 0}), community "public".
SNMP_GET = bytes.fromhex(
    "3029"  # Message
    "020100"  # version 1 (0)
    "04067075626c6963"  # community "public"
    "a01c"  # GetRequest-PDU
    "020400000001"  # request-id 1
    "020100020100"  # error-status 0, error-index 0
    "300e300c06082b060102010101000500"  # varbinds: sysDescr.0 = NULL
)

#: Destination port -> payload (also for the services' other usual ports).
UDP_PAYLOADS = {53: DNS_QUERY, 5353: DNS_QUERY, 123: NTP_REQUEST, 161: SNMP_GET}


def udp_payload(port: int) -> bytes:
    """The request a UDP scan sends to ``port``: the service's, or nothing."""
    return UDP_PAYLOADS.get(port, b"")


# -- rawnet send's packet data (hping3's data.c) -------------------------------------------------

#: hping3 fills the data it was given no bytes for with this letter.
FILLER = b"X"


@dataclass(frozen=True)
class Data:
    """hping3's packet body: ``head`` (-e's signature, then --payload or --hex), then the next
    chunk of ``file`` (-E) or ``FILLER``, ``size`` bytes in all (-d).

    A file is read on in chunks, one per packet (hping3's data_from_file): its last chunk is
    zero-padded, and after it the file starts again (hping3 without -u).
    """

    head: bytes = b""
    size: int = 0
    file: bytes | None = None

    @property
    def room(self) -> int:
        """The bytes after the head, per packet."""
        return self.size - len(self.head)

    @property
    def period(self) -> int:
        """Packets after which the data repeats (the file's chunks)."""
        if self.file is None or self.room <= 0:
            return 1
        return max(1, -(-len(self.file) // self.room))

    def chunk(self, index: int) -> bytes:
        """The data of packet ``index``."""
        room = self.room
        if room <= 0:
            return self.head[: self.size]
        if self.file is None:
            return self.head + FILLER * room
        start = index % self.period * room
        return self.head + self.file[start : start + room].ljust(room, b"\0")
