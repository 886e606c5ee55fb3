"""Layer: the base of every protocol header, and the packet machinery around it.

A protocol is a Layer subclass whose class body lists its fields (see fields.py); when the
class is created, __init_subclass__ has compiler.py lay the header out and generate its
constructor, codec and field properties. Stacking (``/``), lazy decoding, lookup by class,
packet sets, copy, equality, show/summary and verify live here once for all; the stack codecs
(fused.py) build and decode whole stacks of fixed-layout headers in one generated function.

Rules: no I/O, no globals read at run time; building never mutates the user's objects;
decoding raises only DecodeError; ``/`` never shares a layer between two packets.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, TypeVar

from rawnet.errors import BuildError, DecodeError, LimitError, MalformedError, TruncatedError
from rawnet.wire import display, fused
from rawnet.wire.addresses import AddressField
from rawnet.wire.checksum import fold
from rawnet.wire.compiler import (
    Layout,
    Positions,
    compile_header,
    merge_fields,
    payload_stored,
    stored_default,
)
from rawnet.wire.fields import (
    CHECKSUM,
    LENGTH,
    NEXT,
    Checksum,
    Field,
    FlagValue,
    FromPayload,
    Length,
    Next,
    UInt,
    ValueSet,
    Var,
    check_bytes,
)
from rawnet.wire.registry import LAYERS
from rawnet.wire.volatile import Volatile

L = TypeVar("L", bound="Layer")
LayerClass = type["Layer"]  #: a layer class (an alias: protocols have a field named ``type``)


class _Lazy:
    """Marks a decoded layer whose payload has not been decoded yet."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<lazy>"

    def __reduce__(self) -> str:
        return "LAZY"  # (the one marker: copies and unpickled packets get it, not a new one)


LAZY: Any = _Lazy()

# Decode modes, kept per layer and passed down to the layers it decodes.
LENIENT = 1  #: errors in inner layers become an Undecoded tail instead of raising
QUOTED = 2  #: inside an ICMP error: lengths and checksums describe bytes not all present
FRAGMENT = 4  #: inside an IP fragment: the transport checksum covers bytes not present
IN_IPV6 = 8  #: carried by IPv6 (a UDP checksum of 0 is then an error)
PARTIAL = 16  #: a header an ICMP error quotes only in part (its missing fields read 0)
#: cut short by the capture's snapshot length (decode_captured): lengths describe bytes the
#: capture did not keep, which is no error; a header cut short is an Undecoded tail
CUT = 32
DEPTH_UNIT = 1 << 8  #: one more level of nesting
MAX_DEPTH = 64  #: layers a decode goes down before LimitError
_DEPTH_LIMIT = (MAX_DEPTH + 1) * DEPTH_UNIT

_new = object.__new__
_DATA = (bytes, bytearray, str)  # what ``/`` turns into a Raw layer (a tuple: cheaper than a union)
_AUTO = (LENGTH, CHECKSUM, NEXT)
#: Names a field may not take: Layer's public names (known once Layer exists).
_RESERVED: frozenset[str] = frozenset()


def _reserved() -> frozenset[str]:
    global _RESERVED
    names = {name for name in dir(Layer) if not name.startswith("_")}
    names -= {name for name, value in vars(Layer).items() if isinstance(value, _Forward)}
    _RESERVED = frozenset(names) | {"slot", "span"}
    return _RESERVED


class _Forward:
    """scapy's attribute lookup: ``pkt.ttl`` on a layer without the field reads, sets or deletes
    it in the first layer below that has it. Put on Layer for every field name that some protocol
    declares (a class's own fields are properties of its own, found first); the lookup walks the
    stack only for names the layer lacks."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def holder(self, layer: Layer) -> Layer:
        name = self.name
        below = layer.payload
        while below is not None:
            if name in below.slot.__dict__:
                return below
            below = below.payload
        raise AttributeError(
            f"{type(layer).__name__} has no field {name!r}, nor has any layer it carries "
            f"({' / '.join(type(each).__name__ for each in layer.layers())})"
        )

    def __get__(self, layer: Layer | None, owner: type) -> Any:
        if layer is None:
            return self
        return getattr(self.holder(layer), self.name)

    def __set__(self, layer: Layer, value: Any) -> None:
        setattr(self.holder(layer), self.name, value)

    def __delete__(self, layer: Layer) -> None:
        delattr(self.holder(layer), self.name)


class Problem(NamedTuple):
    """A length or checksum that is not what the packet's content says it should be."""

    layer: str
    field: str
    found: Any
    expected: Any
    #: Which layer: its index in ``packet.layers()`` (names repeat: IP in IP, an ICMP quote).
    position: int = -1

    def __str__(self) -> str:
        def text(value: Any) -> str:
            checksum = self.field.endswith(("chksum", "cksum", "checksum"))
            return f"0x{value:04x}" if checksum and isinstance(value, int) else str(value)

        return f"{self.layer}.{self.field} is {text(self.found)}, should be {text(self.expected)}"


