"""The header compiler: a field table becomes one struct layout and generated code, checked against struct."""

from __future__ import annotations

import linecache
import struct
import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rawnet.errors import DecodeError, FieldValueError
from rawnet.wire import IP, TCP, Ether, IPv6ExtHdrHopByHop
from rawnet.wire.codegen import GENERATED_DIR, generated_filename
from rawnet.wire.fields import UInt
from rawnet.wire.layer import Layer


class Sample(Layer):
    """A made-up header: a byte, two nibbles, a 16-bit and a 32-bit field."""

    __slots__ = ()
    name = "sample"
    kind = UInt(8, "Kind", 1)
    high = UInt(4, "High nibble", 2)
    low = UInt(4, "Low nibble", 3)
    port = UInt(16, "Port", 80)
    serial = UInt(32, "Serial", 7)


LAYOUT = struct.Struct("!BBHI")  # the oracle: what struct itself packs for this table


def test_the_fixed_header_is_one_struct() -> None:
    assert Sample.header_len == LAYOUT.size == 8
    assert [field.offset for field in Sample.fields_desc if field.fmt] == [0, 2, 4]
    assert bytes(Sample()) == LAYOUT.pack(1, 0x23, 80, 7)


@given(
    st.integers(0, 255),
    st.integers(0, 15),
    st.integers(0, 15),
    st.integers(0, 0xFFFF),
    st.integers(0, 2**32 - 1),
)
def test_the_generated_code_agrees_with_struct(
    kind: int, high: int, low: int, port: int, serial: int
) -> None:
    data = LAYOUT.pack(kind, high << 4 | low, port, serial)
    expected = {"kind": kind, "high": high, "low": low, "port": port, "serial": serial}
    assert bytes(Sample(**expected)) == data  # constructor and packer
    decoded = Sample.decode(data)
    assert {name: getattr(decoded, name) for name in expected} == expected  # unpacker
    assert {field.name: field.read(data, 0) for field in Sample.fields_desc} == expected  # readers


def test_bit_fields_must_fill_whole_bytes() -> None:
    with pytest.raises(TypeError, match=r"Odd: bit fields \['flag', 'rest'\] add up to 12 bits"):

        class Odd(Layer):
            __slots__ = ()
            flag = UInt(4, "Flag")
            rest = UInt(8, "Rest")


def test_the_constructor_documents_every_field() -> None:
    assert Sample.__init__.__doc__ == "\n".join(
        [
            "Sample: A made-up header: a byte, two nibbles, a 16-bit and a 32-bit field.",
            "",
            "kind: Kind (default 1)",
            "high: High nibble (default 2)",
            "low: Low nibble (default 3)",
            "port: Port (default 80)",
            "serial: Serial (default 7)",
        ]
    )


