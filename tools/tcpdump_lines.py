"""How many of tcpdump's expected lines ``rawnet sniff -r`` prints the same: the entries of the
corpus's TESTLIST whose expected output is there (printed by tcpdump with -# -n -tttt, TZ=GMT0,
and no option or only -e), each capture read by rawnet with the entry's options.

    python tools/tcpdump_lines.py                 # the total, then the entries with most misses
    python tools/tcpdump_lines.py -k vxlan -k dns  # only entries whose name holds one of these
    python tools/tcpdump_lines.py --show 5        # up to 5 differing lines per entry
    python tools/tcpdump_lines.py --installed -k gre  # every capture, against `tcpdump -n -r`

With --installed the oracle is the installed tcpdump instead of the expected outputs: every
capture file (named by -k) is read by both, without options, and the lines compared.

Continuation lines (those tcpdump indents) are left out of the count, as the first line of each
packet is what this measures.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "tcpdump"
_NUMBERED = re.compile(r"^\s*\d+  (.*)$")


def entries(corpus: Path) -> list[tuple[str, str, str, list[str]]]:
    """(name, capture, expected output, options) of each TESTLIST entry whose files are there."""
    found = []
    for line in (corpus / "TESTLIST").read_text().splitlines():
        parts = line.split()
        if len(parts) < 3 or line.startswith("#"):
            continue
        name, capture, output, *options = parts
        if (corpus / output).exists() and (corpus / capture).exists():
            found.append((name, capture, output, options))
    return found


def expected(path: Path) -> list[str]:
    lines = path.read_text(errors="replace").splitlines()
    # (a packet's line, numbered; or a line of its own that tcpdump does not indent: the frame a
    # VXLAN header carries, printed after a newline)
    return [
        match.group(1) if (match := _NUMBERED.match(line)) else line
        for line in lines
        if _NUMBERED.match(line) or (line and not line[0].isspace())
    ]


def printed(command: list[str], capture: Path, options: list[str]) -> list[str]:
    env = dict(os.environ, TZ="GMT0")
    run = subprocess.run(
        [*command, "-r", str(capture), "-tttt", *options],
        capture_output=True,
        text=True,
        errors="replace",
        env=env,
        check=False,
    )
    return [line for line in run.stdout.splitlines() if line and not line[0].isspace()]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("-k", action="append", default=[], help="only entries whose name holds this")
    parser.add_argument("--show", type=int, default=1, help="differing lines shown per entry")
    parser.add_argument("--top", type=int, default=30, help="entries listed (most misses first)")
    parser.add_argument("--installed", action="store_true", help="compare with the installed tcpdump")
    args = parser.parse_args()
    rawnet = [sys.executable, "-m", "rawnet", "sniff"]
    if args.installed:
        captures = sorted(p.name for p in args.corpus.iterdir() if p.suffix in (".pcap", ".pcapng"))
        work = [(name, name, "", []) for name in captures]
    else:
        work = entries(args.corpus)
    same = total = 0
    lines: collections.Counter[str] = collections.Counter()
    misses: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for name, capture, output, options in work:
        if args.k and not any(word in name for word in args.k):
            continue
        if args.installed:
            want = printed(["tcpdump", "-n"], args.corpus / capture, options)
        else:
            want = expected(args.corpus / output)
        got = printed(rawnet, args.corpus / capture, options)
        for index, line in enumerate(want):
            total += 1
            lines[name] += 1
            mine = got[index] if index < len(got) else "<missing>"
            if line == mine:
                same += 1
            else:
                misses[name].append((line, mine))
    print(f"{same}/{total} = {same / max(total, 1):.1%} of tcpdump's lines printed the same")
    for name in sorted(misses, key=lambda n: -len(misses[n]))[: args.top]:
        print(f"{len(misses[name]):5}/{lines[name]:<5} {name}")
        for want_line, got_line in misses[name][: args.show]:
            print(f"      tcpdump {want_line[:220]}")
            print(f"      rawnet  {got_line[:220]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
