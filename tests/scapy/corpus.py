"""The corpus file (corpus.txt): one block per snippet, read into Snippet records.

A block::

    === usage-first-steps
    origin: doc/scapy/usage.rst: First steps
    result: [a.ttl, a.dst]
    display: yes
    ---
    a=IP(ttl=10)
    a.ttl

Header keys: ``origin`` (required: the scapy file and test or section title), ``result`` (an
expression evaluated after the code; without it, the value of the code's last line when it is an
expression), ``display`` (yes: the snippet prints or returns text, compared as text), ``lab``
(yes: it sends or captures, so it runs in the lab's host "a"), ``traffic`` (yes: the harness
makes traffic on the lab link while it runs, for captures), ``observe`` (ethertypes in hex: the
frames host "a" sends meanwhile become the result, for send/sendp), ``timeout`` (seconds, default
20) and ``edit`` (what was changed in scapy's text besides the import and the addresses).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CORPUS = Path(__file__).with_name("corpus.txt")
_KEYS = {"origin", "result", "display", "lab", "traffic", "observe", "timeout", "edit"}
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class Snippet:
    id: str
    origin: str
    code: str
    result: str | None = None
    display: bool = False
    lab: bool = False
    traffic: bool = False
    observe: tuple[int, ...] = ()
    timeout: float = 20.0
    edit: str | None = None


class CorpusError(ValueError):
    """A block of corpus.txt that cannot be read."""


def parse(text: str, where: str = "corpus.txt") -> list[Snippet]:
    snippets: list[Snippet] = []
    blocks = re.split(r"^=== ", text, flags=re.MULTILINE)
    if blocks[0].strip() and not all(line.startswith("#") for line in blocks[0].strip().splitlines()):
        raise CorpusError(f"{where}: text before the first '=== id' line")
    for block in blocks[1:]:
        head, sep, code = block.partition("\n---\n")
        lines = head.splitlines()
        ident = lines[0].strip()
        if not sep or not _ID.fullmatch(ident):
            raise CorpusError(f"{where}: block {ident!r} needs an id of [a-z0-9-] and a '---' line")
        fields: dict[str, str] = {}
        for line in lines[1:]:
            key, colon, value = line.partition(":")
            if not colon or key.strip() not in _KEYS:
                raise CorpusError(f"{where}: {ident}: unknown header line {line!r}")
            fields[key.strip()] = value.strip()
        if "origin" not in fields:
            raise CorpusError(f"{where}: {ident}: no origin")
        lines = code.strip("\n").splitlines()
        while lines and (not lines[-1].strip() or lines[-1].startswith("#")):
            lines.pop()  # a comment between two blocks belongs to neither
        code = "\n".join(lines)
        snippets.append(
            Snippet(
                id=ident,
                origin=fields["origin"],
                code=code + "\n",
                result=fields.get("result") or None,
                display=fields.get("display") == "yes",
                lab=fields.get("lab") == "yes",
                traffic=fields.get("traffic") == "yes",
                observe=tuple(int(kind, 16) for kind in fields.get("observe", "").split()),
                timeout=float(fields.get("timeout", "20")),
                edit=fields.get("edit"),
            )
        )
    seen: set[str] = set()
    for snippet in snippets:
        if snippet.id in seen:
            raise CorpusError(f"{where}: id {snippet.id} appears twice")
        seen.add(snippet.id)
    return snippets


@cache
def load() -> tuple[Snippet, ...]:
    return tuple(parse(CORPUS.read_text()))


def by_id() -> dict[str, Snippet]:
    return {snippet.id: snippet for snippet in load()}
