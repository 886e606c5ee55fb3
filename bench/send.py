"""`make bench`, second part: sending and capturing in a lab veth pair (root; nothing leaves the lab).

Each sender runs for the same number of seconds inside namespace "a" of a fresh Lab.pair();
the rate is what the receiving end counted (the veth's rx_packets in namespace "b"), so every
tool is measured by the same independent counter. Senders:

- rawnet, the raw-socket post's loop: change the TCP seq of one packet object, rebuild it, send it;
- rawnet, a fresh packet object each time;
- scapy's sendp (layer 2) and send (layer 3) repeating the same frame with count= (its own loop,
  faster than calling sendp per packet, which costs ~24 ms a call here);
- hping3 --flood (C), SYNs to the same port.

Capture: while hping3 floods a -> b, two rawnet sniffers (one only counting, one decoding every
packet) and tcpdump (--immediate-mode, writing to /dev/null) capture the flood in "b" at the
same time, all with the same kernel filter; each reports the share of the packets the
receiving veth counted.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

from rawnet import IP, TCP, Ether
from rawnet.net import Lab, RawSocket

PAYLOAD = bytes(range(64))
SCAPY = """
import sys, time
from scapy.all import Ether, IP, TCP, sendp, send, conf
conf.verb = 0
mode, iface, src, dst, smac, dmac, seconds = sys.argv[1:]
frame = Ether(src=smac, dst=dmac) / IP(src=src, dst=dst) / TCP(sport=55968, dport=80, flags="PA") / bytes(64)
started = time.monotonic()
end = started + float(seconds)
while time.monotonic() < end:  # scapy's own loop (count=), its fastest way to repeat a packet
    if mode == "sendp":
        sendp(frame, iface=iface, count=200)
    else:
        send(frame[IP], count=200)
print(time.monotonic() - started)  # the loop's own time: scapy's import is not counted
"""


def rx_packets(lab: Lab, host: str, interface: str) -> int:
    out = lab.run(host, ["cat", f"/sys/class/net/{interface}/statistics/rx_packets"], check=True).stdout
    return int(out)


def rawnet_loop(lab: Lab, seconds: float, fresh: bool) -> None:
    a, b = lab["a"], lab["b"]
    end = time.monotonic() + seconds
    with RawSocket.l2(a.interfaces["b"].name, netns=a.netns) as sock:
        send = sock.socket.send
        if fresh:
            seq = 0
            while time.monotonic() < end:
                for _ in range(1000):
                    seq += 1
                    send(
                        bytes(
                            Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
                            / IP(src=a.ipv4, dst=b.ipv4)
                            / TCP(sport=55968, dport=80, flags="PA", seq=seq)
                            / PAYLOAD
                        )
                    )
            return
        packet = (
            Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
            / IP(src=a.ipv4, dst=b.ipv4)
            / TCP(sport=55968, dport=80, flags="PA")
            / PAYLOAD
        )
        segment = packet[TCP]
        seq = 0
        while time.monotonic() < end:
            for _ in range(1000):
                seq += 1
                segment.seq = seq
                send(bytes(packet))


def measure(lab: Lab, name: str, seconds: float) -> float:
    a, b = lab["a"], lab["b"]
    interface = b.interfaces["a"].name
    before = rx_packets(lab, "b", interface)
    started = time.monotonic()
    if name == "rawnet post's loop":
        rawnet_loop(lab, seconds, fresh=False)
    elif name == "rawnet fresh objects":
        rawnet_loop(lab, seconds, fresh=True)
    elif name.startswith("scapy"):
        mode = name.split()[1]
        args = [sys.executable, "-c", SCAPY, mode, a.interfaces["b"].name, a.ipv4, b.ipv4]
        done = lab.run("a", [*args, a.interfaces["b"].mac, b.interfaces["a"].mac, str(seconds)], check=True)
        return (rx_packets(lab, "b", interface) - before) / float(done.stdout.split()[-1])
    else:
        flood = ["timeout", str(seconds), "hping3", "--flood", "-q", "-S", "-p", "80", "-d", "64", b.ipv4]
        lab.run("a", flood)
    elapsed = time.monotonic() - started
    return (rx_packets(lab, "b", interface) - before) / elapsed


def capture(lab: Lab, seconds: float) -> dict[str, float]:
    """Share of a flood each capturer saw, side by side in the receiving namespace."""
    from rawnet.net import AsyncSniffer

    b = lab["b"]
    interface = b.interfaces["a"].name
    wanted = f"tcp dst port 80 and dst host {b.ipv4}"  # the flood only, as rx_packets counts it
    dump = lab.popen(
        "b",
        ["tcpdump", "--immediate-mode", "-Z", "root", "-i", interface, "-w", "/dev/null", wanted],
        stderr=subprocess.PIPE,
    )
    sniffer = AsyncSniffer(iface=interface, filter=wanted, store=False, netns=b.netns)
    decoder = AsyncSniffer(
        iface=interface, filter=wanted, store=False, prn=lambda packet: None, netns=b.netns
    )
    sniffer.start()
    decoder.start()
    time.sleep(1.0)  # tcpdump has opened its capture by now
    before = rx_packets(lab, "b", interface)
    lab.run("a", ["timeout", str(seconds), "hping3", "--flood", "-q", "-S", "-p", "80", "-d", "64", b.ipv4])
    time.sleep(0.5)
    arrived = rx_packets(lab, "b", interface) - before
    sniffer.stop()
    decoder.stop()
    dump.terminate()
    _, errors = dump.communicate(timeout=10)
    captured = next(int(line.split()[0]) for line in errors.splitlines() if "packets captured" in line)
    return {
        "rawnet sniff, counting": sniffer.seen / arrived,
        "rawnet sniff, decoding each packet": decoder.seen / arrived,
        "tcpdump -w /dev/null": captured / arrived,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    options = parser.parse_args()
    names = ["rawnet post's loop", "rawnet fresh objects", "scapy sendp", "scapy send"]
    if shutil.which("hping3"):
        names.append("hping3 --flood")
    rates: dict[str, float] = {}
    with Lab.pair() as lab:
        for name in names:
            print(f"sending: {name}", file=sys.stderr)
            rates[name] = measure(lab, name, options.seconds)
    print(
        f"\nSending 118-byte frames into a lab veth pair for {options.seconds:g} s each; packets per second"
    )
    print("counted by the receiving veth (rx_packets), one core each.\n")
    print("| sender | packets/s | post's loop / sender |")
    print("|---|---:|---:|")
    seed = rates["rawnet post's loop"]
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {seed / rate:.2f}x |")
    print("\nTargets of issue 3: the post's loop at least 100x scapy's send and not below hping3 --flood:")
    print(f"- 100x scapy send: {'met' if seed >= 100 * rates['scapy send'] else 'NOT met'}")
    if "hping3 --flood" in rates:
        print(f"- not below hping3: {'met' if seed >= rates['hping3 --flood'] else 'NOT met'}")
        with Lab.pair() as lab:
            print("capturing a hping3 flood", file=sys.stderr)
            shares = capture(lab, options.seconds)
        print(f"\nCapturing a {options.seconds:g} s hping3 flood, side by side")
        print("(share of what the receiving veth counted):\n")
        print("| capturer | seen |")
        print("|---|---:|")
        for name, share in shares.items():
            print(f"| {name} | {share:.1%} |")


if __name__ == "__main__":
    main()
