"""Packet lists, as scapy's users know them: captures, file contents and exchange results.

``PacketList`` holds packets (a capture, rdpcap's content); ``SndRcvList`` holds (query, answer)
pairs (what sr() answered). Both index, slice, add and filter like scapy's, print ``summary()``
and ``nsummary()``, ``make_table()`` and ``sprintf()``. Pure: no I/O but printing, no globals.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, NamedTuple, TypeVar, overload

from rawnet.wire.layer import Layer

T = TypeVar("T")

#: The protocols repr() counts, as scapy's (conf.stats_classic_protocols).
_COUNTED = ("TCP", "UDP", "ICMP")


class QueryAnswer(NamedTuple):
    """One exchange: the packet sent and the packet that answered it."""

    query: Layer
    answer: Layer


class _List(Generic[T]):
    """What PacketList and SndRcvList share: a list of items, a name, scapy's list methods."""

    def __init__(self, res: Iterable[T] | _List[T] | None = None, name: str = "PacketList") -> None:
        self.res: list[T] = list(res.res if isinstance(res, _List) else res or [])
        self.listname = name

    # -- what one item says (a packet, or an exchange) ----------------------------------------
    def _packet(self, item: T) -> Layer:
        """The packet of ``item`` that counts and summaries look at."""
        raise NotImplementedError

    def _summary(self, item: T) -> str:
        raise NotImplementedError

    def _call(self, function: Callable[..., Any], item: T) -> Any:
        """``function`` applied to ``item`` as scapy does: an exchange's two packets as two arguments."""
        return function(item)

    # -- a list ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.res)

    def __iter__(self) -> Iterator[T]:
        return iter(self.res)

    @overload
    def __getitem__(self, item: int) -> T: ...
    @overload
    def __getitem__(self, item: slice) -> _List[T]: ...
    @overload
    def __getitem__(self, item: type[Layer]) -> _List[T]: ...
    def __getitem__(self, item: int | slice | type[Layer]) -> Any:
        if isinstance(item, type) and issubclass(item, Layer):
            return type(self)(
                [entry for entry in self.res if item in self._packet(entry)],
                f"{item.__name__} from {self.listname}",
            )
        if isinstance(item, slice):
            return type(self)(self.res[item], f"mod {self.listname}")
        return self.res[item]

    def __add__(self, other: _List[T]) -> _List[T]:
        return type(self)(self.res + other.res, f"{self.listname}+{other.listname}")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _List):
            return self.res == other.res
        if isinstance(other, list):
            return self.res == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        counts = dict.fromkeys(_COUNTED, 0)
        other = 0
        for entry in self.res:
            names = {type(layer).__name__ for layer in self._packet(entry).layers()}
            for name in _COUNTED:
                if name in names:
                    counts[name] += 1
                    break
            else:
                other += 1
        shown = " ".join(f"{name}:{count}" for name, count in counts.items())
        return f"<{self.listname}: {shown} Other:{other}>"

    # -- scapy's methods ----------------------------------------------------------------------
    def _selected(self, lfilter: Callable[..., bool] | None) -> Iterator[tuple[int, T]]:
        for index, entry in enumerate(self.res):
            if lfilter is None or self._call(lfilter, entry):
                yield index, entry

    def summary(
        self, prn: Callable[..., Any] | None = None, lfilter: Callable[..., bool] | None = None
    ) -> None:
        """Print one line per item: its summary, or what ``prn`` returns for it."""
        for _, entry in self._selected(lfilter):
            print(self._summary(entry) if prn is None else self._call(prn, entry))

    def nsummary(
        self, prn: Callable[..., Any] | None = None, lfilter: Callable[..., bool] | None = None
    ) -> None:
        """summary(), each line numbered ("0000 ...")."""
        for index, entry in self._selected(lfilter):
            print(f"{index:04d} " + (self._summary(entry) if prn is None else str(self._call(prn, entry))))

    show = nsummary

    def filter(self, func: Callable[..., bool]) -> _List[T]:
        """The items ``func`` is true for, as a list of this kind."""
        return type(self)(
            [entry for entry in self.res if self._call(func, entry)], f"filtered {self.listname}"
        )

    def sprintf(self, fmt: str, lfilter: Callable[..., bool] | None = None) -> list[str]:
        """Each packet's ``sprintf(fmt)`` (an exchange: its answer's)."""
        return [self._packet(entry).sprintf(fmt) for _, entry in self._selected(lfilter)]

    def make_table(self, *args: Any, **kwargs: Any) -> str | None:
        """scapy's make_table: ``fxyz(item)`` gives (column, row, cell) for each item; prints the
        table (rows and columns sorted as numbers, addresses or text), or returns it with dump=True."""
        return make_table(self.res, *args, **kwargs)


