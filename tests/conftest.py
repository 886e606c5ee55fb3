"""Shared test settings: Hypothesis profiles (CI runs the thorough one); the oracles must exist."""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_configure(config: pytest.Config) -> None:
    """The independent oracles are part of the suite, never skipped: fail at once without them."""
    config.addinivalue_line("markers", "tshark: compares rawnet with tshark's dissection")
    config.addinivalue_line("markers", "tcpdump: compares rawnet with tcpdump's output")
    missing = [tool for tool in ("tshark", "tcpdump") if shutil.which(tool) is None]
    if missing:
        raise pytest.UsageError(f"{' and '.join(missing)} not found: run `make test`, which installs them")
