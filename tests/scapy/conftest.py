"""The corpus runs once per session, per kind (offline, lab), for both engines: see harness.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.scapy import harness
from tests.scapy.corpus import Snippet


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "lab: a scapy-corpus snippet that sends or captures in a lab of network namespaces"
    )


@pytest.fixture(scope="session")
def verdict_of() -> Callable[[Snippet], harness.Verdict]:
    """The verdict of a snippet; the first one asked for of a kind runs every snippet of that kind."""
    ran: dict[str, dict[str, harness.Verdict]] = {}

    def verdict(snippet: Snippet) -> harness.Verdict:
        kind = "lab" if snippet.lab else "offline"
        if kind not in ran:
            ran[kind] = {v.snippet.id: v for v in harness.run(kind)}
        return ran[kind][snippet.id]

    return verdict