class PacketList(_List[Layer]):
    """Packets: a capture, a file's content, the probes no one answered."""

    def __init__(self, res: Iterable[Layer] | _List[Layer] | None = None, name: str = "PacketList") -> None:
        super().__init__(res, name)

    def _packet(self, item: Layer) -> Layer:
        return item

    def _summary(self, item: Layer) -> str:
        return item.summary()


class SndRcvList(_List[QueryAnswer]):
    """(query, answer) pairs: what sr() and srp() got answered; ``for sent, received in ans``."""

    def __init__(
        self, res: Iterable[tuple[Layer, Layer]] | _List[QueryAnswer] | None = None, name: str = "Results"
    ) -> None:
        given = res.res if isinstance(res, _List) else list(res or [])
        super().__init__(
            [entry if isinstance(entry, QueryAnswer) else QueryAnswer(*entry) for entry in given], name
        )

    def _packet(self, item: QueryAnswer) -> Layer:
        return item.answer  # (as scapy's: counts, ans[TCP] and sprintf look at the answers)

    def _summary(self, item: QueryAnswer) -> str:
        return f"{item.query.summary()} ==> {item.answer.summary()}"

    def _call(self, function: Callable[..., Any], item: QueryAnswer) -> Any:
        return function(*item)


def _sort_key(values: Sequence[str]) -> Callable[[str], Any] | None:
    """How scapy's make_table sorts headers: as numbers, else as IPv4 addresses, else as text."""
    for key in (int, _address_number):
        try:
            for value in values:
                key(value)
        except (ValueError, OSError):
            continue
        return key
    return None


def _address_number(text: str) -> int:
    return int.from_bytes(socket.inet_aton(text), "big")


def make_table(
    data: Iterable[Any],
    fxyz: Callable[..., tuple[Any, Any, Any]],
    sortx: Callable[[str], Any] | None = None,
    sorty: Callable[[str], Any] | None = None,
    dump: bool = False,
) -> str | None:
    """scapy's make_table over ``data``: a column per x, a row per y, z in the cells ("-": none)."""
    widths: dict[str, int] = {}
    rows: dict[str, None] = {}
    cells: dict[tuple[str, str], str] = {}
    label = 0
    for entry in data:
        x, y, z = (str(value) for value in (fxyz(*entry) if isinstance(entry, tuple) else fxyz(entry)))
        label = max(label, len(y))
        widths[x] = max(widths.get(x, 0), len(x), len(z))
        rows[y] = None
        cells[x, y] = z
    columns = sorted(widths, key=sortx or _sort_key(list(widths)))
    lines = sorted(rows, key=sorty or _sort_key(list(rows)))
    text = f"{'':<{label}} " + "".join(f"{x:<{widths[x]}} " for x in columns) + "\n"
    for y in lines:
        text += f"{y:<{label}} " + "".join(f"{cells.get((x, y), '-'):<{widths[x]}} " for x in columns) + "\n"
    if dump:
        return text
    print(text, end="")
    return None
