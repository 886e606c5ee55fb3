"""Shared test settings: Hypothesis profiles (CI runs the thorough one); the oracles must exist.

`make test` and CI draw their examples from a fixed seed (derandomize): a run fails or passes
the same way each time, never on an example that a later run does not draw again. To look for
new failing examples, run with HYPOTHESIS_PROFILE=explore (random draws, 1000 examples); what it
finds becomes a test of its own.
"""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=200, deadline=None, derandomize=True)
settings.register_profile(
    "ci", max_examples=1000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "explore", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def pytest_configure(config: pytest.Config) -> None:
    """The independent oracles are part of the suite, never skipped: fail at once without them."""
    config.addinivalue_line("markers", "tshark: compares rawnet with tshark's dissection")
    config.addinivalue_line("markers", "tcpdump: compares rawnet with tcpdump's output")
    missing = [tool for tool in ("tshark", "tcpdump") if shutil.which(tool) is None]
    if missing:
        raise pytest.UsageError(f"{' and '.join(missing)} not found: run `make test`, which installs them")
