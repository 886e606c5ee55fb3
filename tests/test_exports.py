"""rawnet's names: ``from rawnet import *`` gives every packet format, error and networking name."""

from __future__ import annotations

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
