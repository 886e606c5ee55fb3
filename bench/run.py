"""`make bench`: rawnet against scapy, dpkt, impacket and a hand-written struct baseline, in one run.

Prints a markdown report on stdout (packets per second per tool, median of interleaved rounds,
rawnet's ratio to each peer, the issue's targets and whether this run meets them); progress goes
to stderr. Pure CPU work: nothing is sent or captured. A peer that is not installed shows as n/a.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import cases_packets
from cases_packets import TOOLS, Case
from harness import Op, Rates, measure, overhead_ns

REPO = Path(__file__).resolve().parent.parent
CASES: tuple[Case, ...] = cases_packets.CASES
BASELINE = "rawnet"


@dataclass(frozen=True)
class CaseResult:
    """The rates of every tool that could run one case."""

    case: Case
    rates: dict[str, Rates]

    def ratio(self, peer: str) -> float | None:
        if peer not in self.rates or BASELINE not in self.rates:
            return None
        return self.rates[BASELINE].median / self.rates[peer].median


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 short rounds instead of 7 (a rough look)")
    parser.add_argument("--rounds", type=int, help="rounds per case and tool (default 7, quick 3)")
    parser.add_argument("--seconds", type=float, help="seconds per timed batch (default 0.3, quick 0.1)")
    keys = [case.key for case in CASES]
    parser.add_argument("--case", action="append", choices=keys, help="run only this case (repeatable)")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the report to FILE")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 7)
    args.seconds = args.seconds or (0.1 if args.quick else 0.3)
    return args


def _git(*arguments: str) -> str:
    try:
        done = subprocess.run(["git", *arguments], cwd=REPO, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment(argv: Sequence[str]) -> list[str]:
    """Lines saying where, when and on what this run happened."""
    python = Path(sys.executable)
    if python.is_relative_to(REPO):
        python = python.relative_to(REPO)
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    changed = _git("status", "--porcelain", "--", "src").splitlines()
    if changed:
        commit += f" plus uncommitted changes to {len(changed)} file(s) under src/"
    peers = ", ".join(f"{name} {_version(name)}" for name in ("scapy", "dpkt", "impacket"))
    return [
        f"- command: `{' '.join([str(python), 'bench/run.py', *argv])}`",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: nproc {len(os.sched_getaffinity(0))}, {_cpu_model()}, {platform.system()} "
        f"{platform.release()}",
        f"- load average at the start: {' '.join(f'{load:.2f}' for load in os.getloadavg())} (1, 5, 15 min)",
        f"- python: {platform.python_implementation()} {platform.python_version()}",
        f"- rawnet: commit {commit}",
        f"- peers: {peers}",
    ]


def prepare(case: Case) -> dict[str, Op]:
    """Every tool's op for the case (tools that cannot be imported are left out), checked to agree."""
    ops: dict[str, Op] = {}
    for tool, factory in case.factories.items():
        try:
            ops[tool] = factory()
        except ImportError as error:
            print(f"{case.key}: {tool} left out: {error}", file=sys.stderr)
    case.check(ops)
    return ops


def _rate(rates: Rates | None) -> str:
    return "n/a" if rates is None else f"{rates.median:,.0f}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def table(results: Sequence[CaseResult]) -> list[str]:
    """The markdown table: packets/s per tool, then rawnet / each peer."""
    peers = [tool for tool in TOOLS if tool != BASELINE]
    header = ["case", *TOOLS, *(f"{BASELINE}/{peer}" for peer in peers)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 1)]
    for result in results:
        cells = [result.case.key]
        cells += [_rate(result.rates.get(tool)) for tool in TOOLS]
        cells += [_ratio(result.ratio(peer)) for peer in peers]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def spread_table(results: Sequence[CaseResult]) -> list[str]:
    """How noisy each cell was: (fastest round - slowest round) / median."""
    lines = ["| spread | " + " | ".join(TOOLS) + " |", "|" + "---|" + "---:|" * len(TOOLS)]
    for result in results:
        cells = [f"{result.rates[tool].spread:.0%}" if tool in result.rates else "n/a" for tool in TOOLS]
        lines.append(f"| {result.case.key} | " + " | ".join(cells) + " |")
    return lines


def targets(results: Sequence[CaseResult]) -> tuple[list[str], int, int]:
    """One line per case saying which targets this run meets; and how many of how many are met."""
    lines = []
    met = total = 0
    for result in results:
        verdicts = []
        for target in result.case.targets:
            ratio = result.ratio(target.peer)
            if ratio is None:
                verdicts.append(f"{target.text}: n/a")
                continue
            total += 1
            met += ratio >= target.minimum
            verdict = "met" if ratio >= target.minimum else "NOT met"
            verdicts.append(f"{target.text}: {verdict} ({ratio:.2f}x)")
        lines.append(f"- {result.case.key}: " + "; ".join(verdicts))
    return lines, met, total


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    context = environment(argv)
    chosen = [case for case in CASES if not args.case or case.key in args.case]
    results = []
    for case in chosen:
        ops = prepare(case)
        print(f"{case.key}: outputs agree; timing {', '.join(ops)}", file=sys.stderr, flush=True)
        results.append(CaseResult(case, measure(ops, args.rounds, args.seconds)))
    overhead = overhead_ns(args.seconds)
    target_lines, met, total = targets(results)
    report = [
        f"Packets per second, one core: median of {args.rounds} rounds of ~{args.seconds:g} s batches per "
        "tool, tools interleaved round-robin.",
        "",
        *context,
        "",
        *table(results),
        "",
        "Cases: " + "; ".join(f"{result.case.key} = {result.case.title}" for result in results) + ".",
        f"Every rate includes the harness's own ~{overhead:.0f} ns per call (an empty function), which "
        "weighs most on the struct baseline.",
        "",
        "Targets: a build and a decode (strict or lenient) at least 5x dpkt, a rebuild 10x (the packet "
        f"core's); never below one third of the struct baseline (the first one's). This run meets {met} of "
        f"{total}:",
        "",
        *target_lines,
        "",
        *spread_table(results),
    ]
    text = "\n".join(report) + "\n"
    print(text, end="")
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    print(f"took {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
