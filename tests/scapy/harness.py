"""Run the corpus with both engines inside network namespaces, and classify every snippet.

    python -m tests.scapy.harness [--kind offline|lab|all] [--ids a,b] [--json FILE]

prints the verdicts (same / error / different / prints differently) with the details of each
one that is not "same". Nothing runs in the caller's namespace: the offline snippets run in a
namespace of their own that holds nothing but loopback (an Ether() or IP() with no route can
resolve nothing and send nothing), the others in host "a" of a lab line a - r1 - b
(198.18.1.1 - 198.18.1.2|198.18.2.1 - 198.18.2.2, 2001:db8:1::/64 and 2001:db8:2::/64), whose
interface is renamed eth1 as in scapy's docs; b listens on TCP 22, 80 and 443. The two engines
run one after the other in the same lab, so that its MAC addresses are the same for both.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rawnet.net.lab import Lab
from tests.scapy.corpus import Snippet, load
from tests.scapy.expectations import NOT_YET, TEXT_DIFFERS

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("scapy", "rawnet")
#: For the report only: rawnet with raw() defined as bytes(), to see what a snippet meets next.
SHIM = "rawnet+raw"
SAME, ERROR, DIFFERENT, PRINTS = "same", "error", "different", "prints differently"
LISTENING = (22, 80, 443)
#: The whole run of one engine over one kind of snippets, at most.
RUN_TIMEOUT = 600.0


@dataclass(frozen=True)
class Verdict:
    snippet: Snippet
    category: str  # SAME, ERROR, DIFFERENT, PRINTS, or "scapy failed" (the corpus is wrong)
    expected: dict[str, Any]
    actual: dict[str, Any]

    @property
    def detail(self) -> str:
        """What differs, in a few lines: the report's and a failing test's message."""
        lines = [f"{self.snippet.id} ({self.snippet.origin}): {self.category}"]
        for engine, outcome in (("scapy", self.expected), ("rawnet", self.actual)):
            if "exception" in outcome:
                error = outcome["exception"]
                where = f" at {error['where']}" if error.get("where") else ""
                lines.append(f"  {engine}: raised {error['type']}: {error['message'][:300]}{where}")
            else:
                lines.append(f"  {engine}: {_short(outcome.get('value'))}")
                if self.snippet.display and outcome.get("stdout"):
                    lines.append(f"  {engine} printed: {outcome['stdout'][:600]!r}")
        return "\n".join(lines)


def _short(value: Any, limit: int = 700) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _texty(value: Any) -> bool:
    return value is None or isinstance(value, str)


def classify(snippet: Snippet, expected: dict[str, Any], actual: dict[str, Any]) -> Verdict:
    """same, error (rawnet raised where scapy did not), different, or prints differently."""
    if "exception" in expected:
        category = "scapy failed"
    elif "exception" in actual:
        # An assert of scapy's own text that fails under rawnet is a wrong value, not a missing
        # feature (in a display snippet, a wrong text).
        if actual["exception"]["type"] == "AssertionError":
            category = PRINTS if snippet.display else DIFFERENT
        else:
            category = ERROR
    elif json.dumps(expected["value"], sort_keys=True) != json.dumps(actual["value"], sort_keys=True):
        texty = _texty(expected["value"]) and _texty(actual["value"])
        category = PRINTS if snippet.display and texty else DIFFERENT
    elif snippet.display and expected.get("stdout") != actual.get("stdout"):
        category = PRINTS
    else:
        category = SAME
    return Verdict(snippet, category, expected, actual)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run_engine(lab: Lab, host: str, engine: str, kind: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="scapy-corpus-out-") as scratch:
        out = Path(scratch) / f"{engine}.json"
        argv = [
            sys.executable,
            "-m",
            "tests.scapy.run",
            "--engine",
            engine,
            "--kind",
            kind,
            "--out",
            str(out),
        ]
        if ids:
            argv += ["--ids", ",".join(ids)]
        done = lab.run(host, argv, env=_environment(), cwd=ROOT, timeout=RUN_TIMEOUT)
        if not out.exists():
            raise RuntimeError(
                f"the {engine} run of the {kind} snippets wrote nothing:\n{done.stderr[-3000:]}"
            )
        outcomes: list[dict[str, Any]] = json.loads(out.read_text())
    return {outcome["id"]: outcome for outcome in outcomes}


@contextmanager
def offline_namespace() -> Iterator[Lab]:
    """A namespace with loopback only: the offline snippets can reach nothing."""
    with Lab() as lab:
        lab.add_host("solo")
        yield lab


@contextmanager
def corpus_lab() -> Iterator[Lab]:
    """The lab of the sending snippets (see the module's doc), closed however the block ends."""
    with Lab.line(1) as lab:
        for host in ("r1", "b"):
            lab.sysctl(host, "net.ipv4.icmp_ratelimit", "0")  # every probe gets its ICMP error
            lab.sysctl(host, "net.ipv6.icmp.ratelimit", "0")
        interface = lab["a"].interfaces["r1"].name
        lab.sysctl("a", f"net.ipv6.conf.{interface}.keep_addr_on_down", "1")
        for command in (["down"], ["name", "eth1"]):
            lab.run("a", ["ip", "link", "set", interface, *command], check=True)
        lab.run("a", ["ip", "link", "set", "eth1", "up"], check=True)
        lab.default_route("a", "r1")  # the static routes went with the link's down
        stop = threading.Event()
        listeners = []
        try:
            for port in LISTENING:
                listener = lab.socket("b", socket.AF_INET, socket.SOCK_STREAM)
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind((lab["b"].ipv4, port))
                listener.listen(64)
                listeners.append(listener)
            acceptor = threading.Thread(target=_accept, args=(listeners, stop), daemon=True)
            acceptor.start()
            _wait_reachable(lab)
            yield lab
        finally:
            stop.set()
            for listener in listeners:
                listener.close()


def _accept(listeners: list[socket.socket], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            ready, _, _ = select.select(listeners, [], [], 0.2)
        except (OSError, ValueError):
            return
        for listener in ready:
            try:
                connection, _ = listener.accept()
                connection.close()
            except OSError:
                pass


def _wait_reachable(lab: Lab) -> None:
    """Neighbours resolved and routes up: a TCP connection from a to b's port 80 succeeds."""
    script = (
        "import socket, time\n"
        "for _ in range(50):\n"
        "    try:\n"
        f"        socket.create_connection(('{lab['b'].ipv4}', 80), timeout=0.5).close(); break\n"
        "    except OSError: time.sleep(0.1)\n"
    )
    lab.run("a", [sys.executable, "-c", script], check=True, timeout=30)


def run(kind: str = "all", ids: Sequence[str] = (), actual: str = "rawnet") -> list[Verdict]:
    """Every selected snippet run with scapy and with rawnet (or SHIM), classified (corpus order)."""
    snippets = [s for s in load() if (not ids or s.id in ids) and (kind == "all" or s.lab == (kind == "lab"))]
    engines = ("scapy", actual)
    results: dict[str, dict[str, dict[str, Any]]] = {engine: {} for engine in engines}
    offline = [s.id for s in snippets if not s.lab]
    lab_ids = [s.id for s in snippets if s.lab]
    if offline:
        with offline_namespace() as lab:
            for engine in engines:
                results[engine].update(_run_engine(lab, "solo", engine, "offline", offline))
    if lab_ids:
        with corpus_lab() as lab:
            for engine in engines:
                results[engine].update(_run_engine(lab, "a", engine, "lab", lab_ids))
    return [classify(s, results["scapy"][s.id], results[actual][s.id]) for s in snippets]


def report(verdicts: Sequence[Verdict]) -> str:
    counts = Counter(verdict.category for verdict in verdicts)
    lines = [
        f"{len(verdicts)} snippets: "
        + ", ".join(
            f"{counts.get(name, 0)} {name}" for name in (SAME, ERROR, DIFFERENT, PRINTS, "scapy failed")
        )
    ]
    for category in ("scapy failed", DIFFERENT, ERROR, PRINTS):
        chosen = [verdict for verdict in verdicts if verdict.category == category]
        if chosen:
            lines.append(f"\n=== {category} ({len(chosen)})")
            for verdict in chosen:
                listed = NOT_YET.get(verdict.snippet.id) or TEXT_DIFFERS.get(verdict.snippet.id)
                lines.append(verdict.detail + (f"\n  listed: {listed}" if listed else ""))
    return "\n".join(lines)


def tables(verdicts: Sequence[Verdict]) -> str:
    """NOT_YET and TEXT_DIFFERS entries for today's errors and text differences, as Python."""
    not_yet, text = [], []
    for verdict in verdicts:
        if verdict.category == ERROR:
            error = verdict.actual["exception"]
            reason = f"{error['type']}: {error['message']}".replace("\n", " ")
            not_yet.append(f"    {verdict.snippet.id!r}: {reason[:90]!r},")
        elif verdict.category == PRINTS:
            text.append(f"    {verdict.snippet.id!r}: 'the text differs from scapy\\'s',")
    return "\n".join(["NOT_YET = {", *not_yet, "}", "", "TEXT_DIFFERS = {", *text, "}"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=("offline", "lab", "all"), default="all")
    parser.add_argument("--ids", default="")
    parser.add_argument("--json", help="also write every verdict with both outcomes to this file")
    parser.add_argument(
        "--raw-shim",
        action="store_true",
        help=f"compare scapy with {SHIM} (rawnet plus raw = bytes): what the snippets meet after raw()",
    )
    parser.add_argument(
        "--tables",
        action="store_true",
        help="print NOT_YET and TEXT_DIFFERS as today's errors and text differences make them "
        "(a start for expectations.py; a 'different' never goes in a table)",
    )
    arguments = parser.parse_args(argv)
    ids = [ident for ident in arguments.ids.split(",") if ident]
    verdicts = run(arguments.kind, ids, SHIM if arguments.raw_shim else "rawnet")
    print(tables(verdicts) if arguments.tables else report(verdicts))
    if arguments.json:
        Path(arguments.json).write_text(
            json.dumps(
                [
                    {"id": v.snippet.id, "category": v.category, "scapy": v.expected, "rawnet": v.actual}
                    for v in verdicts
                ],
                indent=1,
                sort_keys=True,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
