"""LLDP (IEEE 802.1AB, EtherType 0x88CC): its TLVs, each a layer, stacked as scapy's contrib
classes stack them (``Ether() / LLDPDUChassisID() / LLDPDUPortID() / ... / LLDPDUEndOfLLDPDU()``).

Each TLV is a 7-bit type and a 9-bit length, then its information string; decoding gives the
class of each TLV's type (an unknown type is LLDPDUUnknown, as is a TLV of fixed fields whose
length says more than they hold, so that no byte is lost; any organisation-specific one
LLDPDUGenericOrganisationSpecific with its OUI, subtype and raw data). Lengths left None are
computed. A length running past the end, or too short for the TLV's own fields, raises a
DecodeError; what follows the End of LLDPDU TLV (Ethernet's padding) is kept as padding. scapy's
``_type`` and ``_length`` are ``type`` and ``length`` here (a field name never begins with "_").
Pure bytes in, bytes out.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rawnet.errors import BuildError, MalformedError, TruncatedError
from rawnet.wire.compiler import reader
from rawnet.wire.fields import LENGTH, IntValue, NamedValue, UInt, Var, check_bytes
from rawnet.wire.layer import Layer, LayerClass
from rawnet.wire.registry import LAYERS, LLDP_TLV

_HEADER = 2  #: a TLV's type and length
_MAX_LENGTH = 0x1FF  #: 9 bits
ORGANISATION_SPECIFIC = 127

#: Chassis ID subtypes (802.1AB 8.5.2.2; scapy's names).
CHASSIS_ID_SUBTYPES = {
    0: "reserved",
    1: "chassis component",
    2: "interface alias",
    3: "port component",
    4: "MAC address",
    5: "network address",
    6: "interface name",
    7: "locally assigned",
}
#: Port ID subtypes (802.1AB 8.5.3.2; scapy's names).
PORT_ID_SUBTYPES = {
    0: "reserved",
    1: "interface alias",
    2: "port component",
    3: "MAC address",
    4: "network address",
    5: "interface name",
    6: "agent circuit ID",
    7: "locally assigned",
}
#: IANA address family numbers a network address subtype begins with (RFC 1700; 802: 6).
_AF_IPV4, _AF_IPV6, _AF_802 = 1, 2, 6
_ADDRESS_SIZES = {_AF_IPV4: 4, _AF_IPV6: 16, _AF_802: 6}


def _mac_text(wire: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in wire)


def _check_id(value: Any) -> Any:
    """An identifier: text (a MAC or IP address for the address subtypes, else UTF-8) or bytes."""
    if isinstance(value, str):
        return value
    return check_bytes(value)


def _check_byte(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFF:
        raise ValueError(f"0..255, got {value!r}")
    return value


def _check_u32(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise ValueError(f"0..4294967295, got {value!r}")
    return value


def _check_address(value: Any) -> bytes:
    """A management address: bytes, or IPv4 / IPv6 text."""
    if isinstance(value, str):
        try:
            return ipaddress.ip_address(value).packed
        except ValueError:
            raise ValueError(f"an IPv4 or IPv6 address, or bytes, got {value!r}") from None
    return check_bytes(value)


def _address_wire(value: str, family: int | None) -> bytes:
    """An address given as text, as the wire holds it (IPv4, IPv6, or a MAC)."""
    if ":" in value and len(value) == 17 and family in (None, _AF_802):
        return bytes.fromhex(value.replace(":", ""))
    return ipaddress.ip_address(value).packed


class LLDPDU(Layer):
    """One LLDP TLV (802.1AB 8.4): type (7 bits) and length (9 bits) of its information string.

    Decoding reads the type and returns the TLV's class; TLVs follow one another as layers.
    """

    __slots__ = ()
    name = "lldp"
    tlv_type: ClassVar[int | None] = None
    type = UInt(7, "TLV type", 0)
    length = UInt(9, "TLV information string length", None, auto=LENGTH)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__init__ = _init_tlv  # type: ignore[method-assign]

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> LLDPDU:
        if offset + _HEADER > end:
            raise TruncatedError("lldp", offset, f"{end - offset} bytes left, a TLV needs {_HEADER}")
        kind, length = _read_type(buf, offset), _read_length(buf, offset)
        size = _HEADER + length
        if offset + size > end:
            raise TruncatedError(
                "lldp", offset, f"TLV type {kind} length {length} needs {size} bytes, {end - offset} left"
            )
        target = cast(type[LLDPDU], _TLVS.get(kind, LLDPDUUnknown))
        if target.header_len < size and not target._layout.variable:
            target = LLDPDUUnknown  # (more than its fields hold: kept whole, as bytes)
        if target.header_len > size:
            raise MalformedError(
                "lldp", offset, f"TLV type {kind} length {length} < {target.header_len - _HEADER}"
            )
        if not target._check(buf, offset + target.header_len, offset + size):
            target = LLDPDUUnknown  # (bytes its fields do not hold: kept whole)
        if target is LLDPDUEndOfLLDPDU:  # the end: what follows is padding
            layer = target._view(buf, offset, offset + size, offset + size, mode)
            layer._pad = buf[offset + size : end]
            return layer
        return target._view(buf, offset, offset + size, end, mode)

    @classmethod
    def _check(cls, buf: bytes, start: int, stop: int) -> bool:
        """Whether the fields hold every byte of the information string from ``start`` to
        ``stop`` (after the fixed fields); raise a DecodeError when it does not hold what the
        TLV says it holds. TLVs with inner lengths override."""
        return True

    def _next_layer(self) -> tuple[LayerClass, int]:
        return LLDPDU, 0

    def _body(self, values: list[Any]) -> bytes:
        """The TLV's variable part (its fixed part is packed from the fields)."""
        return b""

    def _information(self) -> bytes:
        """The bytes of the information string after the fixed fields (a decoded view's)."""
        return self._buf[self._off + self.header_len : self._poff]

    def _computed_lengths(self, values: list[Any], body: bytes) -> tuple[int, ...]:
        """The computed length fields, as _pack takes them."""
        length = values[_LENGTH]
        if length is None:
            length = self.header_len - _HEADER + len(body)
            if length > _MAX_LENGTH:
                raise BuildError(
                    f"{self.name}.length would be {length}, over its {_MAX_LENGTH}",
                    layer=self.name,
                    field="length",
                    value=length,
                    source=self,
                )
        return (length,)

    def _build(self, pseudo: bytes | None) -> bytes:
        values = self._values()
        body = self._body(values)
        header = self._pack(*self._computed_lengths(values, body))
        return header + body + self._build_payload(None) + self._pad

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
        ) -> None: ...


