"""scapy's snippets under rawnet: each must give scapy's outcome (or, if listed, fail loudly).

Each snippet of corpus.txt ran with scapy (expected) and with rawnet (actual), see harness.py.
A snippet's test asserts that rawnet's outcome is scapy's ("same"), unless expectations.py lists
it: in NOT_YET, rawnet must raise (unsupported, never a silent difference); in TEXT_DIFFERS, only
the printed text may differ. The summary test holds the corpus to 90% "same" and no "different".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.scapy import harness
from tests.scapy.corpus import Snippet, load
from tests.scapy.expectations import DIFFERENT, NOT_YET, TEXT_DIFFERS

SNIPPETS = load()
Verdicts = Callable[[Snippet], harness.Verdict]


@pytest.mark.parametrize(
    "snippet",
    [
        pytest.param(snippet, id=snippet.id, marks=[pytest.mark.lab] if snippet.lab else [])
        for snippet in SNIPPETS
    ],
)
def test_snippet(snippet: Snippet, verdict_of: Verdicts) -> None:
    verdict = verdict_of(snippet)
    assert verdict.category != "scapy failed", (
        f"scapy itself fails on this snippet: fix the corpus\n{verdict.detail}"
    )
    if snippet.id in NOT_YET:
        assert verdict.category == harness.ERROR, (
            f"listed in NOT_YET ({NOT_YET[snippet.id]}), but rawnet no longer raises: "
            f"take it off the list if it is 'same'\n{verdict.detail}"
        )
    elif snippet.id in TEXT_DIFFERS:
        assert verdict.category == harness.PRINTS, (
            f"listed in TEXT_DIFFERS ({TEXT_DIFFERS[snippet.id]}), but the verdict changed\n{verdict.detail}"
        )
    elif snippet.id in DIFFERENT:
        assert verdict.category == harness.DIFFERENT, (
            f"listed in DIFFERENT ({DIFFERENT[snippet.id]}), but the verdict changed\n{verdict.detail}"
        )
    else:
        assert verdict.category == harness.SAME, verdict.detail


def test_the_tables_name_only_snippets_of_the_corpus() -> None:
    ids = {snippet.id for snippet in SNIPPETS}
    assert set(NOT_YET) <= ids and set(TEXT_DIFFERS) <= ids and set(DIFFERENT) <= ids
    assert not set(NOT_YET) & set(TEXT_DIFFERS) and not (set(NOT_YET) | set(TEXT_DIFFERS)) & set(DIFFERENT)


def test_every_difference_on_purpose_is_written_down_for_users() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "guide.md").read_text()
    for snippet_id in DIFFERENT:
        assert snippet_id in guide, f"{snippet_id} differs on purpose: docs/guide.md must say so"


@pytest.mark.lab
def test_summary_ninety_percent_same_and_nothing_different(verdict_of: Verdicts) -> None:
    """The target: at least 90% of the snippets give scapy's outcome, and none differs silently
    (the differences on purpose are listed, and written down in docs/guide.md)."""
    verdicts = [verdict_of(snippet) for snippet in SNIPPETS]
    counts = Counter(verdict.category for verdict in verdicts)
    print(harness.report(verdicts))
    total = len(verdicts)
    line = ", ".join(
        f"{counts.get(name, 0)} {name}"
        for name in (harness.SAME, harness.ERROR, harness.DIFFERENT, harness.PRINTS)
    )
    different = [
        verdict.snippet.id
        for verdict in verdicts
        if verdict.category == harness.DIFFERENT and verdict.snippet.id not in DIFFERENT
    ]
    target = math.ceil(0.9 * total)
    assert counts[harness.SAME] >= target and not different, (
        f"{total} snippets: {line} (target: {target} same, 0 different); different: {different}"
    )
