"""Packet streams: a template packet and field generators, made into frames in bulk (numpy).

The first part of a line-rate engine: frames come as rows of contiguous numpy buffers, with
lengths fixed and checksums updated incrementally, byte for byte what the per-packet API builds.
This package imports only rawnet.wire, rawnet.errors, numpy and the standard library; it never
opens a socket (sending the frames is the network layer's business).
"""

from rawnet.stream.generators import Counter, Cycle, Random, RandomNetwork, Values
from rawnet.stream.stream import Stream

__all__ = ["Counter", "Cycle", "Random", "RandomNetwork", "Stream", "Values"]
