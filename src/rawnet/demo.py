"""`make demo`: build a few packets of the seed's kind, decode them back and show what they hold.

Later issues grow this into a live demo inside an isolated lab; this one never touches a socket.
"""

from __future__ import annotations

from rawnet.wire import IP, TCP, UDP, Ether, hexdump

SEED_PAYLOAD = b"GET /att/DIYLife/41264/528 HTTP/1.1\r\nHost: 198.18.0.2\r\nAccept-Encoding: identity\r\n\r\n"


def main() -> None:
    """Build the seed's packet (IP + TCP PA + HTTP GET, seq rising), decode and verify it."""
    template = (
        Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        / IP(src="198.18.0.1", dst="198.18.0.2")
        / TCP(sport=55968, dport=80, seq=1, ack=1, flags=0x18, window=64)
        / SEED_PAYLOAD
    )
    print("The seed's packet, built by rawnet and decoded back:\n")
    frame = bytes(template)
    decoded = Ether.decode(frame)
    decoded.show()
    print()
    hexdump(frame)
    print("\nverify():", decoded.verify() or "every length and checksum is right")
    print("\nThe seed's loop, three rounds (seq rising by one):")
    for seq in range(1, 4):
        template[TCP].seq = seq
        print(" ", Ether.decode(bytes(template)).summary())
    print("\nA packet set: UDP to two ports of a /31, four packets:")
    for packet in Ether() / IP(src="198.18.0.1", dst="198.18.0.2/31") / UDP(dport=[53, 123]):
        print(" ", packet.summary())
    broken = bytearray(frame)
    broken[-1] ^= 0xFF
    print("\nOne payload byte flipped, verify() says:")
    for problem in Ether.decode(bytes(broken)).verify():
        print(" ", problem)


if __name__ == "__main__":
    main()