def _init_tlv(self: Any, _data: Any = None, /, **fields: Any) -> None:
    """Constructor of the TLV classes: ``type`` defaults to the class's own TLV type."""
    if _data is not None:  # scapy's positional bytes: decoded
        self._init_fields(_data, **fields)
        return
    if "type" not in fields and self.tlv_type is not None:
        fields["type"] = self.tlv_type
    self._init_fields(**fields)


class LLDPDUUnknown(LLDPDU):
    """A TLV of a type rawnet does not know: its information string kept as bytes."""

    __slots__ = ()
    data: Var[Any] = Var("Information string", b"", converter=check_bytes)

    def _fill_variable(self, values: list[Any]) -> None:
        values[_UNKNOWN_DATA] = self._information()

    def _body(self, values: list[Any]) -> bytes:
        return values[_UNKNOWN_DATA]  # type: ignore[no-any-return]

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            data: Any = ...,
        ) -> None: ...


class LLDPDUEndOfLLDPDU(LLDPDU):
    """End Of LLDPDU TLV (802.1AB 8.5.1): type 0, length 0."""

    __slots__ = ()
    tlv_type = 0

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
        ) -> None: ...


class _Identifier(LLDPDU):
    """A Chassis or Port ID: subtype, then the identifier (a network address begins with its family).

    ``id`` reads as text for a MAC address (and a network address of IPv4, IPv6 or 802), as bytes
    otherwise; text is taken for any subtype (an address for the address subtypes, else UTF-8).
    ``family`` is the network address subtype's address family (None for any other subtype;
    left None there, it is the family of the address given).
    """

    __slots__ = ()
    mac_subtype: ClassVar[int] = 0
    network_subtype: ClassVar[int] = 0
    subtype = UInt(8, "ID subtype", 0)
    family: Var[Any] = Var("Address family (IANA; network address subtype only)", None, converter=_check_byte)
    id: Var[Any] = Var("Identifier", b"", converter=_check_id)

    def _fill_variable(self, values: list[Any]) -> None:
        data = self._information()
        subtype = values[_SUBTYPE]
        family = None
        if subtype == self.network_subtype and data:
            family, data = data[0], data[1:]
            if _ADDRESS_SIZES.get(family) == len(data):
                values[_FAMILY], values[_ID] = family, _address_text(family, data)
                return
        elif subtype == self.mac_subtype and len(data) == 6:
            values[_FAMILY], values[_ID] = None, _mac_text(data)
            return
        values[_FAMILY], values[_ID] = family, data

    def _body(self, values: list[Any]) -> bytes:
        subtype, family, identifier = values[_SUBTYPE], values[_FAMILY], values[_ID]
        network = subtype == self.network_subtype
        if isinstance(identifier, str):
            if subtype == self.mac_subtype or network:
                try:
                    wire = _address_wire(identifier, family)
                except ValueError:
                    raise BuildError(
                        f"{self.name}.id {identifier!r} is not an address (subtype {subtype})",
                        layer=self.name,
                        field="id",
                        value=identifier,
                        source=self,
                    ) from None
                if family is None and network:
                    family = {4: _AF_IPV4, 16: _AF_IPV6}.get(len(wire), _AF_802)
            else:
                wire = identifier.encode()
        else:
            wire = identifier
        if network:
            return bytes((family or 0,)) + wire
        return wire

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            subtype: IntValue = ...,
            family: Any = ...,
            id: Any = ...,
        ) -> None: ...


