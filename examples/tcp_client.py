"""The post's "TCP Client": connect, print what the server sends, answer 'hihi'.

A Python 3 port of the plain socket example (no rawnet).
"""

import argparse
import socket

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=31500)
options = parser.parse_args()

address = (options.host, options.port)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(address)

data = s.recv(512)
print("the data received is", data.decode(errors="replace"), flush=True)

s.send(b"hihi")

s.close()
