"""OpenFlow (TCP ports 6653 and 6633) as tcpdump prints it without -v (print-openflow.c): its
name after the TCP length; the messages go on continuation lines, not shown here."""

from __future__ import annotations

from rawnet.wire.printers import About


def openflow(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "OpenFlow"."""
    words.append("OpenFlow")
