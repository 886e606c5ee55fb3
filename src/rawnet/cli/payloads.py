"""What a UDP scan sends to well-known ports: a request the service answers (nmap-payloads' idea).

An empty datagram draws no answer from most UDP services, so their ports look open|filtered;
a valid request makes an open one answer. Each payload is one fixed, minimal request:
tests/cli/test_scan.py has tshark decode every one of them.
"""

from __future__ import annotations

#: DNS (RFC 1035): a standard query, recursion desired, for the root's NS records.
DNS_QUERY = bytes.fromhex("0006 0100 0001 0000 0000 0000 00 0002 0001")

#: NTP (RFC 5905): a version 4 client request (LI 3 unsynchronised, mode 3), the rest zero.
NTP_REQUEST = bytes.fromhex("e3") + bytes(47)

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