def _address_text(family: int, wire: bytes) -> str:
    if family == _AF_802:
        return _mac_text(wire)
    return str(ipaddress.ip_address(wire))


class LLDPDUChassisID(_Identifier):
    """Chassis ID TLV (802.1AB 8.5.2): subtype (4 MAC address, 5 network address, ...) and ID."""

    __slots__ = ()
    tlv_type = 1
    mac_subtype = 4
    network_subtype = 5
    subtype = UInt(8, "Chassis ID subtype", 0, labels=CHASSIS_ID_SUBTYPES)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            subtype: NamedValue = ...,
            family: Any = ...,
            id: Any = ...,
        ) -> None: ...


class LLDPDUPortID(_Identifier):
    """Port ID TLV (802.1AB 8.5.3): subtype (3 MAC address, 4 network address, 5 interface name...) and ID."""

    __slots__ = ()
    tlv_type = 2
    mac_subtype = 3
    network_subtype = 4
    subtype = UInt(8, "Port ID subtype", 0, labels=PORT_ID_SUBTYPES)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            subtype: NamedValue = ...,
            family: Any = ...,
            id: Any = ...,
        ) -> None: ...


class LLDPDUTimeToLive(LLDPDU):
    """Time To Live TLV (802.1AB 8.5.4): seconds the receiver keeps the information."""

    __slots__ = ()
    tlv_type = 3
    ttl = UInt(16, "Time to live (seconds)", 20)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            ttl: IntValue = ...,
        ) -> None: ...


