# ruff: noqa: E501 (a table of reasons, one a line)
"""Where rawnet does not give scapy's outcome, snippet by snippet: the tests hold it to exactly this.

NOT_YET: rawnet raises on these (unsupported, and says so); their tests assert that it still
raises, so a snippet that starts to work (or, worse, to run with another result) must leave the
table. TEXT_DIFFERS: rawnet's values are scapy's but its printed text is not (summary is
tcpdump's -n line, show and ls name rawnet's classes and fields, sr's progress lines). DIFFERENT:
rawnet's result differs from scapy's on purpose, where scapy's is wrong or meaningless; each is
written down in docs/guide.md ("Coming from scapy"). Every other snippet must give scapy's outcome
exactly. ``python -m tests.scapy.harness --tables`` prints the tables as the corpus runs now.
"""

from __future__ import annotations

NOT_YET: dict[str, str] = {
    "inet-tcpopt-wrong-offset": "TCP(data) whose data offset says more bytes than there are: a DecodeError (scapy reads options from what is there)",
}

TEXT_DIFFERS: dict[str, str] = {
    "usage-table-ls": "ls() names rawnet's field kinds (UInt, MAC), not scapy's (BitField, DestMACField)",
    "api-ls-class": "ls() names rawnet's field kinds (UInt, MAC), not scapy's (BitField, DestMACField)",
    "usage-table-summary": "summary() is tcpdump's -n line (rawnet's), not scapy's 'Ether / IP / TCP ...'",
    "usage-plist-summary": "summary() is tcpdump's -n line (rawnet's), not scapy's 'Ether / IP / TCP ...'",
    "usage-plist-nsummary": "summary() is tcpdump's -n line (rawnet's), not scapy's 'Ether / IP / TCP ...'",
    "inet6-ipv6-summary": "summary() is tcpdump's -n line (rawnet's), not scapy's 'Ether / IP / TCP ...'",
    "usage-sr-tcp-ports": "summary() is tcpdump's -n line (rawnet's), not scapy's 'Ether / IP / TCP ...'",
    "usage-tcp-port-scan": "summary() is tcpdump's -n line (rawnet's), not scapy's 'Ether / IP / TCP ...'",
    "usage-table-show": "show() names classes as rawnet does (Ether, not Ethernet) and numbers with their names (tcp (6))",
    "usage-table-show2": "show() names classes as rawnet does (Ether, not Ethernet) and numbers with their names (tcp (6))",
    "l2-ether-arp-show": "show() names classes as rawnet does (Ether, not Ethernet) and numbers with their names (tcp (6))",
    "usage-traceroute": "traceroute(verbose=1) prints its table without sr's progress lines (scapy's vary with timing)",
}

DIFFERENT: dict[str, str] = {
    "inet-defragment-missing-fragments": "defragment() keeps the fragments it cannot reassemble as packets; scapy 2.8 puts (packet, offset, length) tuples in its PacketList",
    "inet-ip-forced-length-0": "IP(len=0): the TCP checksum's pseudo-header counts the segment (0 is a segmentation-offload length); scapy counts 0 bytes",
}
