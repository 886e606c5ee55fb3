"""rawnet's exceptions: every failure a caller can meet is one of these.

Decoders raise only DecodeError (and its subclasses); constructors and setters raise
FieldValueError; building raises BuildError. Each message says where and what.
"""

from __future__ import annotations


class RawnetError(Exception):
    """Base class of every error rawnet raises on purpose."""


class DecodeError(RawnetError, ValueError):
    """Bytes that do not decode: the layer, the byte offset in the input and the reason."""

    def __init__(self, layer: str, offset: int, reason: str) -> None:
        super().__init__(f"{layer} at offset {offset}: {reason}")
        self.layer = layer
        self.offset = offset
        self.reason = reason


class TruncatedError(DecodeError):
    """The input ends before the header (or a length inside it) says it should."""


class MalformedError(DecodeError):
    """A field holds a value that makes the rest undecodable (a length below its minimum, ...)."""


class LimitError(DecodeError):
    """The input nests deeper than rawnet decodes (a guard against endless chains)."""


class FieldValueError(RawnetError, ValueError):
    """A value that a field cannot hold, named with the layer and field."""


class BuildError(RawnetError, ValueError):
    """A packet that cannot be turned into bytes as it stands (a field holding a set, ...).

    When one computed field is the cause, ``layer``, ``field`` and ``value`` name it and the
    value it would need (a length beyond its field's range, say); ``source`` is the layer object.
    """

    def __init__(
        self, message: str, *, layer: str = "", field: str = "", value: object = None, source: object = None
    ) -> None:
        super().__init__(message)
        self.layer = layer
        self.field = field
        self.value = value
        self.source = source


class PrivilegeError(RawnetError, PermissionError):
    """An operation needs a privilege the process lacks; the message names it and the fix."""


class InputError(RawnetError, ValueError):
    """Something the user gave that cannot be used: a filter expression, a capture file, a name."""


class InterfaceError(RawnetError, OSError):
    """An interface that does not exist (in the namespace the socket lives in)."""


class SendError(RawnetError, OSError):
    """The kernel refused to send a packet: the message names the packet, the reason and the fix.

    ``errno`` keeps the kernel's error number (an OSError, as before rawnet named it).
    """

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


class PacketTooBigError(SendError):
    """A packet longer than the MTU of the link it leaves on: cut it with rawnet.fragment()."""


class TCPError(RawnetError, OSError):
    """A user-space TCP connection (rawnet.tcp) that failed: each subclass is also the builtin
    exception a socket would raise, so ``except ConnectionRefusedError`` catches rawnet's too."""


class ConnectionRefused(TCPError, ConnectionRefusedError):
    """The peer answered the SYN with RST: nothing listens on that port."""


class ConnectionReset(TCPError, ConnectionResetError):
    """The peer reset an open connection (an RST at the next expected sequence number)."""


class TCPTimeout(TCPError, TimeoutError):
    """No answer: to the SYN, or to a segment sent again until the retries ran out; or a call's timeout."""


class ConnectionClosed(TCPError, BrokenPipeError):
    """Writing to a connection that was closed for sending."""
