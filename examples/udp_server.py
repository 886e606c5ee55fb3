"""The post's "UDP Server": print each datagram with its sender until an empty one arrives.

A Python 3 port of the plain socket example (no rawnet). Once bound it says so on stderr, so
that a script or test can wait for it; stdout carries exactly the post's lines.
"""

import argparse
import socket
import sys

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=31500)
options = parser.parse_args()

address = (options.host, options.port)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(address)
print("listening on", address, file=sys.stderr, flush=True)

while True:
    data, addr = s.recvfrom(2048)
    if not data:
        print("client has exist", flush=True)
        break
    print("received:", data.decode(errors="replace"), "from", addr, flush=True)

s.close()
