"""The post's "TCP Server": accept one connection, send 'byebye', print what the client sends.

A Python 3 port of the plain socket example (no rawnet). Once listening it says so on stderr,
so that a script or test can wait for it; stdout carries exactly the post's lines.
"""

import argparse
import socket
import sys

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=31500)
options = parser.parse_args()

address = (options.host, options.port)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # s = socket.socket()
s.bind(address)
s.listen(5)
print("listening on", address, file=sys.stderr, flush=True)

ss, addr = s.accept()
print("got connected from", addr, flush=True)

ss.send(b"byebye")
ra = ss.recv(512)
print(ra.decode(errors="replace"), flush=True)

ss.close()
s.close()
