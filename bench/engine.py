"""`make bench`, fifth part: the line-rate engine against trafgen, hping3 and tcpdump (root; in a lab).

Sending: TCP SYN frames of 60 and 1500 bytes from namespace "a" of a fresh Lab.pair(queues=2)
(a veth pair with two transmit and two receive queues at each end, so two senders need not share
one) to "b" (198.18.1.2); the TCP seq differs in every frame and every checksum is right (rawnet:
a stream whose seq is a counter; trafgen: drnd(4) for the seq and csumtcp() for the checksum;
hping3 draws a random seq itself). rawnet's senders bypass the qdisc, as trafgen does by
default. The rate is what b's veth counted (rx_packets), over a window
opening 0.5 s after each sender started (flood.py's measure). Each sender runs several times,
interleaved with the others; the median is shown.

Capturing: b's veth is captured by `tcpdump -w` and `rawnet sniff -w` at once, with the filter
"tcp dst port 80" (the SYNs, not b's RSTs), while a sends a known number of matching frames:
once flat out (trafgen --cpus 2) and once paced at a rate tcpdump keeps up with (rawnet's
engine, --rate). Each file is read back and its frames counted; each tool's "dropped by
kernel" line is read, and captured + dropped is compared with what was sent.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flood import measure, rx_packets

from rawnet import IP, TCP, Ether, Raw
from rawnet.net import Lab, PcapReader
from rawnet.net.transmit import transmit
from rawnet.stream import Counter, Stream

SIZES = (60, 1500)
SEQ_AT = 14 + 20 + 4  # the TCP seq's offset in the frames
CHECKSUM_AT = 14 + 20 + 16
#: What the captures keep: a's SYNs (b's kernel answers them with RSTs, which it does not match).
FILTER = "tcp dst port 80"


def frame(lab: Lab, size: int) -> Ether:
    """A SYN a -> b of ``size`` bytes (a payload fills it out)."""
    a, b = lab["a"], lab["b"]
    packet = (
        Ether(src=a.interfaces["b"].mac, dst=b.interfaces["a"].mac)
        / IP(src=a.ipv4, dst=b.ipv4)
        / TCP(sport=55968, dport=80, flags="S", window=64)
    )
    return packet / Raw(bytes(size - len(bytes(packet))))


def trafgen_config(lab: Lab, size: int, path: Path) -> None:
    """The frame as trafgen's byte list, its seq drnd(4) and its TCP checksum csumtcp(14, 34)."""
    data = bytes(frame(lab, size))
    words = [f"0x{byte:02x}" for byte in data]
    words[SEQ_AT : SEQ_AT + 4] = ["drnd(4)"]
    at = CHECKSUM_AT - 3  # (the four seq bytes became one item)
    words[at : at + 2] = ["csumtcp(14, 34)"]
    path.write_text("{ " + ", ".join(words) + " }\n")


