"""Linux networking: raw sockets of every mode, capture, pcap files and the lab (issue 3).

Imports rawnet.wire for packet formats; rawnet.wire never imports this package.
"""

from rawnet.net.lab import Host, Interface, Lab

__all__ = ["Host", "Interface", "Lab"]