class Layer:
    """One protocol header and, through ``payload``, everything it carries.

    Build with keyword arguments and ``/``; ``bytes(pkt)`` gives the wire bytes, computing
    each field left as None. ``Cls.decode(data)`` reads bytes back; inner layers are
    decoded when first reached.

    What a layer holds: its field values in ``_v`` (a list; None for a decoded view whose
    fields are still in ``_buf`` at ``_off``), its payload in ``_payload`` (None; LAZY, the
    bytes ``_buf[_poff:_pend]`` not decoded yet; the next layer; or a *tail*: a tuple of frozen
    layers, what ``/`` made, turned into layers of this packet's own when first reached), what
    follows it in its frame in ``_pad``, and ``_ver``, which every change bumps: the stack
    codecs keep the last frame built (``_cache``) while the versions they saw hold.
    """

    __slots__ = (
        "_buf",
        "_cache",
        "_meta",
        "_mode",
        "_off",
        "_pad",
        "_payload",
        "_pend",
        "_poff",
        "_v",
        "_ver",
    )

    #: Short lowercase protocol name used in errors and summaries ("ipv4", "tcp").
    name: ClassVar[str] = "layer"
    #: All fields in header order (inherited fields first).
    fields_desc: ClassVar[tuple[Field[Any], ...]] = ()
    #: Size of the fixed header in bytes.
    header_len: ClassVar[int] = 0
    #: Each field's index in the values list (``IP.slot.ttl``), and its bytes in the fixed header
    #: (``IP.span.ttl``): generated per class; code names positions through them.
    slot: ClassVar[Positions]
    span: ClassVar[Positions]
    _layout: ClassVar[Layout]
    _auto_fields: ClassVar[tuple[Field[Any], ...]] = ()
    #: Fields with a Length rule, in header order: the default _decode reads them.
    _lengths: ClassVar[tuple[Field[Any], ...]] = ()
    #: Whether _build takes a ``limit``: the bytes an outer length leaves this layer (TCP does).
    takes_limit: ClassVar[bool] = False
    #: True when the payload is always Raw (no dispatch, and Layer's _next_layer).
    _leaf: ClassVar[bool] = True
    #: Port dispatch: the registry space that ports (``dport``, then ``sport``) are looked up in.
    ports: ClassVar[str | None] = None
    #: (live table, reader) pairs the default _next_layer tries in order (from a Next rule or ports).
    _dispatch: ClassVar[tuple[tuple[dict[int, type[Layer]], Any], ...]] = ()
    #: Whether _next_layer is the dispatch (registry lookup of the Next field) for every class the
    #: stack codecs decode; true for Layer's own. IPv4 says so for plain headers (not fragments).
    dispatch_agrees: ClassVar[bool] = True
    #: Mode flags this layer gives the layers it carries (IPv6: IN_IPV6).
    payload_mode: ClassVar[int] = 0
    #: Mode flags a layer of this class drops from the mode it is decoded with (IPv4: IN_IPV6).
    clears_mode: ClassVar[int] = 0
    #: Whether this layer passes its pseudo-header on to its payload (extension headers do).
    passes_pseudo: ClassVar[bool] = False
    #: The stack codecs (fused.py) may decode / build this class from its field rules: true for
    #: classes whose _decode / _build is Layer's own; a protocol with hand-written ones says so,
    #: and tests/wire/test_fused.py holds the codecs to its code.
    fused_decode: ClassVar[bool] = True
    fused_build: ClassVar[bool] = True
    #: Fields that must be zero (under a mask) for the stack codecs to take a header, and not the
    #: hand-written code (IPv4: a fragment).
    plain: ClassVar[dict[str, int]] = {}
    #: The fields giving the network layer's pseudo-header addresses (IP, IPv6).
    pseudo_fields: ClassVar[tuple[str, str] | None] = None
    #: Defaults this class gives the layer carrying it, by field name, for fields whose rule is
    #: FromPayload (scapy's overload_fields): Neighbour Discovery gives IPv6 hop limit 255.
    carrier: ClassVar[dict[str, Any]] = {}
    #: The class this one is the same format as, for equality (a quote's IPerror equals an IP).
    same_as: ClassVar[LayerClass | None] = None

    _v: Any  # list; None: a decoded view whose fields are still only in _buf; a tuple when frozen
    _payload: Any
    _buf: bytes
    _off: int
    _poff: int
    _pend: int
    _mode: int
    _pad: bytes
    _ver: int
    _cache: Any
    _meta: list[Any]  #: time, sniffed_on, direction, wirelen, sent_time: set on packets sent or captured

    def __init__(self, **fields: Any) -> None:  # replaced per class by the compiled constructor
        raise TypeError(f"{type(self).__name__} declares no fields")

    def _init_fields(self, _data: Any = None, /, **fields: Any) -> None:  # the compiled one, for wrappers
        raise TypeError(f"{type(self).__name__} declares no fields")

    # -- class creation ------------------------------------------------------------------
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "decode" not in cls.__dict__:  # (its own: a generated one never reaches a subclass)
            cls.decode = Layer.__dict__["decode"]  # type: ignore[method-assign]
        own = [value for value in cls.__dict__.values() if isinstance(value, Field)]
        reserved = _RESERVED or _reserved()
        for field in own:
            if field.name in reserved:
                raise TypeError(f"{cls.__name__}.{field.name}: the name belongs to Layer, choose another")
        # Every class is compiled, one with no fields of its own too: its errors name it.
        fields = merge_fields(cls.__name__, cls.fields_desc, own)
        cls.fields_desc = fields
        cls._auto_fields = tuple(f for f in fields if f.auto in _AUTO)
        cls._lengths = tuple(f for f in fields if isinstance(f.rule, Length))
        cls._layout = compile_header(cls, fields)
        for field in fields:  # (each name once; Layer's own names are not field names)
            if field.name not in Layer.__dict__:
                setattr(Layer, field.name, _Forward(field.name))
        dispatch: list[tuple[dict[int, type[Layer]], Any]] = []
        for field in fields:
            if isinstance(field.rule, Next):
                dispatch.append((LAYERS.table(field.rule.space), field.read))
        if cls.ports is not None:  # the destination port first, then the source port
            table = LAYERS.table(cls.ports)
            dispatch += [
                (table, field.read) for name in ("dport", "sport") for field in fields if field.name == name
            ]
        cls._dispatch = tuple(dispatch)
        cls._leaf = cls._next_layer is Layer._next_layer and not dispatch
        # A class with its own _next_layer, _decode or _build says whether the codecs may stand in
        # for it; one that says nothing is left to its own code.
        for method, claim in (
            ("_next_layer", "dispatch_agrees"),
            ("_decode", "fused_decode"),
            ("_build", "fused_build"),
        ):
            if method in cls.__dict__ and claim not in cls.__dict__:
                setattr(cls, claim, False)

    @classmethod
    def get_field(cls, name: str) -> Field[Any]:
        """The field called ``name`` (as scapy's ``get_field``): its doc, default, width, rule."""
        for field in cls.fields_desc:
            if field.name == name:
                return field
        raise AttributeError(f"{cls.__name__} has no field {name!r}")

    # -- stacking ------------------------------------------------------------------------
    def __truediv__(self, other: Layer | bytes | bytearray | str) -> Layer:
        # scapy's semantics: the result is a new stack; neither operand is changed or shared.
        # The result's top is a new layer; what follows it is a frozen tail (see _frozen_chain),
        # shared with other packets, being frozen, and thawed into layers of the packet's own when
        # first reached. The usual cases are written out here (this is the hot path of a build):
        # data, and a layer that carries nothing or a frozen tail.
        kind = other.__class__
        if kind is bytes:
            below: tuple[Any, ...] = (Raw, (other,), b"", 0, None)
        elif isinstance(other, Layer):
            if kind is Padding:  # scapy's Padding: bytes after the whole packet, in no length
                return self._padded(other)
            values = other._v
            tail = other._payload
            if tail is None and values is not None:  # a layer carrying nothing: the usual right operand
                if values.__class__ is list:  # shared from now on: the next change copies it (see _mutable)
                    values = other._v = tuple(values)
                below = (kind, values, other._pad, other._mode, None)
            else:
                below = _frozen_chain(other, False)
        elif isinstance(other, _DATA):
            below = (Raw, (check_bytes(other),), b"", 0, None)
        else:
            return NotImplemented
        top = _new(self.__class__)
        values = self._v
        tail = self._payload
        if values is None or tail is LAZY:
            top._buf, top._off, top._poff, top._pend = self._buf, self._off, self._poff, self._pend
        if values.__class__ is list:  # (a decoded layer changed since: its values are a list too)
            values = self._v = tuple(values)
        top._v = values
        top._mode = self._mode
        top._pad = self._pad
        top._ver = 0
        top._cache = None
        if tail is None:
            top._payload = below
        elif tail.__class__ is tuple and tail[-1] is None:
            top._payload = tail + below
        else:
            top._payload = _frozen_below(self, True) + below
        return top

    def __rtruediv__(self, other: bytes | bytearray | str) -> Layer:
        if isinstance(other, _DATA):
            return Raw._of(other) / self
        return NotImplemented

    # -- decoding ------------------------------------------------------------------------
    @classmethod
    def decode(cls: type[L], data: bytes | bytearray | memoryview, *, lenient: bool = False) -> L:
        """Decode ``data`` starting with this layer, down to the last header.

        Every header is checked now, but a header's fields are unpacked only when first read,
        and the final payload bytes are cut out only when reached (a view, smoltcp-style).
        Strict (the default): a malformed or truncated header raises DecodeError. Lenient: the
        first header that fails becomes an ``Undecoded`` layer holding the rest of the bytes and
        the reason, so what decoded is kept and nothing is lost.

        A class that starts common stacks (Ether, IP, ...) gets a generated decode of its own on
        its first decode (fused.py): the same result, the common stacks in one function.
        """
        if data.__class__ is not bytes:
            data = fused.as_bytes(cls, data)
        if cls not in _decoders and fused.decoder_for(cls):
            return cls.decode(data, lenient=lenient)  # (now the generated one)
        return _generic(cls, data, lenient)

    @classmethod
    def decode_captured(
        cls: type[L], data: bytes | bytearray | memoryview, wirelen: int | None, *, lenient: bool = True
    ) -> L:
        """Decode a captured frame that was ``wirelen`` bytes long on the wire (None: as long as
        ``data``), leniently by default.

        When the capture kept fewer bytes (its snapshot length cut the frame), a length field
        saying more than is there describes the bytes it did not keep: the headers decode what is
        there, marked as cut (``CUT``: verify() then judges none of their lengths and checksums),
        and a header itself cut short ends in an Undecoded tail, also marked; the packet's
        ``wirelen`` is set. A frame kept whole
        decodes as ``decode`` does: there, a length saying more than the frame holds is malformed.
        """
        if wirelen is None or wirelen <= len(data):
            return cls.decode(data, lenient=lenient)
        buf = bytes(data)
        try:
            packet = cls._decode_chain(buf, CUT | (LENIENT if lenient else 0))
        except DecodeError as error:
            if not lenient:
                raise
            packet = Undecoded._make(buf, 0, len(buf), error, CUT)  # type: ignore[assignment]
        packet.wirelen = wirelen  # (it knows it was cut: tcpdump's lengths on the wire are read from it)
        return packet

    @classmethod
    def _positional(cls: type[L], data: Any) -> L:
        """scapy's ``IP(data)``: decoded leniently. A first header whose length says more than
        there is decodes as an ICMP error's quote does (what is there, read); its lengths are then
        judged as any (verify() reports them). Another first header that does not decode raises."""
        decoded = cls.decode(data, lenient=True)  # (a DecodeError naming the fix for what is not bytes)
        if type(decoded) is cls:
            return decoded
        try:
            decoded = cls._decode_chain(bytes(data), LENIENT | QUOTED)
        except TruncatedError:
            cls.decode(data)  # its DecodeError
            raise
        for layer in decoded.layers():
            layer._mode &= ~QUOTED
        return decoded

    @classmethod
    def _decode_chain(cls: type[L], buf: bytes, mode: int) -> L:
        """The generic decoder: this layer's _decode, then each next header's, down to a leaf."""
        top = cls._decode(buf, 0, len(buf), mode)
        _decode_rest(top)
        return top

    @classmethod
    def _decode(cls: type[L], buf: bytes, offset: int, end: int, mode: int) -> L:
        """Decode one header at ``offset`` (its bytes end at ``end``); protocols override this.

        The default reads the class's Length fields (fields.py), in order, as the stack codecs do:
        "header" ends the header (options between), "all" ends the layer and "payload" its payload
        (what follows, to ``end``, is padding); without them the header is fixed and the payload
        runs to ``end``.
        """
        size = cls.header_len
        if offset + size > end:
            raise cls._truncated(offset, end)
        payload, stop = offset + size, end
        for field in cls._lengths:
            rule = field.rule
            assert isinstance(rule, Length) and field.read is not None
            count = (field.read(buf, offset) - rule.bias) * rule.scale
            what = f"{field.name} says {count} bytes"
            if rule.of == "payload":
                if payload + count > end:
                    raise TruncatedError(cls.name, offset, f"{what} of payload, {end - payload} left")
                stop = payload + count
                continue
            floor = size if rule.of == "header" else payload - offset
            if count < floor:
                raise MalformedError(cls.name, offset, f"{what}, fewer than its {floor}-byte header")
            if offset + count > end:
                raise TruncatedError(cls.name, offset, f"{what}, {end - offset} left")
            if rule.of == "header":
                payload = offset + count
            else:
                stop = offset + count
        layer = cls._view(buf, offset, payload, stop, mode)
        if stop < end:
            layer._pad = buf[stop:end]
        if payload > offset + size:
            layer._unpack()  # (the variable part: options)
        return layer

    @classmethod
    def _view(cls: type[L], buf: bytes, offset: int, payload_start: int, payload_end: int, mode: int) -> L:
        """A decoded layer over ``buf``: its fields are unpacked when first needed."""
        layer = _new(cls)
        layer._v = None
        layer._ver = 0
        layer._buf = buf
        layer._off = offset
        layer._poff = payload_start
        layer._pend = payload_end
        layer._payload = LAZY
        layer._mode = mode
        layer._pad = b""
        return layer

    @classmethod
    def _truncated(cls, offset: int, end: int) -> TruncatedError:
        return TruncatedError(
            cls.name, offset, f"{end - offset} bytes left, the header needs {cls.header_len}"
        )

    def _unpack(self) -> list[Any]:  # compiled per class
        """Unpack a view's fields into ``_v`` and return them."""
        raise NotImplementedError

    def _fill_variable(self, values: list[Any]) -> None:
        """Set the variable fields of a view being unpacked (options...); protocols override."""

    def _values(self) -> list[Any]:
        """The stored field values, unpacking a view first."""
        values = self._v
        return values if values is not None else self._unpack()

    def _mutable(self) -> list[Any]:
        """The stored field values, as a list of this layer's own to change (the caller bumps _ver).

        Values are shared as a tuple between a layer and the frozen copies ``/`` and copy() make
        of it (they never change); the first change copies them into a list (copy on write).
        """
        values = self._v
        if values is None:
            return self._unpack()
        if values.__class__ is not list:
            values = self._v = list(values)
        return values

    def _pack(self, *auto: Any) -> bytes:  # compiled per class
        raise NotImplementedError

    def _next_layer(self) -> tuple[LayerClass, int]:
        """The class of the payload and extra mode flags for it; protocols override.

        The default looks the class's dispatch fields up in the registry: the Next field
        (EtherType, protocol), or the ports (the destination first).
        """
        buf, offset = self._buf, self._off
        for table, read in self._dispatch:
            cls = table.get(read(buf, offset))
            if cls is not None:
                return cls, self.payload_mode
        return Raw, 0

    def _decode_payload(self, raw_stays_lazy: bool = False) -> Layer | None:
        offset, end = self._poff, self._pend
        if offset >= end:
            return None
        mode = self._mode + DEPTH_UNIT
        if mode >= _DEPTH_LIMIT:
            error = LimitError(self.name, offset, f"more than {MAX_DEPTH} nested layers")
            if mode & LENIENT:
                return Undecoded._make(self._buf, offset, end, error)
            raise error
        try:
            cls, extra = self._next_layer()
            if cls is Raw and raw_stays_lazy:
                return LAZY  # type: ignore[no-any-return]
            mode |= extra
            return cls._decode(self._buf, offset, end, mode)
        except DecodeError as failure:
            if mode & QUOTED and isinstance(failure, TruncatedError):
                # An ICMP error quotes as much as fit: a header cut short stays raw bytes.
                return Raw._decode(self._buf, offset, end, mode)
            if mode & LENIENT:
                return Undecoded._make(self._buf, offset, end, failure, mode & CUT)
            raise

    @property
    def payload(self) -> Layer | None:
        """The next layer, or None for the last one."""
        return _below(self)

    @payload.setter
    def payload(self, layer: Layer | bytes | None) -> None:
        """Replace what this layer carries by a copy of ``layer`` (a layer, or data for a Raw one)."""
        self._values()
        if layer is None:
            self._payload = None
        elif isinstance(layer, _DATA):
            self._payload = (Raw, (check_bytes(layer),), b"", 0, None)
        else:
            self._payload = _frozen_chain(layer, False)
        self._ver += 1

    @property
    def padding(self) -> bytes:
        """What follows this layer in its frame, outside its length (an Ethernet trailer...)."""
        return self._pad

    @padding.setter
    def padding(self, value: bytes) -> None:
        self._values()
        self._pad = check_bytes(value)
        self._ver += 1

    # -- building ------------------------------------------------------------------------
    def build(self) -> bytes:
        """The wire bytes, computing every field left as None. The layers are not changed."""
        payload = self._payload
        cache: Any = self._cache if self._v is not None else False  # (a decoded view: per-layer, its bytes)
        if cache is None and payload.__class__ is tuple:  # a first build, from a frozen tail as it is
            # The shape's builder, by its classes (each layer's is the first of its FROZEN items),
            # written out for the usual sizes: a lookup with no key to allocate.
            try:
                size = len(payload)
                if size == 15:
                    builder = _by_size[15][self.__class__][payload[0]][payload[5]][payload[10]]
                elif size == 10:
                    builder = _by_size[10][self.__class__][payload[0]][payload[5]]
                elif size == 20:
                    builder = _by_size[20][self.__class__][payload[0]][payload[5]][payload[10]][payload[15]]
                else:
                    builder = _tail_builders.get((self.__class__, *payload[::FROZEN]))
            except KeyError:
                builder = None
            if builder is not None:
                try:
                    data = builder(self, payload)
                except TypeError:  # a value the builder cannot add (random data): the per-layer code
                    data = None
                if data is not None:
                    self._cache = ONCE
                    return data  # type: ignore[no-any-return]
        if cache is not False:
            try:
                if cache is None:
                    data = fused.build(self, False)
                else:
                    data = cache.rebuild(self)  # the last frame, if its layers' versions still hold
                    if data is None:
                        data = fused.build(self, True)
            except TypeError:  # a value the builders cannot add (random data): the per-layer code
                data = None
            if data is not None:
                return data  # type: ignore[no-any-return]
        try:
            data = self._build(None)
        except (struct.error, TypeError, OverflowError, AttributeError) as error:
            drawn = self._drawn()
            if drawn is not None:  # random values (RandShort()...): this build's draw
                return drawn.build()
            raise self._diagnose(error) from None
        return data if data.__class__ is bytes else bytes(data)

    def _drawn(self) -> Layer | None:
        """A copy with a value drawn for each random field value, or None when there is none."""
        clone = self.copy()
        found = False
        for layer in clone.layers():
            values = layer._values()
            for field in layer.fields_desc:
                value = values[field.index]
                if isinstance(value, Volatile):
                    layer._mutable()[field.index] = field.convert(value.draw())
                    found = True
        return clone if found else None

    __bytes__ = build

    def _build(self, pseudo: bytes | None) -> bytes:
        """This layer and its payload; ``pseudo`` is the network layer's pseudo-header addresses.

        Layer's own follows the field rules: Next fields from the payload's class, Length
        fields from the sizes, and the Checksum last, over the bytes it covers.
        """
        values = self._values()
        variable = self._encode_variable(values)
        payload = self._build_payload(pseudo if self.passes_pseudo else None)
        header_len = self.header_len + len(variable)
        computed: list[int] = []
        checksum = None
        for field in self._auto_fields:
            value = values[field.index]
            rule = field.rule
            if value is None:
                if isinstance(rule, Length):
                    value = rule.value(header_len, len(payload))
                    maximum = getattr(field, "maximum", value)
                    if value > maximum:
                        raise BuildError(
                            f"{self.name}.{field.name} would be {value}, over its {maximum}",
                            layer=self.name,
                            field=field.name,
                            value=value,
                            source=self,
                        )
                elif isinstance(rule, Next):
                    value = LAYERS.number_for(rule.space, self._payload, rule.default)
                elif isinstance(rule, FromPayload):
                    value = rule.value(field, None if self._payload is None else self._payload.__class__)
                elif isinstance(rule, Checksum):
                    checksum = (len(computed), rule)
                    value = 0
                else:
                    value = 0
            computed.append(value)
        header = self._pack(*computed) + variable
        if checksum is not None:
            at, rule = checksum
            covered = header if rule.over == "header" else header + payload
            if rule.pseudo is None:
                value = fold(int.from_bytes(covered, "big") << (8 * (len(covered) & 1)))
            elif pseudo is None:
                value = 0  # no network layer: nothing to sum over (scapy sends 0 too)
            else:
                number = int.from_bytes(covered, "big") << (8 * (len(covered) & 1))
                value = fold(number + int.from_bytes(pseudo, "big") + rule.pseudo + len(covered))
                value = value or rule.zero
            computed[at] = value
            header = self._pack(*computed) + variable
        return header + payload + self._pad

    def _encode_variable(self, values: list[Any]) -> bytes:
        """The header's variable part (options), after its fixed part; protocols override."""
        return b""

    def _build_payload(self, pseudo: bytes | None) -> bytes:
        payload = self._payload
        if payload is None:
            return b""
        if payload is LAZY:
            return self._buf[self._poff : self._pend]
        if payload.__class__ is tuple:
            payload = _thaw_tail(self)
        if payload._v is not None:
            if payload.__class__ is Raw and payload._payload is None and not payload._pad:
                return payload._v[_LOAD]  # type: ignore[no-any-return]  # data: the usual last layer
            return payload._build(pseudo)  # type: ignore[no-any-return]
        if payload._payload is LAZY:  # an untouched decoded view and its tail: the bytes as they were
            return payload._buf[payload._off : payload._pend] + payload._pad  # type: ignore[no-any-return]
        return payload._build(pseudo)  # type: ignore[no-any-return]

    def _diagnose(self, error: Exception) -> BuildError:
        for layer in self.layers():
            for field in layer.fields_desc:
                stored = layer._values()[field.index]
                label = f"{type(layer).__name__}.{field.name}"
                if isinstance(stored, ValueSet):
                    return BuildError(
                        f"{label} holds {len(stored)} values: iterate the packet (for p in pkt) "
                        "to build each one"
                    )
                if isinstance(field, UInt) and stored is not None and not (0 <= stored <= field.maximum):
                    return BuildError(f"{label} must be 0..{field.maximum}, got {stored!r}")
                if stored is None and field.auto is None and not isinstance(field, Var | AddressField):
                    return BuildError(f"{label} is None and {layer.name} does not compute it")
        return BuildError(f"cannot build {self.summary_safe()}: {error}")

    def __bool__(self) -> bool:
        return True

    def _filled(self, index: int) -> Any:
        """What a build puts in the address at ``index`` left None, from its ``fill``, or None."""
        field: Any = self.fields_desc[index]
        other, fill = field.fill
        if other.startswith("payload."):
            return fill(payload_stored(self, other[8:]))
        source = self.fields_desc[field.siblings[other]]
        value = self._values()[source.index]
        if value is None and isinstance(source.rule, FromPayload):
            payload = self.payload
            value = source.rule.value(source, None if payload is None else payload.__class__)
        return fill(value)

    def _hand_number(self, field: Field[Any]) -> Any:
        """What a build puts in ``field``, a NEXT field its protocol computes by hand; protocols
        with one override this (IPv6 extension headers: their next header)."""
        return None

    def _next_number(self, index: int) -> Any:
        """What a build puts in the Next or FromPayload field at ``index`` left None (its getter's)."""
        field = self.fields_desc[index]
        payload = self.payload
        rule = field.rule
        if rule is None:  # a number the protocol computes by hand
            return self._hand_number(field)
        if isinstance(rule, FromPayload):
            return field.public(rule.value(field, None if payload is None else payload.__class__))
        assert isinstance(rule, Next)
        return LAYERS.number_for(rule.space, payload, rule.default)

    def __len__(self) -> int:
        """The length of the built packet (scapy's ``len(pkt)``)."""
        try:
            return len(self.build())
        except BuildError as error:
            if any(isinstance(value, ValueSet) for layer in self.layers() for value in layer._values()):
                # (a TypeError: what list(), which asks for a length first, passes over)
                raise TypeError(f"len() of a packet set: {error}") from None
            raise

    # -- receive metadata (scapy's names): set on packets that were sent or captured ------------
    # (descriptors of Layer's, made below the class: _Meta)
    time: Any
    sniffed_on: Any
    direction: Any
    wirelen: Any
    sent_time: Any

    # -- walking the stack ---------------------------------------------------------------
    def layers(self) -> list[Layer]:
        """Every layer from this one down, decoding lazy ones."""
        out = []
        layer: Layer | None = self
        while layer is not None:
            out.append(layer)
            layer = _below(layer)
        return out

    def __getitem__(self, cls: type[L]) -> L:
        layer: Any = self
        while True:  # exact classes first: the usual case, and the cheapest test
            if layer.__class__ is cls:
                return layer
            payload = layer._payload
            kind = payload.__class__
            if kind is _Lazy:
                payload = layer._payload = layer._decode_payload()
            elif kind is tuple:
                payload = _thaw_tail(layer)
            if payload is None:
                break
            layer = payload
        if isinstance(cls, slice):  # scapy's pkt[IP:2]: the second IP layer
            return self._nth(cls)
        if cls is Padding or not issubclass(cls, Layer):  # (options: IPOption_LSRR, Jumbo)
            found: L = self._nth(slice(cls, 1))
            return found
        layer = self
        while layer is not None:  # then subclasses (ICMPv6EchoRequest for ICMPv6, ...)
            if isinstance(layer, cls):
                return layer
            layer = layer._payload
        raise IndexError(f"layer {cls.__name__} not found in {type(self).__name__}")

    def _nth(self, which: slice) -> Any:
        cls, number = which.start, 1 if which.stop is None else which.stop
        if not (isinstance(cls, type) and isinstance(number, int)):
            raise TypeError(f"a layer is looked up as pkt[Class] or pkt[Class:n], got {which!r}")
        found = self.getlayer(cls, number)
        if found is None:
            raise IndexError(f"layer {cls.__name__} number {number} not found in {type(self).__name__}")
        return found

    def getlayer(self, cls: type[L], nb: int = 1) -> L | None:
        """The ``nb``-th layer of class ``cls`` (1 = the first), or None. An option class
        (IPOption_LSRR, Jumbo: scapy's are packets) gives the first such option of the packet."""
        if not issubclass(cls, Layer):
            finder = getattr(cls, "find_in", None)
            if finder is None:
                raise TypeError(f"a packet holds layers and options, not {cls.__name__}")
            found: L | None = finder(self) if nb == 1 else None
            return found
        layer: Layer | None = self
        while layer is not None:  # (as layers(), without making the list)
            if isinstance(layer, cls):
                nb -= 1
                if nb == 0:
                    return layer
            layer = _below(layer)
        if cls is Padding:  # (the padding is kept by the layers it follows: shown as scapy's layer)
            padding = [layer._pad for layer in self.layers() if layer._pad]
            if len(padding) >= nb:
                shown: Any = Padding(load=padding[nb - 1])
                return shown  # type: ignore[no-any-return]
        return None

    def _padded(self, padding: Layer) -> Layer:
        """``self / Padding(...)``: a copy whose padding, after everything it carries, grows."""
        top = self.copy()
        top._pad = self._pad + padding._values()[_LOAD] + padding._pad
        return top

    def haslayer(self, cls: type[Layer]) -> bool | int:
        """Whether a layer of class ``cls`` is in the stack: True, or 0 (scapy's values)."""
        return True if self.getlayer(cls) is not None else 0

    def __contains__(self, cls: type[Layer]) -> bool:
        return self.getlayer(cls) is not None

    # -- packet sets ---------------------------------------------------------------------
    def __iter__(self) -> Iterator[Layer]:
        """Every packet of the set this packet describes (itself, when no field holds a set)."""
        chain = self.layers()
        # scapy's order: the outer layer's sets change slowest, and in a layer the last field's
        spots = [
            (depth, index, stored)
            for depth, layer in enumerate(chain)
            for index, stored in reversed(list(enumerate(layer._values())))
            if isinstance(stored, ValueSet)
        ]
        if not spots:
            yield self
            return
        yield from self._combinations(spots, 0, {})

    def _combinations(
        self, spots: list[tuple[int, int, ValueSet]], at: int, chosen: dict[tuple[int, int], Any]
    ) -> Iterator[Layer]:
        if at == len(spots):
            packet = self.copy()
            chain = packet.layers()
            for (depth, index), value in chosen.items():
                chain[depth]._mutable()[index] = value
            yield packet
            return
        depth, index, values = spots[at]
        for value in values.stored():
            chosen[depth, index] = value
            yield from self._combinations(spots, at + 1, chosen)

    # -- copy and equality ---------------------------------------------------------------
    def copy(self: L) -> L:
        """A deep copy of this layer and its payload (decoded bytes are shared, they are immutable)."""
        top = _clone(self)
        meta = getattr(self, "_meta", None)
        if meta is not None:
            top._meta = list(meta)
        payload = self._payload
        if payload is LAZY:
            top._payload = LAZY
        elif payload is not None:
            top._payload = payload if payload.__class__ is tuple else _frozen_below(self, False)
        return top

    def __copy__(self: L) -> L:
        return self.copy()  # (a layer carries its payload: a shallow copy would share it)

    def __deepcopy__(self: L, memo: object) -> L:
        return self.copy()

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """What pickle keeps: everything but the last frame built (made again when needed)."""
        state = {name: getattr(self, name) for name in Layer.__slots__ if hasattr(self, name)}
        state["_cache"] = None
        return None, state

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) and (
            not isinstance(other, Layer)
            or (type(other).same_as or type(other)) is not (type(self).same_as or type(self))
        ):
            return NotImplemented
        assert isinstance(other, Layer)
        if tuple(self._values()) != tuple(other._values()) or self._pad != other._pad:
            return False
        return self.payload == other.payload

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """scapy's layout, ``<IP  ttl=10 |<TCP  dport=http |>>``: the fields given (every field of
        a decoded layer), the numbers a payload gives, values as scapy writes them (names)."""
        given = self.fields
        values = self._values()
        payload = self.payload
        parts = []
        for field in self.fields_desc:
            if field.name in given:
                value = given[field.name]
            elif values[field.index] is None and payload is not None and _overloaded(field, payload):
                value = getattr(self, field.name)  # (scapy's overloaded fields: the payload's number)
            else:
                continue
            if isinstance(value, list | tuple) and not value:
                continue
            parts.append(f" {field.name}={display.repr_value(self, field, value)}")
        if self._pad:
            parts.append(f" padding={self._pad!r}")
        inner = repr(payload) if payload is not None else ""
        return f"<{type(self).__name__} {''.join(parts)} |{inner}>"

    # -- reading -------------------------------------------------------------------------
    def field_values(self) -> dict[str, Any]:
        """Every field of this layer, by name, as it reads."""
        return {field.name: getattr(self, field.name) for field in self.fields_desc}

    @property
    def fields(self) -> dict[str, Any]:
        """scapy's ``pkt.fields``: the fields given a value, by name: every field of a decoded layer;
        of a built one, those that differ from their default, and the list fields (options) always,
        as scapy copies those in. (A field set to its default value is not told apart.)"""
        values = self._values()
        decoded = hasattr(self, "_buf")
        return {
            field.name: getattr(self, field.name)
            for field in self.fields_desc
            if decoded or getattr(field, "copied", False) or values[field.index] != stored_default(field)
        }

    def command(self) -> str:
        """scapy's ``pkt.command()``: the Python expression that builds this packet again
        (``"Ether()/IP(dst='198.18.0.2')/TCP()"``): each layer with the fields it was given."""
        parts = []
        for name, value in self.fields.items():
            if isinstance(value, list | tuple) and not value:
                continue
            if isinstance(value, list | tuple) and all(isinstance(item, Layer) for item in value):
                parts.append(f"{name}=[{', '.join(item.command() for item in value)}]")  # (SCTP's params)
                continue
            shown = int(value) if isinstance(value, FlagValue) else value
            parts.append(f"{name}={shown!r}")
        text = f"{type(self).__name__}({', '.join(parts)})"
        payload = self.payload
        return text if payload is None else f"{text}/{payload.command()}"

    def hide_defaults(self) -> None:
        """scapy's ``pkt.hide_defaults()``: this packet's fields that hold their default are shown
        as not given (``fields``, ``command()``); a decoded packet is decoded whole first."""
        for layer in self.layers():
            layer._values()
            if layer._payload is LAZY:
                layer._payload = layer._decode_payload()
            with contextlib.suppress(AttributeError):
                del layer._buf  # (a decoded view no more: its fields are those that differ)

    @property
    def default_fields(self) -> dict[str, Any]:
        """scapy's ``pkt.default_fields``: each field's default, by name (None: computed at build)."""
        return {field.name: field.default for field in self.fields_desc}

    def getfieldval(self, name: str) -> Any:
        """scapy's ``pkt.getfieldval(name)``: the field's value, looked up through the stack."""
        return getattr(self, name)

    def setfieldval(self, name: str, value: Any) -> None:
        """scapy's ``pkt.setfieldval(name, value)``."""
        setattr(self, name, value)

    def show(self, dump: bool = False) -> str | None:
        """Print (or return, with dump=True) the field tree as the packet stands (scapy's show():
        lengths and checksums left to the build show as None; show2() shows them computed)."""
        text = display.tree(self)
        if dump:
            return text
        print(text)
        return None

    def sprintf(self, fmt: str, relax: bool = True) -> str:
        """scapy's format of fields: ``pkt.sprintf("%IP.src% > %IP.dst% %TCP.flags%")`` (display.sprintf)."""
        return display.sprintf(self, fmt, relax)

    def show2(self, dump: bool = False) -> str | None:
        """Print (or return, with dump=True) the field tree of the built packet, every computed
        field filled in (scapy's show2: the packet built and decoded again)."""
        return self._computed().show(dump)

    def _computed(self) -> Layer:
        try:
            wire = self.build()
        except BuildError:
            return self
        if self._mode & CUT:  # cut by the capture: decoded again as such
            return type(self).decode_captured(wire, max(self.wirelen or 0, len(wire) + 1))
        return type(self).decode(wire, lenient=True)

    #: What summary() calls: tcpdump.summary, which rawnet/wire/__init__.py installs (tcpdump.py
    #: imports the protocol modules, which import this module: this module never imports it).
    _summarize: ClassVar[Callable[[Layer, int], str]]

    #: scapy's hashret and answers rules (hashret.py), which rawnet/wire/__init__.py installs.
    _hash_rule: ClassVar[Callable[[Layer], bytes]]
    _answer_rule: ClassVar[Callable[[Layer, Layer], Any]]

    def hashret(self) -> bytes:
        """scapy's ``pkt.hashret()``: a key a request and its answer share (hashret.py)."""
        return Layer._hash_rule(self)

    def answers(self, other: Layer) -> Any:
        """scapy's ``pkt.answers(other)``: true (1 or True, as scapy's) when this packet answers
        ``other`` (hashret.py)."""
        return Layer._answer_rule(self, other)

    def __lt__(self, other: Layer) -> Any:
        """scapy's ``a < b``: a answers b."""
        return self.answers(other)

    def __gt__(self, other: Layer) -> Any:
        """scapy's ``a > b``: b answers a."""
        return other.answers(self)

    #: What fragment() calls: fragment.fragment, which rawnet/wire/__init__.py installs.
    _fragmenter: ClassVar[Callable[..., list[Layer]]]

    def fragment(self, fragsize: int = 1480) -> list[Layer]:
        """scapy's ``pkt.fragment(fragsize)``: ``fragment(pkt, fragsize)`` (fragment.py)."""
        return Layer._fragmenter(self, fragsize)

    def summary(self, verbose: int = 0) -> str:
        """One line in tcpdump's style (its -n output, as tcpdump.py writes it), of the packet as a
        build would make it (computed fields filled); ``verbose`` 1 or 2: tcpdump -v's or -vv's text."""
        return Layer._summarize(self if self._v is None else self._computed(), verbose)

    def __str__(self) -> str:
        """The summary line (scapy's ``str(pkt)`` and ``print(pkt)``)."""
        return self.summary_safe()

    def summary_safe(self, verbose: int = 0) -> str:
        """summary(), or the layer names when the packet cannot be summarised."""
        try:
            return self.summary(verbose)
        except Exception:
            return " / ".join(type(layer).__name__ for layer in self.layers())

    def verify(self) -> list[Problem]:
        """Every length and checksum that differs from what the content says, with the right value.

        Lengths are judged against the content; checksums against the bytes as they are (so a
        checksum over a wrong length that is right for those bytes is not reported twice).
        Lengths and checksums that cover bytes not present (inside an ICMP error's quote, or a
        transport header in an IP fragment) are not judged.
        """
        problems: list[Problem] = []
        layers = self.layers()
        for kind in (LENGTH, CHECKSUM):
            found_now: list[Problem] = []
            kept: set[tuple[int, str]] = set()  # lengths no field can hold: reported, then left as found
            while True:
                try:
                    reference = self._recomputed((kind,), kept)
                    break
                except BuildError as error:
                    position = getattr(error, "position", -1)
                    if not error.field or position < 0 or (position, error.field) in kept:
                        raise
                    kept.add((position, error.field))
                    found = layers[position].field_values().get(error.field)
                    found_now.append(Problem(error.layer, error.field, found, error.value, position))
            for position, (have, want) in enumerate(zip(layers, reference.layers(), strict=False)):
                if type(have) is not type(want):
                    break
                for field in have.checked_fields():
                    if field.auto != kind or (position, field.name) in kept:
                        continue
                    found, expected = have._values()[field.index], want._values()[field.index]
                    if found is not None and found != expected:
                        found_now.append(Problem(have.name, field.name, found, expected, position))
            problems += sorted(found_now, key=lambda problem: problem.position)
        return problems

    def checked_fields(self) -> tuple[Field[Any], ...]:
        """The lengths and checksums verify() judges in this layer (none inside a quote or fragment).

        A field of these that verify() does not report is right.
        """
        if self._mode & (QUOTED | FRAGMENT | CUT):
            return ()
        return tuple(field for field in self._auto_fields if field.auto in (LENGTH, CHECKSUM))

    def _recomputed(self: L, kinds: tuple[str, ...], kept: set[tuple[int, str]] | None = None) -> L:
        """A decoded copy whose fields of the given kinds (LENGTH, CHECKSUM) were recomputed from
        the content, but those ``kept`` as they are ((position, field name) pairs).

        A BuildError naming a field says which layer it came from in ``error.position``.
        """
        clone = self.copy()
        layers = clone.layers()
        for position, layer in enumerate(layers):
            for field in layer.checked_fields():
                if field.auto in kinds and (kept is None or (position, field.name) not in kept):
                    layer._mutable()[field.index] = None
        try:
            wire = clone.build()
        except BuildError as error:
            error.position = next((at for at, layer in enumerate(layers) if layer is error.source), -1)  # type: ignore[attr-defined]
            raise
        return type(self).decode(wire, lenient=bool(self._mode & LENIENT))

    def fixed(self: L) -> L:
        """A copy whose lengths and checksums are recomputed from the content."""
        return self._recomputed((LENGTH, CHECKSUM))


