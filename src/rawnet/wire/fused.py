"""Stack codecs: a whole stack of fixed-layout headers built, rebuilt or decoded by one generated function.

gopacket's DecodingLayerParser idea, generated from the field tables instead of written by hand.
A stack's *shape* is the tuple of its classes (Ether, IP, TCP, Raw). For each shape met, this
module writes one Python function from the layers' layouts (compiler.py) and field rules
(fields.py: Length, Checksum, Next): one struct for all the headers, every computed field in
line, each checksum summed from the field values (2**16 is 1 modulo 0xFFFF, so a field's bytes
count as the integer they are, shifted by 8 bits when they end at an odd offset). Its decoding
twin, one per first class, is a decision tree over the registry: it checks every header of the
common stacks and makes their views in one go.

Built a second time, a packet keeps its last frame (``Frame``, in the outermost layer's
``_cache``) with the version each layer had when it was read. While no layer changed, a rebuild
returns that frame; when only the innermost header did (the raw-socket post's loop: change the
TCP seq, rebuild), it alone is packed again, its checksum summed from its own words and the
frame's sum of all the rest (RFC 1624's idea), behind the headers before it, kept joined. Any
other change builds the frame anew. A Frame is stored whole, in one assignment, and changes
after that only by one store of a new (version, frame) pair, so a build cut short (Ctrl-C) or
run by two threads at once never leaves bytes that look current but are not.

Neither decides anything on its own: a stack they cannot take as it is (options, padding, a
fragment, a length cutting the payload short, a field holding a set, a decoded view, anything
that would be an error) returns None and goes to the per-layer code, and
tests/wire/test_fused.py holds the two to the same bytes and the same views.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rawnet.errors import DecodeError
from rawnet.wire.checksum import FOLD
from rawnet.wire.codegen import compile_source
from rawnet.wire.compiler import Item, item_source, pack_value
from rawnet.wire.fields import Checksum, Field, FromPayload, Length, Next
from rawnet.wire.registry import LAYERS

if TYPE_CHECKING:
    from rawnet.wire.layer import Layer

#: Fused builders by shape, from a frozen tail and from layers (None: not a shape the codecs take).
TAIL_BUILDERS: dict[tuple[type[Layer], ...], Any] = {}
#: The same builders as nested dicts, by the tail's size then by class (Layer.build's lookup of the
#: usual shapes allocates no key): TAIL_BUILDERS_BY_SIZE[15][Ether][IP][TCP][Raw].
TAIL_BUILDERS_BY_SIZE: dict[int, dict[Any, Any]] = {}
BUILDERS: dict[tuple[type[Layer], ...], Any] = {}
FROZEN = 5  #: items per layer in a frozen tail (layer.py): class, values, padding, mode, view
#: Fused decoders by first class (False: no stack starts with it that the codecs take).
DECODERS: dict[type, Any] = {}
_MISSING = object()
#: How deep a decoding tree goes, and how often one class may appear on one of its paths (802.1ad
#: QinQ: twice). A path holds one network layer at most: tunnels are decoded by the generic code.
TREE_DEPTH = 5
TREE_REPEATS = 2

# What layer.py gives this module when it is imported (it imports this module, not the reverse).
_bound: dict[str, Any] = {}


def bind(
    lazy: Any,
    raw: type,
    decode_rest: Callable[[Any], None],
    generic: Callable[..., Any],
    depth_unit: int,
) -> None:
    """Receive layer.py's LAZY marker, Raw class, generic decoding loop and decoder, depth unit."""
    _bound.update(LAZY=lazy, Raw=raw, decode_rest=decode_rest, generic=generic, DEPTH_UNIT=depth_unit)
    _bound["decode"] = raw.__mro__[1].__dict__["decode"]  # Layer's own (Raw's base)


#: Classes whose ``decode`` is a generated tree, and the generated Frame classes: what a change to
#: the registry makes stale.
_INSTALLED: set[type[Layer]] = set()
_FRAMES: list[type] = []


def _stale(frame: Any, top: Layer) -> None:
    """Frame.rebuild of a frame made before the registry changed: its numbers may be old, build anew."""
    return None


def _forget() -> None:
    """The registry changed: Next numbers and decoding trees are generated anew when next needed."""
    TAIL_BUILDERS.clear()
    TAIL_BUILDERS_BY_SIZE.clear()
    BUILDERS.clear()
    DECODERS.clear()
    for cls in _INSTALLED:
        cls.decode = _bound["decode"]  # type: ignore[method-assign]  # Layer's own again
    _INSTALLED.clear()
    for frame in _FRAMES:
        frame.rebuild = _stale  # type: ignore[attr-defined]
    _FRAMES.clear()


LAYERS.on_change(_forget)


class _Once:
    """The ``_cache`` of a packet built once: nothing kept yet (a packet built once pays nothing)."""

    __slots__ = ()

    def rebuild(self, top: Layer) -> None:
        return None


ONCE = _Once()


# -- building ---------------------------------------------------------------------------------


