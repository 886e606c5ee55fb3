"""The header compiler: from a Layer subclass's field table, its layout and generated code.

When a protocol class is created, Layer.__init_subclass__ hands its fields here once. Small
generators, one per concern, each write Python source from the table:

- ``lay_out``: where each field lives: its slot in the values list, its bits in the fixed header
  (one precompiled ``struct.Struct``), published as ``Cls.slot.NAME`` and ``Cls.span.NAME``;
- ``constructor_source``: the keyword-only ``__init__``;
- ``unpacker_source``: a decoded view's bytes -> the values list;
- ``packer_source``: the values (and the computed fields, as arguments) -> the fixed header;
- ``accessor_source``: one property per field, reading a view straight from its buffer;
- ``reader_source``: ``field.read(buf, offset)``, a field's value at a given offset.

The source is compiled by codegen.py under a file name of its own, so tracebacks show it.
Nothing here runs per packet; nothing here does I/O.
"""

from __future__ import annotations

import contextlib
import copy
import keyword
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from rawnet.wire.addresses import AddressField
from rawnet.wire.codegen import compile_source
from rawnet.wire.fields import CHECKSUM, LENGTH, NEXT, Field, FromPayload, Next, Var

if TYPE_CHECKING:
    from rawnet.wire.layer import Layer

_NO_POSITIONAL = object()
_AUTO = (LENGTH, CHECKSUM, NEXT)
_ITEM_CODES = {8: "B", 16: "H", 32: "I"}


class Positions:
    """Names -> positions of one layer class's fields (smoltcp's ``field`` modules).

    ``IP.slot.ttl`` is the field's index in a layer's values list; ``IP.span.ttl`` the range of
    bytes of the fixed header holding it. Code outside the compiler names positions this way,
    never by number, so that reordering a field table moves every use with it.
    """

    def __init__(self, owner: str, kind: str, positions: dict[str, Any]) -> None:
        self.__dict__.update(positions)
        self._label = f"{owner}.{kind}"

    def __getattr__(self, name: str) -> Any:  # only reached for a name that is not a field
        raise AttributeError(f"{self._label} has no field {name!r}")

    def __repr__(self) -> str:
        shown = {key: value for key, value in self.__dict__.items() if key != "_label"}
        return f"<{self._label} {shown}>"


class Item(NamedTuple):
    """One item of the fixed header's struct: a byte-aligned field, or a group of bit fields."""

    code: str  #: struct code ("B", "H", "I", "4s")
    offset: int  #: byte offset in the fixed header
    bits: int  #: width in bits
    fields: tuple[Field[Any], ...]  #: the fields packed in it, first (most significant) first


class Layout:
    """The layout of one header: every field's place, the fixed part's struct and size."""

    def __init__(self, fields: tuple[Field[Any], ...], items: tuple[Item, ...]) -> None:
        self.fields = fields
        self.items = items
        self.format = "".join(item.code for item in items)
        self.struct = struct.Struct("!" + self.format)
        self.size = self.struct.size
        #: Fields outside the fixed header (options, data), which protocols encode themselves.
        self.variable = tuple(field for field in fields if not field.bits and not field.fmt)


def merge_fields(
    owner: str, inherited: tuple[Field[Any], ...], own: list[Field[Any]]
) -> tuple[Field[Any], ...]:
    """The class's field table: inherited fields first, a redefined one in its old place.

    Inherited fields are copied, so that a subclass laying them out anew (a field before them
    redefined with another width) never moves its base class's fields.
    """
    fields = [copy.copy(field) for field in inherited]
    names = [field.name for field in fields]
    for field in own:
        if keyword.iskeyword(field.name) or field.name.startswith("_"):
            raise TypeError(f"{owner}.{field.name}: a field name must be a plain identifier")
        if field.name in names:
            fields[names.index(field.name)] = field  # a redefinition takes the inherited field's place
        else:
            fields.append(field)
            names.append(field.name)
    return tuple(fields)


