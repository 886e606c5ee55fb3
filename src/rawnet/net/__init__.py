"""Linux networking: raw sockets of every mode and the lab; capture and pcap come next (issue 3).

Imports rawnet.wire for packet formats; rawnet.wire never imports this package.
"""

from rawnet.net.lab import Host, Interface, Lab
from rawnet.net.sockets import InterfaceError, RawSocket, Received, source_for

__all__ = ["Host", "Interface", "InterfaceError", "Lab", "RawSocket", "Received", "source_for"]