def build(top: Layer, keep: bool) -> bytes | None:
    """``top``'s stack built in one go, or None when its shape is not one the codecs take.

    ``keep``: the packet was built before; keep this frame in ``top._cache`` for rebuilds.
    """
    payload = top._payload
    if payload.__class__ is tuple:
        if not keep:  # a frozen tail (what ``/`` made): built from it as it is
            shape = (top.__class__, *payload[::FROZEN])
            builder = TAIL_BUILDERS.get(shape, _MISSING)
            if builder is _MISSING:
                builder = _learn(shape)[0]
            if builder is None:
                return None
            data: bytes | None = builder(top, payload)
            if data is not None:
                top._cache = ONCE
            return data
        top.payload  # noqa: B018 - its own layers from now on: rebuilds compare their versions
        payload = top._payload
    nodes = [top]
    lazy = _bound["LAZY"]
    while payload is not None:
        if payload is lazy or payload.__class__ is tuple:
            return None  # a decoded tail, or a payload given since: the per-layer code takes it
        nodes.append(payload)
        payload = payload._payload
    shape = tuple([node.__class__ for node in nodes])
    builder = BUILDERS.get(shape, _MISSING)
    if builder is _MISSING:
        builder = _learn(shape)[1]
    if builder is None:
        return None
    data = builder(*nodes, keep)
    if data is not None and not keep:
        top._cache = ONCE
    return data


class _Header:
    """One header of a shape: its class, position, layout and byte offset in the frame."""

    def __init__(self, k: int, cls: type[Layer], offset: int) -> None:
        self.k, self.cls, self.offset = k, cls, offset
        self.layout = cls._layout
        self.size = self.layout.size
        self.items = self.layout.items
        self.item_of = {field.index: n for n, item in enumerate(self.items) for field in item.fields}
        self.alias: dict[int, str] = {}  #: items whose source is a plain name: no local of their own
        self.checksum: Field[Any] | None = None
        self.checksum_item = -1
        for field in self.layout.fields:
            if isinstance(field.rule, Checksum):
                self.checksum, self.checksum_item = field, self.item_of[field.index]

    def x(self, n: int) -> str:
        """The local holding struct item ``n`` of this header (or the name it is just another name for)."""
        return self.alias.get(n, f"x{self.k}_{n}")

    def rule(self) -> Checksum:
        assert self.checksum is not None and isinstance(self.checksum.rule, Checksum)
        return self.checksum.rule


def _buildable(shape: tuple[type[Layer], ...]) -> bool:
    raw = _bound["Raw"]
    headers = shape[:-1] if shape[-1] is raw else shape
    if not headers:
        return False
    for cls in headers:
        if cls is raw or not getattr(cls, "fused_build", False):
            return False
        for field in cls._layout.fields:
            if field.auto in ("length", "checksum", "next") and field.rule is None:
                return False  # computed by hand-written code only
            if isinstance(field.rule, Checksum):
                item = next(item for item in cls._layout.items if field in item.fields)
                if item.code != "H" or len(item.fields) != 1:
                    return False
    return True


def _shifted(source: str, odd: bool | int) -> str:
    """A sum placed at an odd byte offset counts 256 times (modulo 0xFFFF: its bytes swap halves)."""
    return f"({source} << 8)" if odd else source


def _plus(constant: int, variable: str) -> str:
    """Source of ``constant + variable`` (``variable`` may be empty), folded."""
    if not variable:
        return str(constant)
    return f"{variable} + {constant}" if constant else variable


