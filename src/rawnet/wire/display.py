"""Text renderings of packets: the field tree of show() and a hexdump.

Works on any object with Layer's reading interface; imports no protocol and does no I/O.
"""

from __future__ import annotations

import functools
import socket
from typing import Any

#: What show() leaves as None: the fields a build computes from the bytes (scapy shows them so).
_COMPUTED_AT_BUILD = ("length", "checksum")


def tree(packet: Any) -> str:
    """The field tree of a layer stack, one ``###[ Name ]###`` block per layer, each layer three
    columns further in, names in ten (scapy's layout). Lengths and checksums left None show as
    None; numbers and addresses a field takes from its payload or from another field show as
    they read (scapy's ``show()``; show2() shows the built packet)."""
    lines: list[str] = []
    indent = ""
    layer = packet
    while layer is not None:
        lines.append(f"###[ {type(layer).__name__} ]###")
        values = layer._values()
        for field in layer.fields_desc:
            stored = values[field.index]
            if stored is None and field.auto is not None and field.auto not in _COMPUTED_AT_BUILD:
                shown = getattr(layer, field.name)  # (the payload's number, a loopback source)
                stored = None if shown is None else field.convert(shown)
            lines.append(f"{indent}  {field.name:<10}= {field.display(stored)}")
        if layer.padding:
            lines.append(f"{indent}  {'padding':<10}= {layer.padding!r}")
        layer = layer.payload
        indent += "   "
    return "\n".join(lines)


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


def sprintf(packet: Any, fmt: str, relax: bool = True) -> str:
    """scapy's ``pkt.sprintf(fmt)``: ``%IP.src%``, ``%TCP.flags%``, ``%-15s,IP.dst%`` (a format),
    ``%IP:2.ttl%`` (the second IP layer), ``%.time%``, ``%%``, and ``{TCP:text}`` / ``{!TCP:text}``
    (text kept when the packet has, or has not, a TCP layer). A field no layer has is "??" (or
    an error with relax=False). Values are shown as their public value (text addresses, flag
    letters, numbers: rawnet reads no service or protocol name files)."""
    while "{" in fmt:
        start = fmt.rindex("{")
        end = fmt.find("}", start)
        if end < 0 or ":" not in fmt[start:end]:
            raise ValueError(f"sprintf: bad condition in {fmt!r} ({{LAYER:text}} or {{!LAYER:text}})")
        condition, text = fmt[start + 1 : end].split(":", 1)
        wanted = not condition.startswith("!")
        if _has_layer(packet, condition.lstrip("!")) != wanted:
            text = ""
        fmt = fmt[:start] + text + fmt[end + 1 :]
    out = []
    while "%" in fmt:
        at = fmt.index("%")
        out.append(fmt[:at])
        fmt = fmt[at + 1 :]
        if fmt[:1] in ("%", "(", ")"):
            out.append({"%": "%", "(": "{", ")": "}"}[fmt[0]])
            fmt = fmt[1:]
            continue
        end = fmt.find("%")
        if end < 0:
            raise ValueError(f"sprintf: unclosed directive %{fmt[:25]}")
        directive, fmt = fmt[:end], fmt[end + 1 :]
        form, _, target = directive.rpartition(",")
        out.append(_directive(packet, form or "s", target, relax))
    out.append(fmt)
    return "".join(out)


def _text(layer: Any, field: Any, value: Any) -> Any:
    """A field's value as scapy's sprintf writes it: a number's name (an EtherType, a protocol, an
    ICMP type), a port's service name from the system's services database (as scapy reads
    /etc/services), flags as letters, hex fields in hex; anything else as it reads."""
    if value.__class__ is not int:
        return value
    label = getattr(field, "labels", {}).get(value)
    if label is not None:
        return label
    names = getattr(field, "enum", None)
    if names is not None and value in names._value2member_map_:
        return names(value).name
    if field.name in ("sport", "dport") and layer.ports:
        service = _service(value, layer.ports.split("-")[0])
        if service is not None:
            return service
    return f"0x{value:x}" if getattr(field, "hex", False) else value


@functools.lru_cache(maxsize=1024)
def _service(port: int, protocol: str) -> str | None:
    """The service name of ``port`` (scapy's spelling: "ftp_data"), or None."""
    try:
        return socket.getservbyport(port, protocol).replace("-", "_")
    except (OSError, OverflowError):
        return None


def repr_value(layer: Any, field: Any, value: Any) -> str:
    """A field's value in a packet's repr, as scapy writes it: names, text unquoted, bytes and
    lists as Python writes them."""
    shown = _text(layer, field, value)
    return repr(shown) if isinstance(shown, bytes | list | tuple) else str(shown)


def _has_layer(packet: Any, name: str) -> bool:
    return any(type(layer).__name__ == name for layer in packet.layers())


def _directive(packet: Any, form: str, target: str, relax: bool) -> str:
    layer_name, _, name = target.rpartition(".")
    layer_name, _, number = layer_name.partition(":")
    raw = form.endswith("r")
    form = form[:-1] if raw else form
    layers = packet.layers()
    if not layer_name:
        chosen = layers[:1]
    else:
        chosen = [layer for layer in layers if type(layer).__name__ == layer_name][int(number or 1) - 1 :][:1]
    fields = [field for field in chosen[0].fields_desc if field.name == name] if chosen else []
    if name == "time":
        value: Any = packet.time
    elif fields:
        value = getattr(chosen[0], name)
        if raw:
            value = int(value) if isinstance(value, int) else value  # (flags as their number)
        else:
            value = _text(chosen[0], fields[0], value)
    elif chosen and name == "payload":  # (scapy: any attribute; a payload shows as its summary)
        value = chosen[0].payload
    elif relax:
        return "??"
    else:
        raise ValueError(f"sprintf: no {target} in {' / '.join(type(layer).__name__ for layer in layers)}")
    return ("%" + (form or "s")) % (value,)
