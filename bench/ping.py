"""`make bench`, fourth part: `rawnet ping -f` against iputils `ping -f` (root; in a lab).

Each pinger sends COUNT echo requests as a flood (-f: the next as soon as the last is answered,
or after 10 ms) from namespace "a" of one fresh Lab.pair() to "b" (198.18.1.2, nothing leaves
the lab); each runs several times, interleaved with the other, and the median is shown. Two
times for each: the run as the tool reports it (its statistics' "time Nms") and the whole
process, start-up included (rawnet's Python imports weigh there, iputils' has none).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

from rawnet.net import Lab

_TIME = re.compile(r"(\d+) packets transmitted, (\d+) received.*time (\d+)ms")


def run(lab: Lab, argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(the tool's own time in s, the whole process's in s, replies received)."""
    started = time.monotonic()
    result = lab.run("a", argv, env=env)
    whole = time.monotonic() - started
    found = _TIME.search(result.stdout)
    if found is None:
        raise SystemExit(f"{argv[0]}: no statistics line in\n{result.stdout}{result.stderr}")
    return int(found.group(3)) / 1000, whole, int(found.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each, interleaved (median)")
    parser.add_argument(
        "--before", metavar="DIR", type=Path,
        help="also run rawnet from the sources in DIR (a `git archive` of an older commit), in the same lab",
    )  # fmt: skip
    options = parser.parse_args()
    with Lab.pair() as lab:
        target = lab["b"].ipv4
        flood = ["-f", "-q", "-c", str(options.count), target]
        rawnet = [sys.executable, "-m", "rawnet", "ping", *flood]
        pingers: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "iputils ping -f": (["ping", *flood], None),
            "rawnet ping -f": (rawnet, None),
        }
        if options.before is not None:
            older = {**os.environ, "PYTHONPATH": str((options.before / "src").resolve())}
            pingers["rawnet ping -f (before)"] = (rawnet, older)
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in pingers}
        for round_number in range(1, options.rounds + 1):
            for name, (argv, env) in pingers.items():
                print(f"round {round_number}: {name}", file=sys.stderr)
                runs[name].append(run(lab, argv, env))
    print(f"\n{options.count} echo requests flooded a -> b in a lab veth pair (-f -q -c {options.count});")
    print(f"the median of {options.rounds} runs of each, interleaved.\n")
    print("| pinger | its own time | whole process | replies | own time / iputils' |")
    print("|---|---:|---:|---:|---:|")
    reference = statistics.median(m[0] for m in runs["iputils ping -f"])
    for name, measured in runs.items():
        own = statistics.median(m[0] for m in measured)
        whole = statistics.median(m[1] for m in measured)
        replies = min(m[2] for m in measured)
        ratio = f"{own / reference:.1f}x" if reference else "-"
        print(f"| {name} | {own * 1000:,.0f} ms | {whole * 1000:,.0f} ms | {replies} | {ratio} |")


if __name__ == "__main__":
    main()