def lay_out(owner: str, fields: tuple[Field[Any], ...]) -> Layout:
    """Give each field its index, and each fixed field its bits; group bit fields into struct items."""
    items: list[Item] = []
    group: list[Field[Any]] = []
    group_bits = 0
    at = 0

    def close(codes: dict[int, str]) -> None:
        nonlocal group, group_bits, at
        code = codes.get(group_bits)
        if code is None:
            raise TypeError(f"{owner}: bit fields {[f.name for f in group]} add up to {group_bits} bits")
        items.append(Item(code, at, group_bits, tuple(group)))
        at += group_bits // 8
        group, group_bits = [], 0

    siblings = {field.name: index for index, field in enumerate(fields)}
    for index, field in enumerate(fields):
        field.index = index
        field.siblings = siblings  # type: ignore[attr-defined]
        field.offset = field.span = None
        field.shift = 0
        if group or (field.bits and not field.fmt):
            group.append(field)
            group_bits += field.bits
            after = fields[index + 1] if index + 1 < len(fields) else None
            # a group of 8 or 16 bits takes a bit field after it still fitting 32 (8 + 24: DHCPv6)
            joins = after is not None and after.bits and not after.fmt and group_bits + after.bits <= 32
            if group_bits == 32 or (group_bits in (8, 16) and not joins):
                close(_ITEM_CODES)
            continue
        if not field.fmt:
            continue  # a variable part: the protocol decodes and encodes it
        size = struct.calcsize("!" + field.fmt)
        items.append(Item(field.fmt, at, size * 8, (field,)))
        at += size
    if group:
        close(_ITEM_CODES)
    for item in items:
        shift = item.bits
        for field in item.fields:
            shift -= field.bits or item.bits
            field.shift = shift
            field.span = range(item.offset + (item.bits - shift - (field.bits or item.bits)) // 8,
                               item.offset + (item.bits - shift + 7) // 8)  # fmt: skip
            if len(item.fields) == 1:
                field.offset = item.offset
    return Layout(fields, tuple(items))


def reader(cls: type[Layer], name: str) -> Any:
    """``cls``'s generated reader of fixed field ``name``: ``read(buf, offset)`` -> its public value."""
    read = cls.get_field(name).read
    if read is None:
        raise TypeError(f"{cls.__name__}.{name} is not in the fixed header: it has no reader")
    return read


def stored_default(field: Field[Any]) -> Any:
    """The value a field holds when left at its default (after conversion)."""
    return getattr(field, "stored_default", field.default)


def from_bytes(layer: Layer, data: Any, given: list[tuple[str, Any]]) -> None:
    """scapy's positional form, ``IP(data, ttl=5)``: ``layer`` becomes ``data`` decoded, and then
    takes the fields given as keywords.

    Decoded leniently, as scapy dissects: a header below the first that does not decode ends the
    packet in an Undecoded layer holding its bytes and the reason (Layer._positional).
    """
    cls = type(layer)
    if isinstance(data, str) and getattr(cls, "takes_text", False):  # Raw("GET /"): text as UTF-8
        data = data.encode()
    decoded = cls._positional(data)
    for name in (slot for klass in cls.__mro__ for slot in getattr(klass, "__slots__", ())):
        with contextlib.suppress(AttributeError):  # (a slot the decoded layer never set)
            setattr(layer, name, getattr(decoded, name))
    for name, value in given:
        setattr(layer, name, value)


# -- the generators ---------------------------------------------------------------------------


def constructor_source(layout: Layout, namespace: dict[str, Any]) -> list[str]:
    """``__init__``: keyword-only fields, one cheap test per field, one list."""
    params, body = [], []
    for field in layout.fields:
        default = field.default
        if default is not None and not isinstance(field, Var):
            default = field.convert(default)
        field.stored_default = default  # type: ignore[attr-defined]
        i, name = field.index, field.name
        namespace[f"_d{i}"] = default
        namespace[f"_c{i}"] = field.convert
        params.append(f"{name}=_d{i}")
        check = field.fast_check(name)
        if field.cache is not None:  # text a field parsed before (addresses, flag letters)
            namespace[f"_k{i}"] = field.cache
            body.append(f"    if {name} is not _d{i} and not ({check}):")
            body.append(f"        {name} = ({name}.__class__ is str and _k{i}.get({name})) or _c{i}({name})")
        else:
            body.append(f"    if {name} is not _d{i} and not ({check}): {name} = _c{i}({name})")
    names = ", ".join(field.name for field in layout.fields)
    body += [
        f"    _self._v = ({names}{',' if len(layout.fields) == 1 else ''})",
        "    _self._payload = None",
        "    _self._mode = 0",
        "    _self._pad = b''",
        "    _self._ver = 0",
        "    _self._cache = None",
    ]
    if not params:
        return ["def __init__(_self):", *body]
    # Fields are keywords only. They are declared positional-or-keyword behind a positional-only
    # guard, because CPython fills such defaults from a tuple, keyword-only ones from a dict.
    namespace["_NO_POSITIONAL"] = _NO_POSITIONAL
    namespace["_from_bytes"] = from_bytes
    given = ", ".join(f"({field.name!r}, {field.name}, _d{field.index})" for field in layout.fields)
    return [
        f"def __init__(_self, _positional=_NO_POSITIONAL, /, {', '.join(params)}):",
        "    if _positional is not _NO_POSITIONAL:",
        f"        return _from_bytes(_self, _positional, [(k, v) for k, v, d in ({given},) if v is not d])",
        *body,
    ]


def _item_variable(index: int) -> str:
    return f"x{index}"


def _value_of_item(field: Field[Any], item: Item, var: str) -> str:
    """Source of a field's value given its struct item's value ``var``."""
    if len(item.fields) == 1:
        return var
    if field.shift + field.bits == item.bits:  # the first bits: nothing above them to mask off
        return f"({var} >> {field.shift})"
    mask = (1 << field.bits) - 1
    return f"({var} >> {field.shift}) & {mask}" if field.shift else f"{var} & {mask}"


def unpacker_source(layout: Layout, namespace: dict[str, Any]) -> list[str]:
    """``_unpack``: a view's fixed header in one struct call, then its variable part."""
    if not layout.items:
        return []
    namespace["_unpack_from"] = layout.struct.unpack_from
    values = ["None"] * len(layout.fields)
    for number, item in enumerate(layout.items):
        for field in item.fields:
            values[field.index] = _value_of_item(field, item, _item_variable(number))
    target = ", ".join(_item_variable(number) for number in range(len(layout.items)))
    lines = [
        "def _unpack(self):",
        f"    {target}{',' if len(layout.items) == 1 else ''} = _unpack_from(self._buf, self._off)",
        f"    values = self._v = [{', '.join(values)}]",
        "    self._ver = 0",
        "    self._cache = None",
    ]
    if layout.variable:
        lines.append("    self._fill_variable(values)")
    lines.append("    return values")
    return lines


def pack_value(
    field: Field[Any],
    var: Callable[[int], str],
    namespace: dict[str, Any],
    prefix: str = "",
    payload_var: Callable[[str], str | None] | None = None,
) -> str:
    """Source of the value packed for ``field``; ``var(index)`` is the source of the stored value of
    the field at ``index``. An address left None is packed as its ``fill`` from another field of
    the header (a loopback source for a loopback destination) or, for a fill of "payload.NAME",
    from the payload's field NAME (an Ethernet destination from a multicast group): the source
    of its stored value is ``payload_var(NAME)`` (the stack codecs: None when the payload has no
    such field), else the layer's payload is asked at build; and else as ``none_wire``."""
    source = var(field.index)
    if not isinstance(field, AddressField):
        return source
    none = f"{prefix}none{field.index}"
    namespace[none] = field.none_wire
    if field.fill is None:
        return f"({source} or {none})"
    other, fill = field.fill
    namespace[f"{prefix}fill{field.index}"] = fill
    if other.startswith("payload."):
        if payload_var is None:  # (the per-layer packer: the layer's own payload, at build)
            namespace["_payload_stored"] = payload_stored
            return f"({source} or {prefix}fill{field.index}(_payload_stored(self, {other[8:]!r})) or {none})"
        given = payload_var(other[8:])
        return (
            f"({source} or {none})"
            if given is None
            else f"({source} or {prefix}fill{field.index}({given}) or {none})"
        )
    return f"({source} or {prefix}fill{field.index}({var(_index_of(field, other))}) or {none})"


def payload_stored(layer: Layer, name: str) -> Any:
    """The stored value ``layer``'s payload builds its field ``name`` with (None: it has none)."""
    payload = layer.payload
    if payload is None or name not in payload.slot.__dict__:
        return None
    field = payload.get_field(name)
    value = payload._values()[field.index]
    if value is None and isinstance(field.rule, FromPayload):
        below = payload.payload
        value = field.rule.value(field, None if below is None else below.__class__)
    return value


def _index_of(field: Field[Any], name: str) -> int:
    """The index of the field called ``name`` in the same header as ``field``."""
    return field.siblings[name]  # type: ignore[attr-defined,no-any-return]


def item_source(item: Item, value_of: Any) -> str:
    """Source of one struct item's value: the field's, or its bit fields shifted together."""
    parts = []
    for field in item.fields:
        value = value_of(field)
        parts.append(f"({value} << {field.shift})" if field.shift else value)
    return " | ".join(parts)


def packer_source(layout: Layout, namespace: dict[str, Any]) -> list[str]:
    """``_pack(*computed)``: the fixed header; computed fields come in as arguments, in order."""
    if not layout.items:
        return []
    namespace["_struct_pack"] = layout.struct.pack
    computed = [field.name for field in layout.fields if field.auto in _AUTO]

    def var(index: int) -> str:  # a computed field's value is an argument, any other's is stored
        field = layout.fields[index]
        return field.name if field.auto in _AUTO else f"v[{index}]"

    def value_of(field: Field[Any]) -> str:
        return field.name if field.auto in _AUTO else pack_value(field, var, namespace)

    packed = ", ".join(item_source(item, value_of) for item in layout.items)
    return [
        f"def _pack(self, {', '.join(computed)}):",
        "    v = self._v",
        f"    return _struct_pack({packed})",
    ]


def view_read(field: Field[Any], item: Item, b: str = "b", o: str = "o") -> str:
    """Source reading a fixed field's wire value from buffer ``b`` at header offset ``o``."""
    at = item.offset
    if item.code == "B":
        raw = f"{b}[{o} + {at}]"
    elif item.code == "H":
        raw = f"({b}[{o} + {at}] << 8 | {b}[{o} + {at + 1}])"
    elif item.code == "I":
        raw = f"int.from_bytes({b}[{o} + {at} : {o} + {at + 4}], 'big')"
    else:
        raw = f"{b}[{o} + {at} : {o} + {at + item.bits // 8}]"
    return _value_of_item(field, item, raw)


def _public(field: Field[Any], var: str, namespace: dict[str, Any], wire: bool = False) -> list[str]:
    """Lines returning the public value of stored value ``var`` (``wire``: read from a buffer, so
    never None nor a set: an address is bytes)."""
    i = field.index
    if type(field).public is Field.public:  # the stored value is what the user reads
        return [f"        return {var}"]
    namespace[f"p{i}"] = field.public
    if isinstance(field, AddressField):
        namespace[f"t{i}"] = field.texts  # (the texts of addresses seen: captures repeat a few)
        test = [] if wire else [f"        if {var}.__class__ is not bytes: return p{i}({var})"]
        return [
            *test,
            f"        text = t{i}.get({var})",
            f"        return p{i}({var}) if text is None else text",
        ]
    return [f"        return p{i}({var})"]


def accessor_source(layout: Layout, namespace: dict[str, Any]) -> list[str]:
    """One getter, setter and deleter per field; a getter reads a view straight from its buffer."""
    lines = []
    items = {field.index: item for item in layout.items for field in item.fields}
    for field in layout.fields:
        i, name = field.index, field.name
        lines.append(f"def get_{name}(self):")
        lines.append("    v = self._v")
        lines.append("    if v is None:")
        item = items.get(i)
        if item is not None:
            lines.append("        b = self._buf; o = self._off")
            lines.append(f"        x = {view_read(field, item)}")
            lines += _public(field, "x", namespace, wire=True)
        else:
            lines.append("        v = self._unpack()")
        lines.append(f"    x = v[{i}]")
        if isinstance(field.rule, Next | FromPayload) or field.auto == NEXT:  # what a build would put
            lines.append(f"    if x is None: return self._next_number({i})")
        elif getattr(field, "fill", None) is not None:  # an address a build fills from another field
            # (what a build puts when the fill knows none)
            if getattr(field, "unset_reads_none", False):  # (scapy reads None there, and fills at build)
                lines.append("    if x is None: return None")
            else:
                namespace[f"none{i}"] = field.none_wire  # type: ignore[attr-defined]
                lines.append(f"    if x is None: x = self._filled({i}) or none{i}")
        lines += [line[4:] for line in _public(field, "x", namespace)]
        check = field.fast_check("value")
        # (values shared with a frozen copy are a tuple: copied into a list of its own on a change)
        lines += [
            f"def set_{name}(self, value):",
            "    v = self._v",
            "    if v.__class__ is not list: v = self._mutable()",
            f"    v[{i}] = value if ({check}) else _c{i}(value)",
            "    self._ver += 1",
            f"def del_{name}(self):",
            "    v = self._mutable()",
            f"    v[{i}] = _d{i}",
            "    self._ver += 1",
        ]
    return lines


def reader_source(layout: Layout, namespace: dict[str, Any]) -> list[str]:
    """``read_NAME(buf, offset)`` for each fixed field: its public value at that offset."""
    lines = []
    for item in layout.items:
        for field in item.fields:
            lines += [f"def read_{field.name}(b, o):", f"    x = {view_read(field, item)}"]
            lines += [line[4:] for line in _public(field, "x", namespace, wire=True)]
    return lines


def compile_header(cls: type[Layer], fields: tuple[Field[Any], ...]) -> Layout:
    """Lay out ``cls``'s fields and install its generated constructor, codec and properties."""
    layout = lay_out(cls.__name__, fields)
    namespace: dict[str, Any] = {"_len": len}
    source = [
        *constructor_source(layout, namespace),
        *unpacker_source(layout, namespace),
        *packer_source(layout, namespace),
        *accessor_source(layout, namespace),
        *reader_source(layout, namespace),
    ]
    compile_source(f"{cls.__module__}.{cls.__qualname__}", source, namespace)
    init = namespace["__init__"]
    init.__doc__ = _init_doc(cls, fields)
    init.__qualname__ = f"{cls.__name__}.__init__"  # errors name the class: "TCP.__init__() got ..."
    cls._init_fields = init  # type: ignore[method-assign]
    if "__init__" not in cls.__dict__:  # a protocol may wrap it (keyword aliases): it calls _init_fields
        cls.__init__ = init  # type: ignore[method-assign]
    cls.header_len = layout.size
    if layout.items:
        cls._pack = namespace["_pack"]  # type: ignore[method-assign]
        cls._unpack = namespace["_unpack"]  # type: ignore[method-assign]
    for field in fields:
        name = field.name
        accessor = property(namespace[f"get_{name}"], namespace[f"set_{name}"], namespace[f"del_{name}"])
        accessor.__doc__ = field.doc
        setattr(cls, name, accessor)
        field.read = namespace.get(f"read_{name}")
    cls.slot = Positions(cls.__name__, "slot", {field.name: field.index for field in fields})
    cls.span = Positions(cls.__name__, "span", {field.name: field.span for field in fields if field.span})
    return layout


def _init_doc(cls: type[Layer], fields: tuple[Field[Any], ...]) -> str:
    lines = [f"{cls.__name__}: {(cls.__doc__ or '').strip().splitlines()[0] if cls.__doc__ else ''}", ""]
    for field in fields:
        default = "computed" if field.default is None and field.auto else repr(field.default)
        lines.append(f"{field.name}: {field.doc} (default {default})")
    return "\n".join(lines)
