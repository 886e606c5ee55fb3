"""SSH (TCP port 22) as tcpdump prints it (print-ssh.c): a segment opening with the protocol
version line shows that line; any other is not read."""

from __future__ import annotations

from rawnet.wire.printers import About, Decline, take

_PRINTABLE = range(0x20, 0x7F)


def ssh(words: list[str], data: bytes, length: int, about: About) -> None:
    """ "SSH: SSH-2.0-OpenSSH_7.8"."""
    for index, byte in enumerate(b"SSH-"):  # (read one at a time: a mismatch ends it before a cut)
        if take(data, index, 1)[0] != byte:
            raise Decline
    for index in range(4, length):
        byte = take(data, index, 1)[0]
        if byte == 0x0A or (byte == 0x0D and index + 1 < length and take(data, index + 1, 1) == b"\n"):
            words.append(f"SSH: {data[:index].decode('ascii')}")
            return
        if byte not in _PRINTABLE:
            raise Decline
    raise Decline
