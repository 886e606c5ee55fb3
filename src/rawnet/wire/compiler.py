"""The header compiler: from a Layer subclass's field table, its struct layout and generated code.

When a protocol class is created, Layer.__init_subclass__ hands its fields here once: the fixed
part of the header becomes one precompiled struct.Struct, and a keyword-only constructor, an
unpacker, a packer and a straight-from-the-buffer reader per field are generated as Python
source and compiled. Nothing here runs per packet; nothing here does I/O.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from rawnet.wire.addresses import AddressField
from rawnet.wire.fields import CHECKSUM, LENGTH, NEXT, Field, Var

if TYPE_CHECKING:
    from rawnet.wire.layer import Layer

_NO_POSITIONAL = object()


def _positional_error(layer: Layer) -> TypeError:
    name = type(layer).__name__
    first = layer.fields_desc[0].name
    return TypeError(
        f"{name}() takes fields as keywords ({name}({first}=...)); decode bytes with {name}.decode(data)"
    )


def stored_default(field: Field[Any]) -> Any:
    """The value a field holds when left at its default (after conversion)."""
    return getattr(field, "stored_default", field.default)


def compile_header(cls: type[Layer], fields: tuple[Field[Any], ...], names: dict[str, Any]) -> None:
    """Compute the fixed header's struct and compile __init__, _unpack and _pack for ``cls``.

    ``names``: what the generated code takes from layer.py (LAZY, _new).
    """
    namespace: dict[str, Any] = {**names, "_len": len}
    formats = []  # struct codes of the fixed header
    unpacked: list[str] = []  # names bound by the unpack statement
    values: list[str] = []  # expression of each field's stored value after unpack
    packed: list[str] = []  # expression of each struct item when packing
    readers: dict[Field[Any], str] = {}  # expression reading a field of a view straight from its buffer
    group: list[Field[Any]] = []
    group_bits = 0
    at = 0  # byte offset of the next struct item

    def read_item(code: str) -> str:
        if code == "B":
            return f"buf[offset + {at}]"
        if code == "H":
            return f"(buf[offset + {at}] << 8 | buf[offset + {at + 1}])"
        if code == "I":
            return f"int.from_bytes(buf[offset + {at} : offset + {at + 4}], 'big')"
        size = int(code[:-1])
        return f"buf[offset + {at} : offset + {at + size}]"

    def close_group() -> None:
        nonlocal group, group_bits, at
        code = {8: "B", 16: "H", 32: "I"}.get(group_bits)
        if code is None:
            raise TypeError(
                f"{cls.__name__}: bit fields {[f.name for f in group]} add up to {group_bits} bits"
            )
        formats.append(code)
        var = f"g{len(unpacked)}"
        unpacked.append(var)
        shift = group_bits
        parts = []
        raw = read_item(code)
        for field in group:
            shift -= field.bits
            mask = (1 << field.bits) - 1
            values[field.index] = f"({var} >> {shift}) & {mask}" if shift else f"{var} & {mask}"
            readers[field] = f"({raw} >> {shift}) & {mask}" if shift else f"{raw} & {mask}"
            parts.append(f"({_pack_value(field)} << {shift})" if shift else _pack_value(field))
        packed.append(" | ".join(parts))
        at += group_bits // 8
        group, group_bits = [], 0

    auto_names = [field.name for field in fields if field.auto in (LENGTH, CHECKSUM, NEXT)]
    for field in fields:
        values.append("None")
        if isinstance(field, AddressField):
            namespace[f"none{field.index}"] = field.none_wire
        if group or (field.bits and not field.fmt):
            group.append(field)
            group_bits += field.bits
            if group_bits % 8 == 0 and group_bits in (8, 16, 32):
                close_group()
            continue
        if not field.fmt:
            continue  # a variable part: the protocol decodes and encodes it
        formats.append(field.fmt)
        var = f"x{len(unpacked)}"
        unpacked.append(var)
        values[field.index] = var
        readers[field] = read_item(field.fmt)
        field.offset = at
        at += struct.calcsize("!" + field.fmt)
        packed.append(_pack_value(field))
    if group:
        close_group()

    cls._struct = struct.Struct("!" + "".join(formats))
    cls.header_len = cls._struct.size
    namespace["_unpack_from"] = cls._struct.unpack_from
    namespace["_struct_pack"] = cls._struct.pack

    # Constructor: keyword-only, one fast test per field, one list.
    params, body = [], []
    for field in fields:
        stored_default = field.default
        if stored_default is not None and not isinstance(field, Var):
            stored_default = field.convert(stored_default)
        field.stored_default = stored_default  # type: ignore[attr-defined]
        namespace[f"d{field.index}"] = stored_default
        namespace[f"c{field.index}"] = field.convert
        name = field.name
        params.append(f"{name}=d{field.index}")
        check = field.fast_check(name)
        index = field.index
        if field.cache is not None:
            namespace[f"k{index}"] = field.cache
            body.append(f"    if {name} is not d{index} and not ({check}):")
            body.append(
                f"        {name} = ({name}.__class__ is str and k{index}.get({name})) or c{index}({name})"
            )
        else:
            body.append(f"    if {name} is not d{index} and not ({check}): {name} = c{index}({name})")
    body.append(f"    self._v = [{', '.join(field.name for field in fields)}]")
    body.append("    self._payload = None")
    body.append("    self._built = None")
    body.append("    self._mode = 0")
    body.append("    self.padding = b''")
    # Fields are keywords only. They are declared positional-or-keyword behind a positional-only
    # guard, because CPython fills such defaults from a tuple, keyword-only ones from a dict.
    namespace["_NO_POSITIONAL"] = _NO_POSITIONAL
    namespace["_positional_error"] = _positional_error
    signature = f"self, _positional=_NO_POSITIONAL, /, {', '.join(params)}" if params else "self"
    guard = ["    if _positional is not _NO_POSITIONAL: raise _positional_error(self)"] if params else []
    source = [f"def __init__({signature}):", *guard, *body]

    if formats:
        target = ", ".join(unpacked) + ("," if len(unpacked) == 1 else "")
        source.append("def _unpack(self):")
        source.append(f"    {target} = _unpack_from(self._buf, self._off)")
        source.append(f"    values = self._v = [{', '.join(values)}]")
        source.append("    self._built = None  # views leave it unset: nothing reads it before _v exists")
        if any(not field.fmt and not field.bits for field in fields):
            source.append("    self._fill_variable(values)")
        source.append("    return values")
        source.append(f"def _pack(self, {', '.join(auto_names)}):")
        source.append("    v = self._v")
        source.append(f"    return _struct_pack({', '.join(packed)})")
    exec("\n".join(source), namespace)
    init = namespace["__init__"]
    init.__doc__ = _init_doc(cls, fields)
    init.__qualname__ = f"{cls.__name__}.__init__"  # errors name the class: "TCP.__init__() got ..."
    cls._init_fields = init  # type: ignore[method-assign]
    if "__init__" not in cls.__dict__:  # a protocol may wrap it (keyword aliases): it calls _init_fields
        cls.__init__ = init  # type: ignore[method-assign]
    if formats:
        cls._pack = namespace["_pack"]  # type: ignore[method-assign]
        cls._unpack = namespace["_unpack"]  # type: ignore[method-assign]
    for field in fields:
        reader = readers.get(field)
        if reader is None:
            field.read = None
            continue
        if field.wire_public is not None:
            namespace[f"_public{field.index}"] = field.wire_public
            reader = f"_public{field.index}({reader})"
        exec(f"def read(buf, offset):\n    return {reader}", namespace)
        field.read = namespace["read"]


def _pack_value(field: Field[Any]) -> str:
    """Source of the value packed for ``field``: auto fields come in as arguments."""
    if field.auto in (LENGTH, CHECKSUM, NEXT):
        return field.name
    if isinstance(field, AddressField):
        return f"(v[{field.index}] or none{field.index})"
    return f"v[{field.index}]"


def _init_doc(cls: type[Layer], fields: tuple[Field[Any], ...]) -> str:
    lines = [f"{cls.__name__}: {(cls.__doc__ or '').strip().splitlines()[0] if cls.__doc__ else ''}", ""]
    for field in fields:
        default = "computed" if field.default is None and field.auto else repr(field.default)
        lines.append(f"{field.name}: {field.doc} (default {default})")
    return "\n".join(lines)
