"""rawnet: craft, send, receive and decode network packets on Linux, at every layer."""

from rawnet.errors import (
    BuildError,
    DecodeError,
    FieldValueError,
    LimitError,
    MalformedError,
    RawnetError,
    TruncatedError,
)
from rawnet.wire import *  # noqa: F403
from rawnet.wire import __all__ as _wire_all

__version__ = "0.1.0"

__all__ = [
    "BuildError",
    "DecodeError",
    "FieldValueError",
    "LimitError",
    "MalformedError",
    "RawnetError",
    "TruncatedError",
    *_wire_all,
]