class _Text(LLDPDU):
    """A TLV whose information string is text (kept as bytes, as scapy's StrLenField)."""

    __slots__ = ()

    def _fill_variable(self, values: list[Any]) -> None:
        values[_TEXT] = self._information()

    def _body(self, values: list[Any]) -> bytes:
        return values[_TEXT]  # type: ignore[no-any-return]

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
        ) -> None: ...


class LLDPDUPortDescription(_Text):
    """Port Description TLV (802.1AB 8.5.5)."""

    __slots__ = ()
    tlv_type = 4
    description: Var[Any] = Var("Port description", b"", converter=check_bytes)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            description: Any = ...,
        ) -> None: ...


class LLDPDUSystemName(_Text):
    """System Name TLV (802.1AB 8.5.6)."""

    __slots__ = ()
    tlv_type = 5
    system_name: Var[Any] = Var("System name", b"", converter=check_bytes)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            system_name: Any = ...,
        ) -> None: ...


class LLDPDUSystemDescription(_Text):
    """System Description TLV (802.1AB 8.5.7)."""

    __slots__ = ()
    tlv_type = 6
    description: Var[Any] = Var("System description", b"", converter=check_bytes)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            description: Any = ...,
        ) -> None: ...


#: System capabilities, most significant bit first (802.1AB 8.5.8.1; scapy's field names).
CAPABILITIES = (
    "reserved_5",
    "reserved_4",
    "reserved_3",
    "reserved_2",
    "reserved_1",
    "two_port_mac_relay",
    "s_vlan_component",
    "c_vlan_component",
    "station_only",
    "docsis_cable_device",
    "telephone",
    "router",
    "wlan_access_point",
    "mac_bridge",
    "repeater",
    "other",
)


class LLDPDUSystemCapabilities(LLDPDU):
    """System Capabilities TLV (802.1AB 8.5.8): the capabilities available, then those enabled."""

    __slots__ = ()
    tlv_type = 7
    reserved_5_available = UInt(1, "Reserved", 0)
    reserved_4_available = UInt(1, "Reserved", 0)
    reserved_3_available = UInt(1, "Reserved", 0)
    reserved_2_available = UInt(1, "Reserved", 0)
    reserved_1_available = UInt(1, "Reserved", 0)
    two_port_mac_relay_available = UInt(1, "Two-port MAC Relay (TPMR) available", 0)
    s_vlan_component_available = UInt(1, "S-VLAN component available", 0)
    c_vlan_component_available = UInt(1, "C-VLAN component available", 0)
    station_only_available = UInt(1, "Station only available", 0)
    docsis_cable_device_available = UInt(1, "DOCSIS cable device available", 0)
    telephone_available = UInt(1, "Telephone available", 0)
    router_available = UInt(1, "Router available", 0)
    wlan_access_point_available = UInt(1, "WLAN access point available", 0)
    mac_bridge_available = UInt(1, "MAC bridge available", 0)
    repeater_available = UInt(1, "Repeater available", 0)
    other_available = UInt(1, "Other available", 0)
    reserved_5_enabled = UInt(1, "Reserved", 0)
    reserved_4_enabled = UInt(1, "Reserved", 0)
    reserved_3_enabled = UInt(1, "Reserved", 0)
    reserved_2_enabled = UInt(1, "Reserved", 0)
    reserved_1_enabled = UInt(1, "Reserved", 0)
    two_port_mac_relay_enabled = UInt(1, "Two-port MAC Relay (TPMR) enabled", 0)
    s_vlan_component_enabled = UInt(1, "S-VLAN component enabled", 0)
    c_vlan_component_enabled = UInt(1, "C-VLAN component enabled", 0)
    station_only_enabled = UInt(1, "Station only enabled", 0)
    docsis_cable_device_enabled = UInt(1, "DOCSIS cable device enabled", 0)
    telephone_enabled = UInt(1, "Telephone enabled", 0)
    router_enabled = UInt(1, "Router enabled", 0)
    wlan_access_point_enabled = UInt(1, "WLAN access point enabled", 0)
    mac_bridge_enabled = UInt(1, "MAC bridge enabled", 0)
    repeater_enabled = UInt(1, "Repeater enabled", 0)
    other_enabled = UInt(1, "Other enabled", 0)

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            reserved_5_available: IntValue = ...,
            reserved_4_available: IntValue = ...,
            reserved_3_available: IntValue = ...,
            reserved_2_available: IntValue = ...,
            reserved_1_available: IntValue = ...,
            two_port_mac_relay_available: IntValue = ...,
            s_vlan_component_available: IntValue = ...,
            c_vlan_component_available: IntValue = ...,
            station_only_available: IntValue = ...,
            docsis_cable_device_available: IntValue = ...,
            telephone_available: IntValue = ...,
            router_available: IntValue = ...,
            wlan_access_point_available: IntValue = ...,
            mac_bridge_available: IntValue = ...,
            repeater_available: IntValue = ...,
            other_available: IntValue = ...,
            reserved_5_enabled: IntValue = ...,
            reserved_4_enabled: IntValue = ...,
            reserved_3_enabled: IntValue = ...,
            reserved_2_enabled: IntValue = ...,
            reserved_1_enabled: IntValue = ...,
            two_port_mac_relay_enabled: IntValue = ...,
            s_vlan_component_enabled: IntValue = ...,
            c_vlan_component_enabled: IntValue = ...,
            station_only_enabled: IntValue = ...,
            docsis_cable_device_enabled: IntValue = ...,
            telephone_enabled: IntValue = ...,
            router_enabled: IntValue = ...,
            wlan_access_point_enabled: IntValue = ...,
            mac_bridge_enabled: IntValue = ...,
            repeater_enabled: IntValue = ...,
            other_enabled: IntValue = ...,
        ) -> None: ...