def test_fields_are_keywords_and_unknown_ones_are_named() -> None:
    with pytest.raises(DecodeError, match=r"decodes bytes .* got str: to build one, give fields as keywords"):
        IP("198.18.0.2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"TCP.__init__\(\) got an unexpected keyword argument 'dpot'"):
        TCP(dpot=80)  # type: ignore[call-arg]


def test_one_positional_argument_is_bytes_to_decode_as_in_scapy() -> None:
    wire = bytes(IP(ttl=3, dst="198.18.0.2") / TCP(dport=443) / b"x")
    packet = IP(wire)
    assert packet == IP.decode(wire) and bytes(packet) == wire
    assert IP(bytearray(wire), ttl=9).ttl == 9  # keywords given too are set after decoding
    assert IP(wire, ttl=9)[TCP].dport == 443
    odd = IP(bytes(IP() / TCP(dataofs=2)))  # as scapy dissects: what does not decode is kept, with the reason
    assert type(odd.payload).__name__ == "Undecoded" and "tcp" in odd.payload.reason
    with pytest.raises(DecodeError, match="ipv4 at offset 0"):
        IP(b"\x45\x00")  # the first header must decode


# -- redefining inherited fields ---------------------------------------------------------------


class Base(Layer):
    """A made-up header: a byte, a 16-bit field, a byte."""

    __slots__ = ()
    name = "base"
    kind = UInt(8, "Kind", 1)
    port = UInt(16, "Port", 80)
    tail = UInt(8, "Tail", 9)


BASE_LAYOUT = struct.Struct("!BHB")


class Wide(Base):
    """Base with its port redefined as 32 bits."""

    __slots__ = ()
    port = UInt(32, "Port, wider", 0x01020304)


WIDE_LAYOUT = struct.Struct("!BIB")


class Longer(Base):
    """Base with a field added."""

    __slots__ = ()
    extra = UInt(16, "Extra", 5)


LONGER_LAYOUT = struct.Struct("!BHBH")


def test_a_redefined_field_keeps_its_place_and_the_header_is_laid_out_anew() -> None:
    assert [field.name for field in Wide.fields_desc] == ["kind", "port", "tail"]
    assert Wide.header_len == WIDE_LAYOUT.size == 6
    assert bytes(Wide()) == WIDE_LAYOUT.pack(1, 0x01020304, 9)
    wire = WIDE_LAYOUT.pack(7, 0xA0B0C0D0, 0xEE)
    assert bytes(Wide(kind=7, port=0xA0B0C0D0, tail=0xEE)) == wire
    decoded = Wide.decode(wire)
    assert (decoded.kind, decoded.port, decoded.tail) == (7, 0xA0B0C0D0, 0xEE)
    assert Wide.get_field("tail").read(wire, 0) == 0xEE  # the reader follows the new layout
    assert (Wide.slot.kind, Wide.slot.port, Wide.slot.tail) == (0, 1, 2)
    assert Wide.span.port == range(1, 5) and Wide.span.tail == range(5, 6)
    with pytest.raises(FieldValueError, match=r"Wide\.port must be 0\.\.4294967295"):
        Wide(port=2**32)


def test_redefining_a_field_leaves_the_base_class_as_it_was() -> None:
    assert Base.header_len == BASE_LAYOUT.size == 4
    wire = BASE_LAYOUT.pack(7, 0xBEEF, 0xEE)
    assert bytes(Base(kind=7, port=0xBEEF, tail=0xEE)) == wire
    decoded = Base.decode(wire)
    assert (decoded.kind, decoded.port, decoded.tail) == (7, 0xBEEF, 0xEE)
    assert [field.read(wire, 0) for field in Base.fields_desc] == [7, 0xBEEF, 0xEE]
    assert [field.offset for field in Base.fields_desc] == [0, 1, 3]
    assert (Base.slot.kind, Base.slot.port, Base.slot.tail) == (0, 1, 2)
    assert (Base.span.kind, Base.span.port, Base.span.tail) == (range(0, 1), range(1, 3), range(3, 4))
    assert Base.get_field("tail") is not Wide.get_field("tail")  # the subclass laid out copies
    with pytest.raises(FieldValueError, match=r"Base\.port must be 0\.\.65535"):
        Base(port=2**16)


def test_a_subclass_adding_fields_appends_them() -> None:
    assert [field.name for field in Longer.fields_desc] == ["kind", "port", "tail", "extra"]
    assert Longer.header_len == LONGER_LAYOUT.size == 6
    wire = LONGER_LAYOUT.pack(2, 0x1234, 3, 0xABCD)
    assert bytes(Longer(kind=2, port=0x1234, tail=3, extra=0xABCD)) == wire
    assert bytes(Longer()) == LONGER_LAYOUT.pack(1, 80, 9, 5)
    decoded = Longer.decode(wire)
    assert (decoded.kind, decoded.port, decoded.tail, decoded.extra) == (2, 0x1234, 3, 0xABCD)
    assert Longer.slot.extra == 3 and Longer.span.extra == range(4, 6)
    assert "extra" not in {field.name for field in Base.fields_desc}
    with pytest.raises(TypeError, match="unexpected keyword argument 'extra'"):
        Base(extra=1)  # type: ignore[call-arg]


# -- field names ------------------------------------------------------------------------------


def _layer_with_field(field_name: str) -> type[Layer]:
    """A Layer subclass whose one field is called ``field_name`` (which a class body may not spell)."""
    namespace = {"__slots__": (), "__module__": __name__, field_name: UInt(8, "A field")}
    return type(f"Named_{field_name.strip('_') or 'x'}", (Layer,), namespace)


@pytest.mark.parametrize("field_name", ["class", "for", "lambda", "None", "True", "await"])
def test_a_field_named_like_a_keyword_is_refused(field_name: str) -> None:
    with pytest.raises(
        TypeError, match=rf"^Named_\w+\.{field_name}: a field name must be a plain identifier$"
    ):
        _layer_with_field(field_name)


@pytest.mark.parametrize("field_name", ["_v", "_x", "_payload", "__init__"])
def test_a_field_name_starting_with_an_underscore_is_refused(field_name: str) -> None:
    with pytest.raises(
        TypeError, match=rf"^Named_\w+\.{field_name}: a field name must be a plain identifier$"
    ):
        _layer_with_field(field_name)


LAYER_API = (
    "payload",
    "padding",
    "name",
    "build",
    "decode",
    "copy",
    "show",
    "summary",
    "fields",
    "get_field",
    "slot",
    "span",
)


@pytest.mark.parametrize("field_name", LAYER_API)
def test_a_field_named_like_layer_api_is_refused(field_name: str) -> None:
    with pytest.raises(TypeError, match=rf"Named_\w+\.{field_name}: the name belongs to Layer"):
        _layer_with_field(field_name)


def test_every_public_name_of_layer_is_refused_as_a_field_name() -> None:
    forwarded = {name for name, value in vars(Layer).items() if type(value).__name__ == "_Forward"}
    assert {"ttl", "dport", "src", "load"} <= forwarded  # (field names: the lookup through a stack)
    public = sorted(name for name in dir(Layer) if not name.startswith("_") and name not in forwarded)
    assert set(LAYER_API) <= set(public) | {"slot", "span"}
    accepted = []
    for field_name in public:
        try:
            _layer_with_field(field_name)
        except TypeError as error:
            if "the name belongs to Layer" not in str(error):
                accepted.append(f"{field_name} ({error})")
        else:
            accepted.append(field_name)
    assert not accepted, f"field names that replace Layer's own: {accepted}"


def test_a_field_may_share_a_name_with_the_generated_code() -> None:
    failures = []
    for field_name in ("self", "c0", "d0", "v", "value"):
        try:
            cls = _layer_with_field(field_name)
        except Exception as error:
            failures.append(f"{field_name}: class creation raised {error!r}")
            continue
        if bytes(cls(**{field_name: 7})) != b"\x07":
            failures.append(f"{field_name}: 7 built as {bytes(cls(**{field_name: 7}))!r}")
        try:
            cls(**{field_name: 300})
        except FieldValueError:
            pass
        except Exception as error:
            failures.append(f"{field_name}=300 raised {error!r}, not FieldValueError")
        else:
            failures.append(f"{field_name}=300 was accepted")
    assert not failures, failures


def test_a_subclass_without_fields_of_its_own_names_itself_in_constructor_errors() -> None:
    class Narrow(Sample):
        __slots__ = ()

    with pytest.raises(TypeError, match=r"^Narrow\.__init__\(\) got an unexpected keyword argument 'nope'"):
        Narrow(nope=1)  # type: ignore[call-arg]
    with pytest.raises(
        TypeError, match=r"^IPv6ExtHdrHopByHop\.__init__\(\) got an unexpected keyword argument 'nope'"
    ):
        IPv6ExtHdrHopByHop(nope=1)  # type: ignore[call-arg]


# -- tracebacks through generated code --------------------------------------------------------


def _generated_frames(error: BaseException) -> list[tuple[str, int, str]]:
    """(file name, line number, function) of each frame of ``error``'s traceback in generated code."""
    return [
        (frame.f_code.co_filename, line, frame.f_code.co_name)
        for frame, line in traceback.walk_tb(error.__traceback__)
        if frame.f_code.co_filename.startswith(GENERATED_DIR + "/")
    ]


def _assert_traceback_shows(error: BaseException, filename: str, function: str) -> None:
    frames = _generated_frames(error)
    assert [(name, func) for name, _, func in frames] == [(filename, function)]
    _, line_number, _ = frames[0]
    linecache.checkcache(filename)  # (what traceback does first: the line must survive it)
    line = linecache.getline(filename, line_number)
    assert line.strip()
    text = "".join(traceback.format_exception(error))
    assert f'File "{filename}", line {line_number}, in {function}' in text
    assert line.strip() in text


def test_an_error_in_a_generated_constructor_shows_the_generated_line() -> None:
    with pytest.raises(FieldValueError, match=r"Sample\.kind must be an int 0\.\.255, got 'x'") as caught:
        Sample(kind="x")  # type: ignore[arg-type]
    filename = f"rawnet/wire/<generated>/{__name__}.Sample.py"
    assert generated_filename(f"{Sample.__module__}.{Sample.__qualname__}") == filename
    _assert_traceback_shows(caught.value, filename, "__init__")
    assert "kind" in linecache.getline(filename, _generated_frames(caught.value)[0][1])


def test_an_error_in_a_protocols_generated_constructor_shows_the_generated_line() -> None:
    with pytest.raises(FieldValueError, match=r"TCP\.dport must be") as caught:
        TCP(dport="http")  # type: ignore[arg-type]
    _assert_traceback_shows(caught.value, "rawnet/wire/<generated>/rawnet.wire.tcp.TCP.py", "__init__")


def test_an_error_in_a_generated_packer_shows_the_generated_line() -> None:
    sample = Sample()
    sample._mutable()[Sample.slot.port] = 0x10000  # past the checks: only the packer sees it
    with pytest.raises(struct.error) as caught:
        Sample._pack(sample)
    filename = f"rawnet/wire/<generated>/{__name__}.Sample.py"
    _assert_traceback_shows(caught.value, filename, "_pack")


# -- setting and deleting fields --------------------------------------------------------------


def test_deleting_a_field_restores_its_default() -> None:
    packet = IP(ttl=5, tos=0x10, flags="DF", dst="198.18.0.2", proto=17)
    del packet.ttl
    assert packet.ttl == 64 == IP.get_field("ttl").default
    del packet.dst
    assert packet.dst == "127.0.0.1" == IP.get_field("dst").default
    del packet.flags, packet.tos, packet.proto
    assert packet.flags == 0 and packet.tos == 0 and packet.proto == 0  # (computed: nothing carried)
    assert packet._values()[IP.slot.proto] is None
    assert bytes(packet) == bytes(IP())  # every field back at its default: the default datagram
    segment = TCP(flags="A", dport=443)
    del segment.flags
    assert segment.flags == "S"


def test_deleting_a_computed_field_has_it_computed_again() -> None:
    segment = TCP(chksum=0x1234)
    assert bytes(IP() / segment)[20 + TCP.span.chksum.start : 20 + TCP.span.chksum.stop] == b"\x12\x34"
    del segment.chksum
    assert segment.chksum is None
    assert IP.decode(bytes(IP() / segment)).verify() == []


def test_deleting_a_field_of_a_decoded_view() -> None:
    wire = bytes(IP(ttl=5, dst="198.18.0.2") / TCP())
    decoded = IP.decode(wire)
    del decoded.ttl
    assert decoded.ttl == 64
    assert decoded.dst == "198.18.0.2"  # the other fields as decoded
    assert bytes(decoded)[IP.span.ttl.start] == 64


def test_deleting_a_field_of_a_layer_stacked_elsewhere_leaves_that_packet_alone() -> None:
    layer = IP(ttl=5)
    packet = Ether() / layer
    del layer.ttl
    assert layer.ttl == 64 and packet[IP].ttl == 5


def test_setting_and_deleting_bump_the_version() -> None:
    packet = IP(ttl=5)
    version = packet._ver
    packet.ttl = 6
    assert packet._ver > version
    version = packet._ver
    del packet.ttl
    assert packet._ver > version
    decoded = IP.decode(bytes(IP() / TCP()))
    decoded.ttl = 9  # a decoded view: unpacked, then changed
    assert decoded._ver > 0 and decoded.ttl == 9


def test_a_rebuild_sees_every_set_and_delete() -> None:
    packet = Ether() / IP(ttl=5, dst="198.18.0.2") / TCP(dport=80)
    bytes(packet)
    bytes(packet)  # built twice: the packet keeps its frame for rebuilds
    ip, tcp = packet[IP], packet[TCP]
    ip.ttl = 9
    assert bytes(packet) == bytes(Ether() / IP(ttl=9, dst="198.18.0.2") / TCP(dport=80))
    tcp.seq = 1000
    del ip.ttl
    assert bytes(packet) == bytes(Ether() / IP(dst="198.18.0.2") / TCP(dport=80, seq=1000))
    del tcp.dport
    expected = Ether() / IP(dst="198.18.0.2") / TCP(seq=1000)
    assert bytes(packet) == bytes(expected)
    assert Ether.decode(bytes(packet)).verify() == []


CHANGES = st.lists(
    st.tuples(
        st.sampled_from(
            [(IP, "ttl"), (IP, "tos"), (IP, "id"), (TCP, "seq"), (TCP, "window"), (TCP, "sport")]
        ),
        st.none() | st.integers(0, 255),
    ),
    max_size=8,
)


@given(CHANGES)
def test_a_rebuild_after_any_changes_equals_a_fresh_build(
    changes: list[tuple[tuple[type[Layer], str], int | None]],
) -> None:
    packet = Ether() / IP(dst="198.18.0.2") / TCP()
    bytes(packet)
    bytes(packet)
    for (cls, field_name), value in changes:
        layer = packet[cls]
        if value is None:
            delattr(layer, field_name)
        else:
            setattr(layer, field_name, value)
        assert bytes(packet) == bytes(packet.copy())  # a copy has no cache: built from scratch
