"""Redis's serialization protocol (TCP port 6379) as tcpdump prints it (print-resp.c): each
string, error, integer and bulk string of the segment quoted in turn, arrays flattened."""

from __future__ import annotations

from rawnet.wire.printers import About, Cut, printable

_DEPTH = 200  # (arrays nested deeper are not read: tcpdump's C stack has no such bound)
_TOO_LARGE, _NEGATIVE, _INVALID, _CUT = -3, -4, -5, -2
_INT_MAX = 2**31 - 1


class _Reader:
    """The segment's bytes, as far as the capture kept them and its length goes."""

    def __init__(self, words: list[str], data: bytes, length: int) -> None:
        self.words, self.data, self.end = words, data, length

    def byte(self, at: int) -> int:
        if at >= len(self.data):
            raise Cut
        return self.data[at]

    def segment(self, at: int, size: int) -> None:
        """print-resp.c's RESP_PRINT_SEGMENT: ' "text"', cut where the capture ends."""
        self.words.append(' "')
        shown = self.data[at : at + size]
        self.words.append(printable(shown))
        if len(shown) < size:
            raise Cut
        self.words.append('"')

    def parse(self, at: int, depth: int = 0) -> int:
        """One item from ``at``; where the next begins."""
        if self.end - at < 1 or depth > _DEPTH:
            raise Cut
        op = self.byte(at)
        if op in b"+-:":
            return self.simple(at + 1)
        if op == ord("$"):
            return self.bulk(at + 1)
        if op == ord("*"):
            return self.array(at + 1, depth)
        return self.inline(at)

    def find_crlf(self, at: int) -> int:
        while True:
            if self.end - at < 2:
                raise Cut
            if self.byte(at) == 0x0D and self.byte(at + 1) == 0x0A:
                return at
            at += 1

    def simple(self, at: int) -> int:
        end = self.find_crlf(at)
        self.segment(at, end - at)
        return end + 2

    def length(self, at: int) -> tuple[int, int]:
        """print-resp.c's resp_get_length: (the length or an error code, where it ends)."""
        if self.end - at == 0:
            return _CUT, at
        negative = self.byte(at) == ord("-")
        if negative:
            at += 1
        value, digits, too_large = 0, False, False
        while True:
            if self.end - at == 0:
                return _CUT, at
            byte = self.byte(at)
            if not ord("0") <= byte <= ord("9"):
                if not digits:
                    return _INVALID, at + 1
                break
            value = value * 10 + byte - ord("0")
            too_large = too_large or value > _INT_MAX
            at, digits = at + 1, True
        if self.byte(at) != 0x0D:
            return _INVALID, at + 1
        at += 1
        if self.end - at == 0:
            return _CUT, at
        if self.byte(at) != 0x0A:
            return _INVALID, at + 1
        if negative:
            return (_NEGATIVE if too_large or value != 1 else -1), at + 1
        return (_TOO_LARGE if too_large else value), at + 1

    def problem(self, value: int) -> None:
        if value == _CUT:
            raise Cut
        self.words.append(
            {-1: " null", _TOO_LARGE: " length too large", _NEGATIVE: " length negative and not -1"}.get(
                value, " invalid"
            )
        )

    def bulk(self, at: int) -> int:
        size, at = self.length(at)
        if size < 0:
            self.problem(size)
            return at
        if size == 0:
            self.words.append(" empty")
        else:
            if self.end - at < size:
                raise Cut
            self.segment(at, size)
            at += size
        return self.find_crlf(at) + 2

    def array(self, at: int, depth: int) -> int:
        count, at = self.length(at)
        if count == 0:
            self.words.append(" empty")
        elif count < 0:
            self.problem(count)
        for _ in range(max(count, 0)):
            at = self.parse(at, depth + 1)
        return at

    def inline(self, at: int) -> int:
        at = self.skip_line_ends(at)
        end = at
        while True:
            if self.end - end < 1:
                raise Cut
            if self.byte(end) in (0x0D, 0x0A):
                break
            end += 1
        self.segment(at, end - at)
        return self.skip_line_ends(end)

    def skip_line_ends(self, at: int) -> int:
        found = False
        while True:
            if self.end - at == 0 or at >= len(self.data):
                if found:
                    return at
                raise Cut
            if self.data[at] not in (0x0D, 0x0A):
                return at
            found, at = True, at + 1


def resp(words: list[str], data: bytes, length: int, about: About) -> None:
    """'RESP "set test 1"' after a TCP segment's length."""
    words.append("RESP")
    reader, at = _Reader(words, data, length), 0
    while at < length:
        at = reader.parse(at)