class _Meta:
    """A receive-metadata attribute of scapy's (``pkt.time``...): kept in the layer's ``_meta``
    list, made on the first one set; None until then."""

    def __init__(self, at: int, doc: str) -> None:
        self.at, self.__doc__ = at, doc

    def __get__(self, layer: Layer | None, owner: type) -> Any:
        if layer is None:
            return self
        try:
            return layer._meta[self.at]
        except AttributeError:
            return None

    def __set__(self, layer: Layer, value: Any) -> None:
        try:
            meta = layer._meta
        except AttributeError:
            meta = layer._meta = [None] * len(_META)
        meta[self.at] = value


_META = {
    "time": "When the packet was captured (seconds since the epoch), None for one built here.",
    "sniffed_on": "The interface the packet was captured on, None when not known.",
    "direction": "The kernel's packet type (sll_pkttype: 0 to this host, 4 sent by it, ...), or None.",
    "wirelen": "The length on the wire of a captured packet (more than its bytes when cut short), or None.",
    "sent_time": "When a probe was handed to the kernel (sr() sets it on the queries it sends), or None.",
}
for _at, (_name, _doc) in enumerate(_META.items()):
    setattr(Layer, _name, _Meta(_at, _doc))


def _overloaded(field: Field[Any], payload: Layer) -> bool:
    """Whether ``payload`` gives ``field`` its value (scapy's overload_fields): a next number, or a
    default its class changes (Neighbour Discovery's hop limit)."""
    if isinstance(field.rule, FromPayload):
        return field.name in payload.carrier
    return field.auto == NEXT


