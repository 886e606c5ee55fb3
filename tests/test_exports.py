"""rawnet's names: ``from rawnet import *`` gives every packet format, error and networking name."""

from __future__ import annotations

import subprocess
import sys

import rawnet
import rawnet.errors
import rawnet.wire


def test_all_names_every_format_error_and_networking_name_once() -> None:
    errors = {name for name in vars(rawnet.errors) if name.endswith("Error") and name in rawnet.__all__}
    assert set(rawnet.wire.__all__) <= set(rawnet.__all__)
    assert {"RawnetError", "DecodeError", "BuildError"} <= errors
    assert set(rawnet._NET) <= set(rawnet.__all__)  # (the names loaded on first use)
    assert len(rawnet.__all__) == len(set(rawnet.__all__))
    for name in rawnet.__all__:
        assert getattr(rawnet, name) is not None


def test_rawnet_tcp_is_reached_from_the_package() -> None:
    """``import rawnet`` then ``rawnet.tcp.connect``: the subpackage loads on first use."""
    code = "import rawnet, sys; assert 'rawnet.tcp' not in sys.modules; print(rawnet.tcp.connect.__name__)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["connect"]