def send_role(argv: list[str]) -> None:
    """Run inside namespace a: the engine's sender (python bench/engine.py send IFACE SIZE WORKERS ...)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("interface")
    parser.add_argument("src_mac")
    parser.add_argument("dst_mac")
    parser.add_argument("size", type=int)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--count", type=int)
    parser.add_argument("--method", default="auto")
    options = parser.parse_args(argv)
    template = (
        Ether(src=options.src_mac, dst=options.dst_mac)
        / IP(src="198.18.1.1", dst="198.18.1.2")
        / TCP(sport=55968, dport=80, flags="S", window=64)
    )
    template = template / Raw(bytes(options.size - len(bytes(template))))
    stream = Stream(template, {"TCP.seq": Counter(1)})
    try:
        report = transmit(
            stream,
            interface=options.interface,
            workers=options.workers,
            rate=options.rate,
            count=options.count,
            method=options.method,
            qdisc_bypass=True,  # (as trafgen by default)
        )
    except KeyboardInterrupt:
        return
    print(f"sent {report.sent} in {report.seconds:.3f} s ({report.rate:,.0f}/s), {report.errors} errors")


def _engine(lab: Lab, size: int, workers: int, method: str = "auto") -> list[str]:
    a, b = lab["a"], lab["b"]
    return [
        sys.executable, __file__, "send", a.interfaces["b"].name, a.interfaces["b"].mac,
        b.interfaces["a"].mac, str(size), "--workers", str(workers), "--method", method,
    ]  # fmt: skip


def sending(lab: Lab, scratch: Path, seconds: float, rounds: int) -> dict[tuple[str, int], float]:
    """Packets/s per (sender, frame size), the median of ``rounds`` interleaved runs."""
    veth = lab["a"].interfaces["b"].name
    senders: dict[str, Callable[[int], list[str]]] = {}
    for cpus in (1, 2):
        senders[f"trafgen --cpus {cpus}"] = lambda size, cpus=cpus: [  # type: ignore[misc]
            "trafgen", "--dev", veth, "--conf", str(scratch / f"syn{size}.cfg"), "--cpus", str(cpus),
            "--no-sock-mem", "--notouch-irq", "--no-cpu-stats",
        ]  # fmt: skip
    for workers in (1, 2):
        senders[f"rawnet transmit, {workers} worker{'s' * (workers > 1)}"] = (
            lambda size, workers=workers: _engine(lab, size, workers)  # type: ignore[misc]
        )
    senders["rawnet send --flood -I --qdisc-bypass"] = lambda size: [
        sys.executable, "-m", "rawnet", "send", lab["b"].ipv4, "-I", veth, "-S", "-p", "80",
        "-d", str(size - 54), "--flood", "--qdisc-bypass",
    ]  # fmt: skip
    senders["hping3 --flood"] = lambda size: [
        "hping3", "--flood", "-q", "-S", "-p", "80", "-d", str(size - 54), lab["b"].ipv4,
    ]  # fmt: skip
    for size in SIZES:
        trafgen_config(lab, size, scratch / f"syn{size}.cfg")
    runs: dict[tuple[str, int], list[float]] = {}
    for round_number in range(1, rounds + 1):
        for size in SIZES:
            for name, argv in senders.items():
                print(f"round {round_number}, {size} bytes: {name}", file=sys.stderr)
                window, _, out = measure(lab, argv(size), seconds)
                runs.setdefault((name, size), []).append(window)
                if name.startswith("rawnet"):
                    print("  " + " / ".join(out.splitlines()[-2:]), file=sys.stderr)
    return {key: statistics.median(values) for key, values in runs.items()}


def _dropped(text: str) -> int:
    found = re.search(r"(\d+) packets? dropped by kernel", text)
    return int(found[1]) if found else -1


def capturing(lab: Lab, scratch: Path, sender: list[str], label: str) -> dict[str, tuple[int, int]]:
    """(captured, dropped by kernel) for tcpdump -w and rawnet sniff -w, run at once while ``sender``
    (in a) sends frames matching FILTER."""
    veth = lab["b"].interfaces["a"].name
    files = {
        "tcpdump -w": scratch / f"{label}-tcpdump.pcap",
        "rawnet sniff -w": scratch / f"{label}-rawnet.pcap",
    }
    sniff = [sys.executable, "-m", "rawnet", "sniff"]
    commands = {
        "tcpdump -w": ["tcpdump", "-i", veth, "-w", str(files["tcpdump -w"]), FILTER],
        "rawnet sniff -w": [*sniff, "-i", veth, "-w", str(files["rawnet sniff -w"]), FILTER],
    }
    capturers = {
        name: lab.popen("b", argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for name, argv in commands.items()
    }
    time.sleep(2.0)  # both listening
    lab.run("a", sender, check=True, timeout=120)
    time.sleep(1.0)  # the last frames read
    results = {}
    for name, process in capturers.items():
        process.send_signal(2)
        _, err = process.communicate(timeout=30)
        with PcapReader(str(files[name])) as reader:
            captured = sum(1 for _ in reader)
        results[name] = (captured, _dropped(err))
    return results


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "send":
        send_role(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each sender, interleaved (median)")
    parser.add_argument("--flood-count", type=int, default=3_000_000)
    parser.add_argument("--paced-rate", type=float, default=100_000)
    parser.add_argument("--paced-count", type=int, default=300_000)
    options = parser.parse_args()
    for tool in ("trafgen", "hping3", "tcpdump"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (make bench installs netsniff-ng, hping3, tcpdump)")
    with Lab.pair(queues=2) as lab, tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        rates = sending(lab, scratch, options.seconds, options.rounds)
        veth = lab["a"].interfaces["b"].name
        flood = [
            "trafgen", "--dev", veth, "--conf", str(scratch / "syn60.cfg"), "--cpus", "2",
            "--num", str(options.flood_count), "--no-sock-mem", "--notouch-irq", "--no-cpu-stats",
        ]  # fmt: skip
        before = rx_packets(lab, "b", lab["b"].interfaces["a"].name)
        flooded = capturing(lab, scratch, flood, "flood")
        arrived = rx_packets(lab, "b", lab["b"].interfaces["a"].name) - before
        paced_sender = [
            *_engine(lab, 60, 1),
            "--rate",
            f"{options.paced_rate:g}",
            "--count",
            str(options.paced_count),
        ]
        paced = capturing(lab, scratch, paced_sender, "paced")
    print(f"\nSending TCP SYNs a -> b in a lab veth pair (2 queues each end), {options.seconds:g} s a run;")
    print("packets per second counted by the receiving veth (rx_packets), over a window opening")
    print(f"0.5 s after each sender started; the median of {options.rounds} interleaved runs.\n")
    print("| sender | 60 B frames/s | vs trafgen | 1500 B frames/s | vs trafgen |")
    print("|---|---:|---:|---:|---:|")
    for name in dict.fromkeys(name for name, _ in rates):
        cells = []
        for size in SIZES:
            reference = rates[("trafgen --cpus 2" if "2" in name else "trafgen --cpus 1", size)]
            cells += [f"{rates[(name, size)]:,.0f}", f"{rates[(name, size)] / reference:.2f}x"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nCapturing b's veth (filter {FILTER}), both tools at once;")
    print(f"{options.flood_count:,} 60-byte frames flooded by trafgen --cpus 2 ({arrived:,} counted")
    paced_text = f"{options.paced_count:,} paced at {options.paced_rate:,.0f}/s by rawnet's engine"
    print(f"by the veth), then {paced_text}.\n")
    print("| run | tool | captured | dropped by kernel | captured + dropped | sent |")
    print("|---|---|---:|---:|---:|---:|")
    for run, sent, results in (("flood", arrived, flooded), ("paced", options.paced_count, paced)):
        for name, (captured, dropped) in results.items():
            print(f"| {run} | {name} | {captured:,} | {dropped:,} | {captured + dropped:,} | {sent:,} |")


if __name__ == "__main__":
    main()