def raw(packet: Any) -> bytes:
    """The wire bytes of ``packet`` (scapy's ``raw(pkt)``: ``bytes(pkt)``; an option's too)."""
    return bytes(packet)


def ls(obj: Layer | type[Layer] | None = None, dump: bool = False) -> str | None:
    """scapy's ``ls``: the fields of a layer class or packet (name, kind, value, default), or with
    no argument every layer class and its summary line. Prints, or returns with dump=True."""
    if obj is not None:
        return display.fields_table(obj, dump)
    classes: dict[str, str] = {}
    pending = list(Layer.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        classes.setdefault(cls.__name__, (cls.__doc__ or "").strip().split("\n")[0])
    text = "\n".join(f"{name:<25}: {doc}" for name, doc in sorted(classes.items()))
    if dump:
        return text
    print(text)
    return None


def stack(first: Layer, *rest: Layer | bytes | bytearray | str) -> Layer:
    """``first / rest[0] / rest[1] / ...`` in one step: ``stack(Ether(), IP(), TCP(), b"x")``.

    The same packet, and the same guarantee (no operand is changed or shared: each is frozen
    into the result as ``/`` would), without the packet ``/`` makes at each step that the next
    one drops: the quicker way to build from many layers at once.
    """
    parts: list[Any] = []
    last = len(rest) - 1
    for at, part in enumerate(rest):
        if part.__class__ is bytes:
            parts += (Raw, (part,), b"", 0, None)
        elif isinstance(part, Layer):
            values = part._v
            if part._payload is None and values is not None:  # a layer carrying nothing: the usual case
                if values.__class__ is list:
                    values = part._v = tuple(values)  # shared from now on (copy on write)
                parts += (part.__class__, values, part._pad, part._mode, None)
            else:
                parts += _frozen_chain(part, at != last)  # (lazy at the end only)
        elif isinstance(part, _DATA):
            parts += (Raw, (check_bytes(part),), b"", 0, None)
        else:
            raise TypeError(f"stack() takes layers and data, got {type(part).__name__}")
    top = _clone(first)
    if parts:
        top._payload = _frozen_below(first, True) + tuple(parts)
    else:
        top._payload = first._payload if first._payload is None else _frozen_below(first, False)
    return top


# -- frozen tails: how ``/`` and copy() share without aliasing -----------------------------------
# A frozen tail is what a layer carries, kept as a flat tuple of five items per layer: its class,
# its values (a tuple: never changed), its padding, its mode, and None, or for a decoded view the
# tuple (buf, offset, payload start, payload end, payload): the payload is None, or LAZY for the
# last layer of a decoded tail. Nothing in it can change, so any number of packets share it; a
# packet thaws it into layers of its own when one of them is first reached. Values are shared as
# tuples with the layers they came from, which copy them on their next change (_mutable).
FROZEN = fused.FROZEN  #: items per layer in a frozen tail (one number, shared with the codecs)


def _clone(layer: L) -> L:
    """A new layer with ``layer``'s values (shared until either changes) and padding, carrying nothing."""
    new = _new(layer.__class__)
    values = layer._v
    if values is None or layer._payload is LAZY or layer._mode & PARTIAL:  # (a part quoted: its bytes)
        new._buf, new._off, new._poff, new._pend = layer._buf, layer._off, layer._poff, layer._pend
    if values.__class__ is list:
        values = layer._v = tuple(values)  # shared from now on (copy on write)
    new._v = values
    new._payload = None
    new._mode = layer._mode
    new._pad = layer._pad
    new._ver = 0
    new._cache = None
    return new


def _frozen(layer: Layer, payload: Any) -> tuple[Any, ...]:
    """One layer's five items in a frozen tail, carrying ``payload`` (None, or LAZY for a decoded end)."""
    values = layer._v
    if values.__class__ is list:
        values = layer._v = tuple(values)  # shared from now on (copy on write)
    view = None
    if values is None or payload is not None or layer._mode & PARTIAL:
        view = (layer._buf, layer._off, layer._poff, layer._pend, payload)
    return (layer.__class__, values, layer._pad, layer._mode, view)


def _frozen_chain(layer: Layer, closed: bool) -> tuple[Any, ...]:
    """``layer`` and what it carries as a frozen tail; ``closed``: with no lazy end, to append to."""
    if layer._payload is LAZY and not closed:
        return _frozen(layer, LAZY)
    return _frozen(layer, None) + _frozen_below(layer, closed)


def _frozen_below(layer: Layer, closed: bool) -> tuple[Any, ...]:
    """What ``layer`` carries, as a frozen tail."""
    payload = layer._payload
    if payload is None:
        return ()
    if payload.__class__ is tuple:
        end = payload[-1]
        if closed and end is not None and end[4] is LAZY:  # a decoded end: decode it to append after it
            return payload[:-FROZEN] + _frozen_chain(_thaw(payload[-FROZEN:]), True)
        return payload
    if payload is LAZY:
        payload = layer.payload
        if payload is None:
            return ()
    return _frozen_chain(payload, closed)


def _thaw(frozen: tuple[Any, ...], at: int = 0) -> Layer:
    """A layer of one's own from the frozen layer at ``frozen[at : at + FROZEN]``."""
    cls, values, pad, mode, view = frozen[at : at + FROZEN]
    new: Layer = _new(cls)
    new._v = values  # (a tuple, shared: copied on the first change)
    new._mode = mode
    new._pad = pad
    new._ver = 0
    new._cache = None
    if view is None:
        new._payload = None
    else:
        new._buf, new._off, new._poff, new._pend, new._payload = view
    return new


def _below(layer: Layer) -> Layer | None:
    """``layer``'s payload (Layer.payload; a function, for the walks that call it for every layer):
    a lazy one decoded, a frozen tail made its own."""
    payload = layer._payload
    kind = payload.__class__
    if kind is _Lazy:
        payload = layer._payload = layer._decode_payload()
    elif kind is tuple:
        payload = _thaw_tail(layer)
    return payload  # type: ignore[no-any-return]


def _thaw_tail(layer: Layer) -> Layer:
    """Turn ``layer``'s frozen tail into layers of its own; returns the first."""
    frozen = layer._payload
    previous = layer
    for at in range(0, len(frozen), FROZEN):
        previous._payload = previous = _thaw(frozen, at)
    return layer._payload  # type: ignore[no-any-return]


def _generic(cls: type[L], data: bytes | bytearray | memoryview, lenient: bool) -> L:
    """Layer.decode by the per-layer decoders (where no generated decoding tree takes the bytes)."""
    buf = data if data.__class__ is bytes else bytes(data)
    if not lenient:
        return cls._decode_chain(buf, 0)
    try:
        return cls._decode_chain(buf, LENIENT)
    except DecodeError as error:
        return Undecoded._make(buf, 0, len(buf), error)  # type: ignore[return-value]


def _decode_rest(layer: Layer) -> None:
    """Decode the headers below ``layer`` down to a leaf (the generic decoder's loop)."""
    while layer._payload is LAZY and not layer._leaf:
        child = layer._payload = layer._decode_payload(True)
        if child is None or child is LAZY:
            break
        layer = child


class Raw(Layer):
    """Payload bytes that no protocol claims."""

    __slots__ = ()
    takes_text: ClassVar[bool] = True  #: Raw("text"): the text's UTF-8 bytes, as scapy's
    name = "raw"
    load: Var[bytes] = Var("Payload bytes", b"", converter=check_bytes)

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> Raw:
        layer = _new(cls)
        layer._v = [buf[offset:end]]
        layer._payload = None
        layer._mode = mode
        layer._pad = b""
        layer._ver = 0
        layer._cache = None
        return layer

    @classmethod
    def _of(cls, data: bytes | bytearray | str) -> Raw:
        """Raw(load=data), without the keyword machinery (the ``/ b"..."`` path)."""
        layer = _new(cls)
        layer._v = (data if data.__class__ is bytes else check_bytes(data),)
        layer._payload = None
        layer._mode = 0
        layer._pad = b""
        layer._ver = 0
        layer._cache = None
        return layer

    def _build(self, pseudo: bytes | None) -> bytes:
        load = self._values()[_LOAD]
        if self._payload is None and not self._pad:
            return load  # type: ignore[no-any-return]
        return load + self._build_payload(pseudo) + self._pad  # type: ignore[no-any-return]

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            load: Any = ...,
        ) -> None: ...


