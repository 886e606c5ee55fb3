"""Text renderings of packets: the field tree of show() and a hexdump.

Works on any object with Layer's reading interface; imports no protocol and does no I/O.
"""

from __future__ import annotations

from typing import Any


def tree(packet: Any) -> str:
    """The field tree of a layer stack, one ``###[ Name ]###`` block per layer (scapy's layout)."""
    lines: list[str] = []
    _tree(packet, lines, "")
    return "\n".join(lines)


def _tree(packet: Any, lines: list[str], indent: str) -> None:
    layer = packet
    while layer is not None:
        lines.append(f"{indent}###[ {type(layer).__name__} ]###")
        width = max((len(field.name) for field in layer.fields_desc), default=0)
        for field in layer.fields_desc:
            stored = layer._values()[field.index]
            lines.append(f"{indent}  {field.name.ljust(width)} = {field.display(stored)}")
        if layer.padding:
            lines.append(f"{indent}  {'padding'.ljust(width)} = {layer.padding!r}")
        layer = layer.payload


def hexdump(data: Any, dump: bool = False) -> str | None:
    """Print (or return, with dump=True) ``data`` (bytes or a packet) as offset, hex and ASCII
    (scapy's layout: upper-case hex)."""
    raw = data if isinstance(data, bytes | bytearray) else bytes(data)
    lines = []
    for offset in range(0, len(raw), 16):
        chunk = raw[offset : offset + 16]
        hex_part = " ".join(f"{byte:02X}" for byte in chunk)
        text = "".join(chr(byte) if 32 <= byte < 127 else "." for byte in chunk)
        lines.append(f"{offset:04x}  {hex_part:<47}  {text}")
    out = "\n".join(lines)
    if dump:
        return out
    print(out)
    return None


def fields_table(obj: Any, dump: bool = False) -> str | None:
    """scapy's ``ls(IP)`` / ``ls(pkt)``: each field's name, kind and default (and, for a packet,
    its value first). Print it, or return it with dump=True."""
    cls: Any = obj if isinstance(obj, type) else type(obj)
    lines = []
    for field in cls.fields_desc:
        kind = type(field).__name__ + (f" ({field.bits} bits)" if field.bits and not field.fmt else "")
        default = str(field.default)
        if isinstance(obj, type):
            lines.append(f"{field.name:<10} : {kind:<35} = ({default!r})")
        else:
            value = repr(getattr(obj, field.name))
            lines.append(f"{field.name:<10} : {kind:<35} = {value:<15} ({default!r})")
    text = "\n".join(lines)
    if dump:
        return text
    print(text)
    return None
