"""`make bench`, third part: `rawnet send --flood` against hping3 --flood and trafgen (root; in a lab).

Each sender floods TCP SYNs with 64 bytes of data (118-byte frames) from namespace "a" of one
fresh Lab.pair() to "b" (198.18.1.2, nothing leaves the lab), started by `timeout -s INT` in
"a"; each sender runs several times, interleaved with the others, and the median is shown.
The rate is what the receiving end counted (the veth's rx_packets in "b"), read over a window
that opens 0.5 s after each sender started (start-up excluded for every tool: Python's imports,
hping3's and trafgen's set-up), and for comparison over the whole run as well.
Senders:

- rawnet send --flood at layer 3 (its default: an IP_HDRINCL socket, as hping3 uses), the
  source port one more per packet (hping3's default too);
- the same at layer 2 (-I, an AF_PACKET socket);
- the same with the source port fixed (-k): one packet's bytes sent again and again;
- hping3 --flood -S -p 80 -d 64 (C, a raw IP socket);
- trafgen --cpus 1 (C, a TX_RING on AF_PACKET, zero copy: the line-rate engine's yardstick),
  repeating one prebuilt frame to b's MAC.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rawnet import IP, TCP, Ether
from rawnet.net import Lab

WARM_UP = 0.5  # seconds after a sender's start before its window opens


def rx_packets(lab: Lab, host: str, interface: str) -> int:
    out = lab.run(host, ["cat", f"/sys/class/net/{interface}/statistics/rx_packets"], check=True).stdout
    return int(out)


def measure(lab: Lab, argv: list[str], seconds: float) -> tuple[float, float, str]:
    """(packets/s over the window, packets/s over the whole run, the sender's own last lines)."""
    interface = lab["b"].interfaces["a"].name
    total = WARM_UP + seconds + 0.2
    first = rx_packets(lab, "b", interface)
    started = time.monotonic()
    process = lab.popen(
        "a", ["timeout", "-s", "INT", f"{total:g}", *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    time.sleep(WARM_UP)
    opened, before = time.monotonic(), rx_packets(lab, "b", interface)
    time.sleep(seconds)
    closed, after = time.monotonic(), rx_packets(lab, "b", interface)
    out, _ = process.communicate(timeout=30)
    ended = time.monotonic()
    time.sleep(0.1)  # the last packets in flight
    last = rx_packets(lab, "b", interface)
    return (after - before) / (closed - opened), (last - first) / (ended - started), out


def trafgen_config(lab: Lab, path: Path) -> None:
    """One 118-byte frame a -> b (a SYN with 64 bytes of data), as trafgen's byte list."""
    a, b = lab["a"], lab["b"]
    frame = bytes(
        Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
        / IP(src=a.ipv4, dst=b.ipv4)
        / TCP(sport=55968, dport=80, flags="S", window=64)
        / bytes(64)
    )
    assert len(frame) == 118
    path.write_text("{ " + ", ".join(f"0x{byte:02x}" for byte in frame) + " }\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each sender, interleaved (median)")
    options = parser.parse_args()
    rates: dict[str, tuple[float, float]] = {}
    with Lab.pair() as lab, tempfile.TemporaryDirectory() as scratch:
        b = lab["b"]
        veth = lab["a"].interfaces["b"].name
        rawnet = [sys.executable, "-m", "rawnet", "send", b.ipv4, "-S", "-p", "80", "--size", "64", "--flood"]
        senders = {
            "rawnet send --flood (layer 3)": rawnet,
            "rawnet send --flood -I (layer 2)": [*rawnet, "-I", veth],
            "rawnet send --flood -k (same bytes, layer 3)": [*rawnet, "-k"],
        }
        if shutil.which("hping3"):
            senders["hping3 --flood"] = ["hping3", "--flood", "-q", "-S", "-p", "80", "-d", "64", b.ipv4]
        if shutil.which("trafgen"):
            config = Path(scratch) / "syn.cfg"
            trafgen_config(lab, config)
            senders["trafgen --cpus 1"] = [
                "trafgen", "--dev", veth, "--conf", str(config), "--cpus", "1",
                "--no-sock-mem", "--notouch-irq", "--no-cpu-stats",
            ]  # fmt: skip
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in senders}
        for round_number in range(1, options.rounds + 1):  # interleaved: the machine's noise hits all alike
            for name, argv in senders.items():
                print(f"round {round_number}, flooding: {name}", file=sys.stderr)
                window, whole, out = measure(lab, argv, options.seconds)
                runs[name].append((window, whole))
                if name.startswith("rawnet"):
                    print("  " + " / ".join(line for line in out.splitlines()[-2:]), file=sys.stderr)
        for name, measured in runs.items():
            rates[name] = (
                statistics.median(m[0] for m in measured),
                statistics.median(m[1] for m in measured),
            )
    print(f"\nFlooding 118-byte TCP SYN frames a -> b in a lab veth pair, {options.seconds:g} s a run;")
    print("packets per second counted by the receiving veth (rx_packets), over a window opening")
    print(f"{WARM_UP:g} s after each sender started, and over the whole run (start-up included);")
    print(f"the median of {options.rounds} runs of each sender, interleaved.\n")
    hping3 = rates.get("hping3 --flood", (0.0, 0.0))[0]
    print("| sender | packets/s | whole run | / hping3 |")
    print("|---|---:|---:|---:|")
    for name, (window, whole) in rates.items():
        ratio = f"{window / hping3:.2f}x" if hping3 else "-"
        print(f"| {name} | {window:,.0f} | {whole:,.0f} | {ratio} |")
    if hping3:
        ours = rates["rawnet send --flood (layer 3)"][0]
        verdict = "met" if ours >= hping3 else "NOT met"
        ratio = f"{ours / hping3:.2f}x"
        print(f"\nIssue 4's target, rawnet send --flood at least hping3's rate: {verdict} ({ratio})")


if __name__ == "__main__":
    main()