_LOAD = Raw.slot.load


class Padding(Raw):
    """scapy's Padding: bytes after a packet that no length counts. ``pkt / Padding(load=b"..")``
    adds them to ``pkt.padding`` (after everything it carries, as scapy puts them); ``pkt[Padding]``
    reads the first padding of a packet's layers (a decoded frame's Ethernet trailer...)."""

    __slots__ = ()
    name = "padding"

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            load: Any = ...,
        ) -> None: ...


class Undecoded(Raw):
    """The bytes a lenient decode could not decode, and why: an explicit tail, never a guess."""

    __slots__ = ()
    name = "undecoded"
    reason: Var[str] = Var("Why these bytes did not decode", "")

    @classmethod
    def _make(cls, buf: bytes, offset: int, end: int, error: DecodeError, mode: int = 0) -> Undecoded:
        layer = _new(cls)
        layer._v = [buf[offset:end], str(error)]
        layer._payload = None
        layer._mode = mode
        layer._pad = b""
        layer._ver = 0
        layer._cache = None
        return layer

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> Undecoded:
        layer = _new(cls)
        layer._v = [buf[offset:end], ""]
        layer._payload = None
        layer._mode = mode
        layer._pad = b""
        layer._ver = 0
        layer._cache = None
        return layer

    def _computed(self) -> Layer:
        return self  # nothing to compute, and decoding the bytes again would lose the reason

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            load: Any = ...,
            reason: Any = ...,
        ) -> None: ...


fused.bind(LAZY, Raw, _decode_rest, _generic, DEPTH_UNIT)
_tail_builders = fused.TAIL_BUILDERS
_by_size = fused.TAIL_BUILDERS_BY_SIZE
_decoders = fused.DECODERS
ONCE = fused.ONCE