#: Interface numbering subtypes of a management address (802.1AB 8.5.9.5).
INTERFACE_NUMBERING_SUBTYPES = {1: "unknown", 2: "ifIndex", 3: "system port number"}


class LLDPDUManagementAddress(LLDPDU):
    """Management Address TLV (802.1AB 8.5.9): the address (its string length counts its subtype
    byte), the interface numbering and number, and an optional object identifier."""

    __slots__ = ()
    tlv_type = 8
    management_address_string_length = UInt(8, "Management address string length", None, auto=LENGTH)
    management_address_subtype = UInt(8, "Management address subtype (IANA address family)", 0)
    management_address: Var[Any] = Var("Management address (IP text taken)", b"", converter=_check_address)
    interface_numbering_subtype: Var[Any] = Var(
        "Interface numbering subtype (1 unknown, 2 ifIndex, 3 system port number)", 1, converter=_check_byte
    )
    interface_number: Var[Any] = Var("Interface number", 0, converter=_check_u32)
    oid_string_length: Var[Any] = Var("OID string length", None, converter=_check_byte)
    object_id: Var[Any] = Var("Object identifier (ASN.1 BER)", b"", converter=check_bytes)

    @classmethod
    def _check(cls, buf: bytes, start: int, stop: int) -> bool:
        size = max(_read_address_length(buf, start - cls.header_len) - 1, 0)  # (counts the subtype)
        at = start + size + _INTERFACE
        if at > stop:
            raise MalformedError("lldp", start, f"a management address of {size} bytes needs {at - start}")
        if at < stop and at + 1 + buf[at] > stop:
            raise MalformedError("lldp", at, f"OID length {buf[at]} runs past the TLV's end")
        return bool(at == stop or at + 1 + buf[at] == stop)

    def _fill_variable(self, values: list[Any]) -> None:
        data = self._information()
        size = max(values[_ADDRESS_LENGTH] - 1, 0)
        at = size + _INTERFACE
        values[_ADDRESS] = data[:size]
        values[_NUMBERING] = data[size]
        values[_NUMBER] = int.from_bytes(data[size + 1 : at])
        values[_OID_LENGTH] = data[at] if len(data) > at else None  # (the OID is optional)
        values[_OID] = data[at + 1 : at + 1 + data[at]] if len(data) > at else b""

    def _body(self, values: list[Any]) -> bytes:
        oid: bytes = values[_OID]
        oid_length = values[_OID_LENGTH]
        if oid_length is None:
            oid_length = len(oid)
        address: bytes = values[_ADDRESS]
        return (
            address
            + bytes((values[_NUMBERING],))
            + int(values[_NUMBER]).to_bytes(4, "big")
            + bytes((oid_length,))
            + oid
        )

    def _computed_lengths(self, values: list[Any], body: bytes) -> tuple[int, ...]:
        (length,) = super()._computed_lengths(values, body)
        address_length = values[_ADDRESS_LENGTH]
        if address_length is None:
            address_length = 1 + len(values[_ADDRESS])
        return length, address_length

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            management_address_string_length: IntValue = ...,
            management_address_subtype: IntValue = ...,
            management_address: Any = ...,
            interface_numbering_subtype: Any = ...,
            interface_number: Any = ...,
            oid_string_length: Any = ...,
            object_id: Any = ...,
        ) -> None: ...


