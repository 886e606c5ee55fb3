"""The post's "UDP Client": send each line typed on stdin as one datagram, until an empty line.

A Python 3 port of the plain socket example (no rawnet). The end of stdin ends it too.
"""

import argparse
import socket

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=31500)
options = parser.parse_args()

address = (options.host, options.port)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

while True:
    try:
        msg = input()
    except EOFError:
        break
    if not msg:
        break
    s.sendto(msg.encode(), address)

s.close()