class _BuildWriter:
    """The source of one shape's builder and of its Frame class (whose rebuild() packs again)."""

    def __init__(self, shape: tuple[type[Layer], ...]) -> None:
        self.shape = shape
        self.data = shape[-1] is _bound["Raw"]
        classes = shape[:-1] if self.data else shape
        self.headers: list[_Header] = []
        offset = 0
        for k, cls in enumerate(classes):
            self.headers.append(_Header(k, cls, offset))
            offset += cls._layout.size
        self.total = offset  #: bytes of all the headers (the data's offset in the frame)
        self.count = len(self.headers) + self.data  #: layers, data included
        self.namespace: dict[str, Any] = {"_from": int.from_bytes, "_struct_error": struct.error}
        self.covers: dict[int, list[_Header]] = {}  #: the headers each checksum covers
        self.providers: set[int] = set()  #: headers whose addresses a pseudo-header takes
        for header in self.headers:
            if header.checksum is not None:
                rule = header.rule()
                self.covers[header.k] = self.headers[header.k :] if rule.over == "all" else [header]
                provider = self.provider(header)
                if rule.pseudo is not None and provider is not None:
                    self.providers.add(provider.k)
        self.summed = {h.k for covered in self.covers.values() for h in covered}
        self.checksums = [h for h in reversed(self.headers) if h.checksum is not None]  # innermost first

    # -- pieces ---------------------------------------------------------------------------
    def provider(self, header: _Header) -> _Header | None:
        """The network layer whose pseudo-header ``header``'s checksum covers, if any."""
        if header.k == 0:
            return None
        above = self.headers[header.k - 1]
        return above if above.cls.pseudo_fields is not None else None

    def size(self, header: _Header, of: str) -> tuple[int, bool]:
        """The size of ``header``'s header, payload or both: a constant, plus the data's length D?"""
        after = self.total - header.offset - header.size
        constant = {"header": header.size, "payload": after, "all": header.size + after}[of]
        return constant, self.data and of != "header"

    def computed(self, header: _Header, field: Field[Any]) -> str:
        """Source of the value a Length or Next field computes (constant but for the data's length D)."""
        rule = field.rule
        if isinstance(rule, FromPayload):
            following = self.shape[header.k + 1] if header.k + 1 < len(self.shape) else None
            name = f"k{header.k}_from{field.index}"
            self.namespace[name] = rule.value(field, following)
            return name
        if isinstance(rule, Next):
            following = self.shape[header.k + 1] if header.k + 1 < len(self.shape) else None
            number = None if following is None else LAYERS.number(rule.space, following)
            return str(rule.default if number is None else number)
        assert isinstance(rule, Length)
        constant, data = self.size(header, rule.of)
        if not data:
            return str(constant // rule.scale + rule.bias)
        if rule.scale == 1:
            return _plus(constant + rule.bias, "D")
        return _plus(rule.bias, f"({_plus(constant, 'D')}) // {rule.scale}")

    def auto_lines(self, header: _Header) -> list[str]:
        """Each Length and Next field ``u{k}_{i}``: the user's value, or the computed one for a None."""
        lines = []
        k = header.k
        for field in header.layout.fields:
            if not isinstance(field.rule, Length | Next | FromPayload):
                continue
            name, computed = f"u{k}_{field.index}", self.computed(header, field)
            lines.append(f"if {name} is None: {name} = {computed}")
            if isinstance(field.rule, Length) and field.rule.of != "header":
                # a user's length shorter than the content cuts it short: the per-layer code decides
                lines.append(f"elif {name} < {computed}: return None")
        return lines

    def item_lines(self, header: _Header) -> list[str]:
        """Each struct item of ``header`` but its checksum; its sum ``s{k}``; its addresses ``A{k}``."""
        k = header.k
        lines = []

        def payload_var(name: str) -> str | None:  # (the next header's stored value of a field)
            if k + 1 >= len(self.headers):
                return None
            following = self.headers[k + 1]
            index = following.cls.slot.__dict__.get(name)
            return None if index is None else f"u{k + 1}_{index}"

        def value_of(field: Field[Any]) -> str:
            return pack_value(field, f"u{k}_{{}}".format, self.namespace, f"k{k}_", payload_var)

        pseudo = []
        if k in self.providers and header.cls.pseudo_fields is not None:
            pseudo = [header.item_of[getattr(header.cls.slot, name)] for name in header.cls.pseudo_fields]
        # The pseudo-header's addresses are summed once, as one number (each an even number of bytes
        # at an even offset, so their concatenation counts as their sum), and that sum is the
        # header's own for them too.
        together = bool(pseudo) and all(
            header.items[n].code.endswith("s")
            and not (header.items[n].offset | header.items[n].bits // 8) & 1
            for n in pseudo
        )
        terms = []
        for n, item in enumerate(header.items):
            if n == header.checksum_item:
                continue
            source = item_source(item, value_of)
            if source.isidentifier():
                header.alias[n] = source
            else:
                lines.append(f"{header.x(n)} = {source}")
            if together and n in pseudo:
                continue
            value = header.x(n)
            if item.code.endswith("s") and (k in self.summed or n in pseudo):
                lines.append(f"y{k}_{n} = _from({value}, 'big')")  # bytes count as the number they are
                value = f"y{k}_{n}"
            terms.append(_shifted(value, (item.offset + item.bits // 8) & 1))
        if together:
            lines.append(f"A{k} = _from({' + '.join(header.x(n) for n in pseudo)}, 'big')")
            terms.append(f"A{k}")
        elif pseudo:
            lines.append(f"A{k} = " + " + ".join(f"y{k}_{n}" for n in pseudo))
        if k in self.summed:
            lines.append(f"s{k} = {' + '.join(terms) or '0'}")
        return lines

    def constant(self, header: _Header) -> str:
        """Source of ``K{k}``: what ``header``'s checksum sums that moves only with the data (the data,
        the pseudo-header's protocol and length); "0" for nothing."""
        rule = header.rule()
        terms = []
        if rule.over == "all" and self.data:
            odd = (self.total - header.offset) & 1
            terms.append(f"(ds << 8 if {'not ' if odd else ''}D & 1 else ds)")
        if rule.pseudo is not None and self.provider(header) is not None:
            constant, data = self.size(header, "all")
            terms.append(_plus(constant + rule.pseudo, "D" if data else ""))
        return " + ".join(terms) or "0"

    def checksum_lines(
        self, header: _Header, fresh: Callable[[str, int], str], stored: str = ""
    ) -> list[str]:
        """``c{k}``: the user's checksum (``stored``: its source, else the unpacked value) or the one
        computed from the sums (``fresh`` names each)."""
        k, rule = header.k, header.rule()
        assert header.checksum is not None
        lines = [f"c{k} = {stored or f'u{k}_{header.checksum.index}'}", f"if c{k} is None:"]
        provider = self.provider(header)
        if rule.pseudo is not None and provider is None:
            return [*lines, f"    c{k} = 0  # no network layer above: nothing to sum (as the per-layer code)"]
        terms = []
        for inner in self.covers[k]:
            odd = (inner.offset - header.offset) & 1
            terms.append(_shifted(fresh("s", inner.k), odd))
            if inner is not header and inner.checksum is not None:
                item = inner.items[inner.checksum_item]
                terms.append(_shifted(fresh("c", inner.k), (odd + item.offset + 2) & 1))
        terms.append(fresh("K", k))
        if rule.pseudo is not None and provider is not None:
            terms.append(fresh("A", provider.k))
        lines.append(f"    N = {' + '.join(term for term in terms if term != '0')}")
        lines.append("    " + FOLD.format(n="N", t="t", c=f"c{k}"))
        if rule.zero:
            lines.append(f"    c{k} = c{k} or {rule.zero}")
        return lines

    def guard_lines(self, header: _Header) -> list[str]:
        """What the codecs do not take in one header: padding, options (a variable part)."""
        k = header.k
        lines = [f"if n{k}._pad: return None"]
        for field in header.layout.variable:
            lines.append(f"if u{k}_{field.index}: return None  # {field.name}: not a fixed layout")
        return lines

    def data_lines(self) -> list[str]:
        lines = [f"data = vd[{_bound['Raw'].slot.load}]", "D = len(data)"]
        if any(h.rule().over == "all" for h in self.checksums):
            # the data's sum, reduced (its number has as many bits as the data): 0 only for zeros
            lines += ["ds = _from(data, 'big')", "ds = ds % 0xFFFF or (0xFFFF if ds else 0)"]
        return lines

    def unpack_line(self, header: _Header) -> str:
        """``u{k}_{i}``: each stored value of header k, from ``v{k}`` in one unpacking."""
        names = [f"u{header.k}_{field.index}" for field in header.layout.fields]
        return f"{', '.join(names)}, = v{header.k}"

    def prologue(self, tail: bool) -> list[str]:
        """Each header's values ``v{k}`` and padding ``pad{k}`` (the data's: ``vd``, ``padd``), checked."""
        headers = self.headers
        names = [f"{h.k}" for h in headers] + (["d"] if self.data else [])
        if tail:
            lines = ["v0 = n0._v", "pad0 = n0._pad"]
            unpacked = [f"c{name}, v{name}, pad{name}, m{name}, w{name}" for name in names[1:]]
            lines.append(f"{', '.join(unpacked)}, = t")
            views = " or ".join(f"w{name}" for name in names[1:])  # (None, or a decoded view's tuple)
            lines.append(f"if v0 is None or {views}: return None  # decoded views: the per-layer code")
        else:
            # each version before the values it stands for (see rebuilder)
            lines = [
                f"ver{i} = n{i}._ver; v{name} = n{i}._v; pad{name} = n{i}._pad"
                for i, name in enumerate(names)
            ]
            lines.append(
                f"if {' or '.join(f'v{h.k} is None' for h in headers)}: return None  # decoded views"
            )
        lines += [self.unpack_line(header) for header in headers]
        guards = [f"pad{name}" for name in names]
        for header in headers:
            guards += [f"u{header.k}_{field.index}" for field in header.layout.variable]  # options
        lines.append(f"if {' or '.join(guards)}: return None  # padding, options: not a fixed layout")
        return lines + (self.data_lines() if self.data else [])

    # -- the builder ----------------------------------------------------------------------
    def builder(self, tail: bool) -> list[str]:
        headers = self.headers
        body = self.prologue(tail)
        work = []
        for header in headers:
            work += self.auto_lines(header)
        for header in headers:
            work += self.item_lines(header)
        for header in self.checksums:  # innermost first: an outer checksum covers the inner ones
            k = header.k
            if tail:  # (never kept: K is summed in place)

                def sums(kind: str, j: int) -> str:
                    return self.constant(self.headers[j]) if kind == "K" else f"{kind}{j}"

            else:
                work.append(f"K{k} = {self.constant(header)}")

                def sums(kind: str, j: int) -> str:
                    return f"{kind}{j}"

            work += self.checksum_lines(header, sums)
            header.alias[header.checksum_item] = f"c{k}"
        items = ", ".join(h.x(n) for h in headers for n in range(len(h.items)))
        self.namespace["_pack_all"] = struct.Struct("!" + "".join(h.layout.format for h in headers)).pack
        work.append(f"frame = _pack_all({items})")
        body += ["try:", *("    " + line for line in work)]
        body += [
            "except (TypeError, OverflowError, _struct_error):",
            "    return None  # a set, a value out of range",
        ]
        if self.data:
            body.append("if D: frame += data")
        if tail:
            return ["def build_tail(n0, t):", *("    " + line for line in body), "    return frame"]
        keep = self.keep_lines()
        body += ["if keep:", *("    " + line for line in keep), "return frame"]
        nodes = ", ".join(f"n{i}" for i in range(self.count))
        return [f"def build({nodes}, keep):", *("    " + line for line in body)]

    # -- the frame and its rebuild ----------------------------------------------------------
    def innermost_alone(self) -> bool:
        """Whether the innermost header can be packed again alone: no checksum but its own covers it."""
        k = self.headers[-1].k
        return not any(k in [h.k for h in self.covers[j]] for j in self.covers if j != k)

    def keep_lines(self) -> list[str]:
        """A new Frame for ``n0`` (``ver{i}``: each layer's version, read before its values were)."""
        *before, last = self.headers
        lines = ["f = Frame()"] + [f"f.n{i} = n{i}" for i in range(1, self.count)]
        lines += [f"f.ver{h.k} = ver{h.k}" for h in before]
        if self.data:
            d = len(self.headers)
            lines += [f"f.ver{d} = ver{d}", "f.data = data", "f.D = D"]
        if self.innermost_alone():
            lines.append(f"f.front = frame[:{last.offset}]")
            if last.checksum is not None:
                lines.append(f"f.Z = {self.z_source(last)}")
        lines += [
            f"f.last = (ver{last.k}, frame)",
            "n0._cache = f  # (one store: a Frame is whole or absent)",
        ]
        return lines

    def z_source(self, last: _Header) -> str:
        """Source of ``Z``: all the innermost header's checksum sums but its own words (K, and the
        pseudo-header's addresses): fixed while the headers before it and the data are."""
        provider = self.provider(last)
        if provider is None or last.rule().pseudo is None:
            return f"K{last.k}"
        return f"K{last.k} + A{provider.k}"

    def frame_class(self) -> list[str]:
        """The Frame: what one build of a packet saw. Only ``last`` changes after it is made (one
        store of a new tuple), so a Frame read at any moment, by any thread, is consistent."""
        *before, last = self.headers
        slots = [f"n{i}" for i in range(1, self.count)] + [f"ver{h.k}" for h in before]
        if self.data:
            slots += [f"ver{len(self.headers)}", "data", "D"]
        if self.innermost_alone():
            slots += ["front"] + (["Z"] if last.checksum is not None else [])
        slots.append("last")
        return [
            "class Frame:",
            '    """The last frame built from one packet, and what its layers were then (see fused.py)."""',
            f"    __slots__ = {tuple(slots)!r}",
            "    def rebuild(f, n0):",
            *("        " + line for line in self.rebuilder()),
        ]

    def rebuilder(self) -> list[str]:
        """Frame.rebuild: the last frame again while no layer changed; when only the innermost header
        did (the raw-socket post's loop), it alone packed again, its checksum summed from its own
        words and ``Z``, behind the headers before it, kept joined. A header before it changed:
        the shape's build, which keeps a new Frame. Another layer or new data: None (the shape is
        looked up anew).

        Each version is read before the values it stands for: a change made meanwhile (a thread, a
        signal handler) leaves a version that differs next time, never bytes that look current.
        """
        *before, last = self.headers
        k = last.k
        lines = []
        for i in range(1, self.count):
            lines += [f"n{i} = n{i - 1}._payload", f"if n{i} is not f.n{i}: return None  # another layer"]
        tip = f"n{self.count - 1}"
        if self.data:
            d = len(self.headers)
            lines.append(f"if {tip}._payload is not None or n{d}._ver != f.ver{d}: return None  # new data")
        else:
            lines.append(f"if {tip}._payload is not None: return None")
        if before:
            moved = " or ".join(f"n{h.k}._ver != f.ver{h.k}" for h in before)
            nodes = ", ".join(f"n{i}" for i in range(self.count))
            lines.append(f"if {moved}: return build({nodes}, True)  # a header before the innermost changed")
        lines += ["seen, frame = f.last", f"ver{k} = n{k}._ver", f"if ver{k} == seen: return frame"]
        if not self.innermost_alone():
            return [*lines, f"return build({', '.join(f'n{i}' for i in range(self.count))}, True)"]
        block = [f"v{k} = n{k}._v", self.unpack_line(last), *self.guard_lines(last)]
        block += self.auto_lines(last) + self.item_lines(last)
        if any(re.search(r"\bD\b", line) for line in block):
            block.insert(0, "D = f.D")  # (lengths that count the data)
        items = [last.x(n) for n in range(len(last.items))]
        if last.checksum is not None:

            def frame_sums(kind: str, j: int) -> str:
                return f"s{k}" if kind == "s" else "f.Z" if kind == "K" else "0"  # (Z holds A too)

            block += self.checksum_lines(last, frame_sums)
            items[last.checksum_item] = f"c{k}"
        self.namespace[f"_pack{k}"] = struct.Struct("!" + last.layout.format).pack
        block.append(f"h{k} = _pack{k}({', '.join(items)})")
        return [
            *lines,
            "try:",
            *("    " + line for line in block),
            "except (TypeError, OverflowError, _struct_error):",
            "    return None",
            f"frame = f.front + h{k}" + (" + f.data" if self.data else ""),
            f"f.last = (ver{k}, frame)",
            "return frame",
        ]


def _learn(shape: tuple[type[Layer], ...]) -> tuple[Any, Any]:
    """Generate the two builders of a shape (from a frozen tail, from layers), or note it has none."""
    tail_builder = builder = None
    if _buildable(shape):
        writer = _BuildWriter(shape)
        source = writer.frame_class() + writer.builder(False)
        if writer.count > 1:  # (a layer alone has no tail to build from)
            source += writer.builder(True)
        name = "build." + ".".join(cls.__name__ for cls in shape)
        namespace = compile_source(name, source, writer.namespace)
        tail_builder, builder = namespace.get("build_tail"), namespace["build"]
        _FRAMES.append(namespace["Frame"])
    TAIL_BUILDERS[shape], BUILDERS[shape] = tail_builder, builder
    if tail_builder is not None:
        level = TAIL_BUILDERS_BY_SIZE.setdefault(FROZEN * (len(shape) - 1), {})
        for cls in shape[:-1]:
            level = level.setdefault(cls, {})
        level[shape[-1]] = tail_builder
    return tail_builder, builder


# -- decoding ---------------------------------------------------------------------------------


def decoder_for(cls: type[Layer]) -> bool:
    """Generate and install ``cls.decode``'s tree now; whether ``cls`` has one."""
    installed = DECODERS[cls] = _generate_decoder(cls) is not None
    return installed


def plain_decoder(cls: type[Layer]) -> Any:
    """The tree of ``cls`` as ``decode(buf, mode)``, giving None where it steps aside (the tests
    compare it with the generic decoder); None when ``cls`` has no tree."""
    return _generate_decoder(cls, plain=True)


def _decodable(cls: type) -> bool:
    return bool(getattr(cls, "fused_decode", False)) and cls is not _bound["Raw"]


def _dispatch_of(cls: type[Layer]) -> list[tuple[str, Field[Any]]]:
    """(registry space, field) pairs a class's payload is chosen by, in the order tried."""
    pairs = [(f.rule.space, f) for f in cls.fields_desc if isinstance(f.rule, Next)]
    if cls.ports is not None:
        pairs += [(cls.ports, f) for name in ("dport", "sport") for f in cls.fields_desc if f.name == name]
    return pairs


def _at(base: int | str, offset: int) -> str:
    """Source of ``base + offset`` (``base`` a constant or a local), folded."""
    if isinstance(base, int):
        return str(base + offset)
    return f"{base} + {offset}" if offset else base


class _DecodeWriter:
    """The source of one first class's decoding tree: nested tests of the dispatch numbers.

    Offsets known when the source is written (every header before the first one of variable
    size) are constants; each struct item is read from the buffer once, into ``r{k}_{n}``.
    """

    def __init__(self, start: type[Layer]) -> None:
        self.start = start
        self.namespace: dict[str, Any] = {
            "_new": object.__new__,
            "LAZY": _bound["LAZY"],
            "_rest": _bound["decode_rest"],
            "_DecodeError": DecodeError,
        }

    def name(self, cls: type) -> str:
        name = f"{cls.__name__}_{id(cls):x}"
        self.namespace[name] = cls
        return name

    def item(self, cls: type[Layer], field: Field[Any]) -> tuple[int, Item]:
        return next((n, item) for n, item in enumerate(cls._layout.items) if field in item.fields)

    def read(
        self,
        cls: type[Layer],
        field: Field[Any],
        k: int,
        where: int | str,
        lines: list[str],
        seen: set[str],
        once: bool = False,
    ) -> str:
        """Source of a field of header ``k`` (at ``where``); what it reads from the buffer is read once,
        into a local (``once``: the caller reads it once, so no local unless one exists already).

        A bit field within one byte reads that byte alone; other fields read their struct item.
        """
        n, item = self.item(cls, field)
        span = field.span
        assert span is not None
        if len(item.fields) > 1 and len(span) == 1 and item.bits > 8:
            local = f"b{k}_{span.start}"
            source = f"buf[{_at(where, span.start)}]"
            shift = (span.stop - item.offset) * 8 - (item.bits - field.shift)  # within that byte
            bits = 8
        else:
            local = f"r{k}_{n}"
            source = self.raw(item, where)
            shift, bits = field.shift, item.bits
        if local not in seen:
            if once and len(item.fields) == 1:
                return source
            seen.add(local)
            lines.append(f"{local} = {source}")
        if shift + field.bits == bits:
            return f"({local} >> {shift})" if shift else local
        mask = (1 << field.bits) - 1
        return f"(({local} >> {shift}) & {mask})" if shift else f"({local} & {mask})"

    def raw(self, item: Item, where: int | str) -> str:
        if item.code == "B":
            return f"buf[{_at(where, item.offset)}]"
        if item.code == "H":
            return f"(buf[{_at(where, item.offset)}] << 8 | buf[{_at(where, item.offset + 1)}])"
        stop = item.offset + item.bits // 8
        if item.code == "I":
            return f"int.from_bytes(buf[{_at(where, item.offset)} : {_at(where, stop)}], 'big')"
        return f"buf[{_at(where, item.offset)} : {_at(where, stop)}]"

    def header(
        self, cls: type[Layer], k: int, where: int | str, end: str
    ) -> tuple[list[str], dict[str, Any]]:
        """Checks of header ``k`` at ``where`` in a region ending at ``end``.

        Returns the lines and what they found: ``payload`` (its start), ``stop`` (its end, the
        payload's), and ``read`` (the lines' reader, for the dispatch number).
        """
        lines: list[str] = []
        seen: set[str] = set()
        size = cls._layout.size
        lines.append(f"if {_at(where, size)} > {end}: BAIL")
        for field in cls.fields_desc:
            if field.must is not None:
                lines.append(f"if {self.read(cls, field, k, where, lines, seen)} != {field.must}: BAIL")
        masks: dict[int, int] = {}  # plain: each item's bits that must be zero, tested at once
        for name, mask in cls.plain.items():
            field = cls.get_field(name)
            n, item = self.item(cls, field)
            masks[n] = masks.get(n, 0) | mask << field.shift
            if f"r{k}_{n}" not in seen:
                seen.add(f"r{k}_{n}")
                lines.append(f"r{k}_{n} = {self.raw(item, where)}")
        for n, mask in masks.items():
            lines.append(f"if r{k}_{n} & {mask:#x}: BAIL  # not plain (a fragment...): per-layer")
        payload: int | str = where + size if isinstance(where, int) else f"{where} + {size}"
        stop = end
        for field in cls.fields_desc:
            rule = field.rule
            if not isinstance(rule, Length):
                continue
            value = self.read(cls, field, k, where, lines, seen, once=True)
            if rule.bias:
                value = f"({value} - {rule.bias})"
            if rule.scale != 1:
                value = f"{value} * {rule.scale}"
            if rule.of == "header":
                lines += [
                    f"h{k} = {value}",
                    f"if h{k} < {size} or {_at(where, 0)} + h{k} > {end}: BAIL",
                ]
                lines.append(f"p{k} = {_at(where, 0)} + h{k}")
                payload = f"p{k}"
            else:
                lines.append(f"t{k} = {value}")
                if rule.of == "all":
                    floor = f"h{k}" if payload == f"p{k}" else str(size)
                    lines.append(f"if t{k} < {floor} or {_at(where, 0)} + t{k} > {end}: BAIL")
                    lines.append(f"q{k} = {_at(where, 0)} + t{k}")
                else:
                    lines.append(f"if not t{k} or {payload} + t{k} > {end}: BAIL")
                    lines.append(f"q{k} = {payload} + t{k}")
                stop = f"q{k}"
        if isinstance(payload, str) and payload != f"p{k}":
            lines.append(f"p{k} = {payload}")
            payload = f"p{k}"
        return lines, {"payload": payload, "stop": stop, "seen": seen}

    def children(self, classes: list[type[Layer]]) -> list[tuple[int, type[Layer]]]:
        """The classes the tree goes on to after the path ``classes``, by dispatch number."""
        cls = classes[-1]
        dispatch = _dispatch_of(cls)
        if len(classes) >= TREE_DEPTH or not cls.dispatch_agrees or len(dispatch) != 1:
            return []  # ports (two numbers to try) end a path: the generic code goes on
        networks = sum(1 for cls in classes if cls.pseudo_fields is not None)
        out = []
        for number, child in sorted(LAYERS.table(dispatch[0][0]).items()):
            if not _decodable(child) or classes.count(child) >= TREE_REPEATS:
                continue
            if networks and child.pseudo_fields is not None:
                continue  # a tunnel: what is inside it, the generic decoder takes
            out.append((number, child))
        return out

    def path(self, classes: list[type[Layer]], flags: list[int], spots: list[dict[str, Any]]) -> list[str]:
        """The lines of the path ``classes`` (its last header checked here) and of its continuations."""
        k = len(classes) - 1
        cls = classes[-1]
        where = spots[-1]["where"]
        end = spots[-1]["end"]
        lines, found = self.header(cls, k, where, end)
        spot = {**spots[-1], **found}
        spots = [*spots[:-1], spot]
        children = self.children(classes)
        if children:
            number = self.read(cls, _dispatch_of(cls)[0][1], k, where, lines, found["seen"], once=True)
            lines.append(f"d{k} = {number}")
            for index, (value, child) in enumerate(children):
                child_flags = (flags[-1] | cls.payload_mode) & ~child.clears_mode
                lines.append(f"{'if' if index == 0 else 'elif'} d{k} == {value}:")
                below = {"where": found["payload"], "end": found["stop"]}
                inner = self.path([*classes, child], [*flags, child_flags], [*spots, below])
                lines += ["    " + line for line in inner]
        return lines + self.finish(classes, flags, spots, bool(children))

    def finish(
        self, classes: list[type[Layer]], flags: list[int], spots: list[dict[str, Any]], read: bool
    ) -> list[str]:
        """The path ends here: its views, then the generic decoder for whatever is below."""
        k = len(classes) - 1
        cls = classes[-1]
        depth = _bound["DEPTH_UNIT"]
        lines = []
        for j in range(k, -1, -1):
            node, spot = classes[j], spots[j]
            start, payload_start, stop, end = spot["where"], spot["payload"], spot["stop"], spot["end"]
            if j < k:
                payload = f"n{j + 1}"
            elif cls._leaf:
                payload = "LAZY"  # (the generic decoder leaves a leaf's payload undecoded, even empty)
            else:
                payload = f"LAZY if {payload_start} < {stop} else None"
            mode = "mode" + (f" + {j * depth}" if j else "") + (f" | {flags[j]}" if flags[j] else "")
            pad = "b''" if stop == end else f"buf[{stop}:{end}] if {stop} < {end} else b''"
            lines += [
                f"n{j} = _new({self.name(node)})",
                f"n{j}._v = None",
                f"n{j}._ver = 0",
                f"n{j}._buf = buf",
                f"n{j}._off = {start}",
                f"n{j}._poff = {payload_start}",
                f"n{j}._pend = {stop}",
                f"n{j}._mode = {mode}",
                f"n{j}._pad = {pad}",
                f"n{j}._payload = {payload}",
            ]
            if node._layout.variable and payload_start == f"p{j}":
                # options in the header: decoded and checked now, as its _decode does
                lines += [
                    f"if p{j} > {_at(start, node._layout.size)}:",
                    "    try:",
                    f"        n{j}._unpack()",
                ]
                lines += ["    except _DecodeError:", "        BAIL"]
        spot = spots[k]
        if not cls._leaf:
            dispatch = _dispatch_of(cls)
            if cls.dispatch_agrees and dispatch:
                # a number no class is registered for is Raw data, left undecoded (the generic decoder's
                # way); with nothing registered at all, nothing to look up
                tests = []
                for number, (space, field) in enumerate(dispatch):
                    table = LAYERS.table(space)
                    if not table:
                        continue
                    name = f"T{number}_{self.name(cls)}"
                    self.namespace[name] = table
                    value = (
                        f"d{k}"
                        if read and number == 0
                        else self.read(cls, field, k, spot["where"], lines, spot["seen"])
                    )
                    tests.append(f"{value} in {name}")  # (a class per number: never None)
                if tests:
                    lines.append(
                        f"if {spot['payload']} < {spot['stop']} and ({' or '.join(tests)}): _rest(n{k})"
                    )
            else:
                lines.append(f"if {spot['payload']} < {spot['stop']}: _rest(n{k})")
        lines.append("return n0")
        return lines


def as_bytes(cls: type[Layer], data: Any) -> bytes:
    """``data`` as bytes for ``cls``'s decoder: a bytearray or memoryview copied; anything else an error."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise DecodeError(
        cls.name,
        0,
        f"decodes bytes (bytes, bytearray or memoryview), got {type(data).__name__}: "
        f"to build one, give fields as keywords ({cls.__name__}(...=...))",
    )


def _generate_decoder(start: type[Layer], plain: bool = False) -> Any:
    """The decoding tree of stacks starting with ``start``, installed as ``start.decode`` (which hands
    what the tree does not take to the generic decoder); ``plain``: returned instead, as
    ``decode(buf, mode)`` giving None where the tree steps aside. None: ``start`` has no tree."""
    if not _decodable(start):
        return None
    writer = _DecodeWriter(start)
    body = ["e0 = len(buf)", *writer.path([start], [0], [{"where": 0, "end": "e0"}])]
    if plain:
        source = ["def decode(buf, mode):", *("    " + line.replace("BAIL", "return None") for line in body)]
        return compile_source(f"decode.{start.__name__}.plain", source, writer.namespace)["decode"]
    cls = writer.name(start)
    source = [
        "def decode(data, *, lenient=False):",
        f'    """{start.__name__}.decode(data, lenient=False): see Layer.decode (generated: fused.py)."""',
        f"    buf = data if data.__class__ is bytes else _as_bytes({cls}, data)",
        "    mode = 1 if lenient else 0  # (LENIENT)",
        *("    " + line.replace("BAIL", f"return _generic({cls}, buf, lenient)") for line in body),
    ]
    writer.namespace["_generic"] = _bound["generic"]
    writer.namespace["_as_bytes"] = as_bytes
    namespace = compile_source(f"decode.{start.__name__}", source, writer.namespace)
    # A static method (the class is written in it): no bound method to make at each call. Every
    # class has a decode of its own (Layer.__init_subclass__), so a subclass never inherits it.
    start.decode = staticmethod(namespace["decode"])  # type: ignore[method-assign]
    _INSTALLED.add(start)
    return namespace["decode"]