class LLDPDUGenericOrganisationSpecific(LLDPDU):
    """Organizationally Specific TLV (802.1AB 8.6): OUI, subtype and the data, kept raw."""

    __slots__ = ()
    tlv_type = ORGANISATION_SPECIFIC
    org_code = UInt(24, "Organizationally unique identifier (OUI)", 0, hex=True)
    subtype = UInt(8, "Organizationally defined subtype", 0)
    data: Var[Any] = Var("Organizationally defined information string", b"", converter=check_bytes)

    def _fill_variable(self, values: list[Any]) -> None:
        values[_ORG_DATA] = self._information()

    def _body(self, values: list[Any]) -> bytes:
        return values[_ORG_DATA]  # type: ignore[no-any-return]

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            type: IntValue = ...,
            length: IntValue = ...,
            org_code: IntValue = ...,
            subtype: IntValue = ...,
            data: Any = ...,
        ) -> None: ...


_TLVS = LAYERS.table(LLDP_TLV)
# Field positions, named (generated with the class): never a bare index.
_LENGTH = LLDPDU.slot.length
_UNKNOWN_DATA = LLDPDUUnknown.slot.data
_SUBTYPE, _FAMILY, _ID = _Identifier.slot.subtype, _Identifier.slot.family, _Identifier.slot.id
_ADDRESS_LENGTH = LLDPDUManagementAddress.slot.management_address_string_length
_ADDRESS = LLDPDUManagementAddress.slot.management_address
_NUMBERING = LLDPDUManagementAddress.slot.interface_numbering_subtype
_NUMBER = LLDPDUManagementAddress.slot.interface_number
_OID_LENGTH = LLDPDUManagementAddress.slot.oid_string_length
_OID = LLDPDUManagementAddress.slot.object_id
_ORG_DATA = LLDPDUGenericOrganisationSpecific.slot.data
_TEXT = LLDPDUSystemName.slot.system_name  # (each text TLV's one field, after type and length)
assert _TEXT == LLDPDUPortDescription.slot.description == LLDPDUSystemDescription.slot.description
_read_type, _read_length = reader(LLDPDU, "type"), reader(LLDPDU, "length")
_read_address_length = reader(LLDPDUManagementAddress, "management_address_string_length")
_INTERFACE = 5  #: interface numbering subtype and number

__all__ = [
    "LLDPDU",
    "LLDPDUChassisID",
    "LLDPDUEndOfLLDPDU",
    "LLDPDUGenericOrganisationSpecific",
    "LLDPDUManagementAddress",
    "LLDPDUPortDescription",
    "LLDPDUPortID",
    "LLDPDUSystemCapabilities",
    "LLDPDUSystemDescription",
    "LLDPDUSystemName",
    "LLDPDUTimeToLive",
    "LLDPDUUnknown",
]
