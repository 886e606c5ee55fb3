"""BOOTP (RFC 951) and its DHCP options (RFC 2131, RFC 2132): scapy's BOOTP and DHCP layers.

BOOTP is the fixed 236-byte message, its ``options`` the vendor area after it. When that area
opens with the DHCP magic cookie, ``options`` holds the cookie and a DHCP layer follows with the
options as scapy's list: ``("name", value, ...)`` tuples, "pad" and "end", an unknown option as
``(code, bytes)``, and a known one whose size does not fit its format as ``("name", bytes)``.
An option whose length runs past the end of the message is a TruncatedError (what follows an
"end" is kept as bytes instead). Never I/O, never globals.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rawnet.errors import TruncatedError
from rawnet.wire.addresses import IPv4
from rawnet.wire.fields import (
    AddressValue,
    BytesValue,
    FixedBytes,
    Flags,
    FlagsValue,
    FrozenList,
    IntValue,
    ListVar,
    NamedValue,
    UInt,
    Var,
    check_bytes,
)
from rawnet.wire.layer import Layer, LayerClass, Raw
from rawnet.wire.options import frozen

MAGIC = b"c\x82Sc"  #: the DHCP magic cookie (RFC 2131 3): 99.130.83.99
_MAGIC_LEN = len(MAGIC)
PAD, END = 0, 255

#: DHCP message types (option 53), scapy's names.
DHCP_TYPES = {
    1: "discover", 2: "offer", 3: "request", 4: "decline", 5: "ack", 6: "nak", 7: "release",
    8: "inform", 9: "force_renew", 10: "lease_query", 11: "lease_unassigned",
    12: "lease_unknown", 13: "lease_active",
}  # fmt: skip
_TYPE_NUMBERS = {name: number for number, name in DHCP_TYPES.items()}

# How an option's data reads (scapy's field for it): each kind a (size, decode, encode).
_IP, _INT, _SHORT, _BYTE, _TYPE, _BYTES, _LIST, _ROUTES = range(8)

#: The options by code: scapy's name and how its value reads.
OPTIONS: dict[int, tuple[str, int]] = {
    1: ("subnet_mask", _IP), 2: ("time_zone", _INT), 3: ("router", _IP), 4: ("time_server", _IP),
    5: ("IEN_name_server", _IP), 6: ("name_server", _IP), 7: ("log_server", _IP),
    8: ("cookie_server", _IP), 9: ("lpr_server", _IP), 10: ("impress-servers", _IP),
    11: ("resource-location-servers", _IP), 12: ("hostname", _BYTES), 13: ("boot-size", _SHORT),
    14: ("dump_path", _BYTES), 15: ("domain", _BYTES), 16: ("swap-server", _IP),
    17: ("root_disk_path", _BYTES), 18: ("extensions-path", _BYTES), 19: ("ip-forwarding", _BYTE),
    20: ("non-local-source-routing", _BYTE), 21: ("policy-filter", _IP),
    22: ("max_dgram_reass_size", _SHORT), 23: ("default_ttl", _BYTE), 24: ("pmtu_timeout", _INT),
    25: ("path-mtu-plateau-table", _SHORT), 26: ("interface-mtu", _SHORT),
    27: ("all-subnets-local", _BYTE), 28: ("broadcast_address", _IP),
    29: ("perform-mask-discovery", _BYTE), 30: ("mask-supplier", _BYTE),
    31: ("router-discovery", _BYTE), 32: ("router-solicitation-address", _IP),
    33: ("static-routes", _IP), 34: ("trailer-encapsulation", _BYTE),
    35: ("arp_cache_timeout", _INT), 36: ("ieee802-3-encapsulation", _BYTE), 37: ("tcp_ttl", _BYTE),
    38: ("tcp_keepalive_interval", _INT), 39: ("tcp_keepalive_garbage", _BYTE),
    40: ("NIS_domain", _BYTES), 41: ("NIS_server", _IP), 42: ("NTP_server", _IP),
    43: ("vendor_specific", _BYTES), 44: ("NetBIOS_server", _IP), 45: ("NetBIOS_dist_server", _IP),
    46: ("NetBIOS_node_type", _BYTE), 47: ("netbios-scope", _BYTES), 48: ("font-servers", _IP),
    49: ("x-display-manager", _IP), 50: ("requested_addr", _IP), 51: ("lease_time", _INT),
    52: ("dhcp-option-overload", _BYTE), 53: ("message-type", _TYPE), 54: ("server_id", _IP),
    55: ("param_req_list", _LIST), 56: ("error_message", _BYTES), 57: ("max_dhcp_size", _SHORT),
    58: ("renewal_time", _INT), 59: ("rebinding_time", _INT), 60: ("vendor_class_id", _BYTES),
    61: ("client_id", _BYTES), 62: ("nwip-domain-name", _BYTES), 64: ("NISplus_domain", _BYTES),
    65: ("NISplus_server", _IP), 66: ("tftp_server_name", _BYTES), 67: ("boot-file-name", _BYTES),
    68: ("mobile-ip-home-agent", _IP), 69: ("SMTP_server", _IP), 70: ("POP3_server", _IP),
    71: ("NNTP_server", _IP), 72: ("WWW_server", _IP), 73: ("Finger_server", _IP),
    74: ("IRC_server", _IP), 75: ("StreetTalk_server", _IP), 76: ("StreetTalk_Dir_Assistance", _IP),
    77: ("user_class", _BYTES), 78: ("slp_service_agent", _BYTES), 79: ("slp_service_scope", _BYTES),
    80: ("rapid_commit", _BYTES), 81: ("client_FQDN", _BYTES), 82: ("relay_agent_information", _BYTES),
    85: ("nds-server", _IP), 86: ("nds-tree-name", _BYTES), 87: ("nds-context", _BYTES),
    88: ("bcms-controller-namesi", _BYTES), 89: ("bcms-controller-address", _IP),
    91: ("client-last-transaction-time", _INT), 92: ("associated-ip", _IP),
    93: ("pxe_client_architecture", _BYTES), 94: ("pxe_client_network_interface", _BYTES),
    97: ("pxe_client_machine_identifier", _BYTES), 98: ("uap-servers", _BYTES),
    100: ("pcode", _BYTES), 101: ("tcode", _BYTES), 108: ("ipv6-only-preferred", _INT),
    112: ("netinfo-server-address", _IP), 113: ("netinfo-server-tag", _BYTES),
    114: ("captive-portal", _BYTES), 116: ("auto-config", _BYTE), 117: ("name-service-search", _SHORT),
    118: ("subnet-selection", _IP), 121: ("classless_static_routes", _ROUTES),
    124: ("vendor_class", _BYTES), 125: ("vendor_specific_information", _BYTES),
    128: ("tftp_server_ip_address", _IP), 136: ("pana-agent", _IP), 137: ("v4-lost", _BYTES),
    138: ("capwap-ac-v4", _IP), 141: ("sip_ua_service_domains", _BYTES),
    145: ("forcerenew_nonce_capable", _LIST), 146: ("rdnss-selection", _BYTES),
    150: ("tftp_server_address", _IP), 159: ("v4-portparams", _BYTES),
    160: ("v4-captive-portal", _BYTES), 161: ("mud-url", _BYTES), 208: ("pxelinux_magic", _BYTES),
    209: ("pxelinux_configuration_file", _BYTES), 210: ("pxelinux_path_prefix", _BYTES),
    211: ("pxelinux_reboot_time", _BYTES), 212: ("option-6rd", _BYTES),
    213: ("v4-access-domain", _BYTES),
}  # fmt: skip
#: The codes by name ("pad" and "end" too).
OPTION_CODES = {name: code for code, (name, _) in OPTIONS.items()} | {"pad": PAD, "end": END}

_INT32, _UINT16 = struct.Struct("!i"), struct.Struct("!H")
_SIZES = {_IP: 4, _INT: 4, _SHORT: 2, _BYTE: 1, _TYPE: 1}
_READ: dict[int, Callable[[bytes], Any]] = {
    _IP: socket.inet_ntoa,
    _INT: lambda data: _INT32.unpack(data)[0],
    _SHORT: lambda data: _UINT16.unpack(data)[0],
    _BYTE: lambda data: data[0],
    _TYPE: lambda data: data[0],
}
_WRITE: dict[int, Callable[[Any], bytes]] = {
    _IP: socket.inet_aton,
    _INT: _INT32.pack,
    _SHORT: _UINT16.pack,
    _BYTE: lambda value: bytes((value,)),
    _TYPE: lambda value: bytes((_TYPE_NUMBERS[value] if isinstance(value, str) else value,)),
}

Option = Any  #: "pad", "end", bytes, or a tuple (name or code, value, ...)


def _routes(data: bytes) -> tuple[str, ...] | None:
    """RFC 3442 routes as scapy's "destination/width:router" texts, or None if they do not parse."""
    routes = []
    at = 0
    while at < len(data):
        width = data[at]
        octets = (width + 7) // 8
        if width > 32 or at + 1 + octets + 4 > len(data):
            return None
        destination = socket.inet_ntoa(data[at + 1 : at + 1 + octets].ljust(4, b"\0"))
        router = socket.inet_ntoa(data[at + 1 + octets : at + 5 + octets])
        routes.append(f"{destination}/{width}:{router}")
        at += 5 + octets
    return tuple(routes) if routes else None


def _route_bytes(route: str) -> bytes:
    destination, rest = route.split("/")
    width_text, router = rest.split(":")
    width = int(width_text)
    if not 0 <= width <= 32:
        raise ValueError(f"route width {width} is not 0..32")
    return bytes((width,)) + socket.inet_aton(destination)[: (width + 7) // 8] + socket.inet_aton(router)


def _typed(code: int, data: bytes) -> Option:
    known = OPTIONS.get(code)
    if known is None:
        return (code, data)
    name, kind = known
    if kind == _BYTES:
        return (name, data)
    if kind == _LIST:
        return (name, FrozenList(data)) if data else (name, data)
    if kind == _ROUTES:
        routes = _routes(data)
        return (name, data) if routes is None else (name, *routes)
    size = _SIZES[kind]
    if not data or len(data) % size:
        return (name, data)  # (a size its format does not take: the bytes, as they are)
    read = _READ[kind]
    return (name, *(read(data[at : at + size]) for at in range(0, len(data), size)))


def decode_options(buf: bytes, offset: int, end: int) -> list[Option]:
    """DHCP options in ``buf[offset:end]`` as scapy's list; one running past ``end`` raises,
    unless an "end" came before it (what follows an "end" is kept as it is)."""
    options: list[Option] = []
    at = offset
    ended = False
    while at < end:
        code = buf[at]
        if code == PAD:
            options.append("pad")
            at += 1
            continue
        if code == END:
            options.append("end")
            ended = True
            at += 1
            continue
        if at + 2 > end or at + 2 + buf[at + 1] > end:
            if ended:
                options.append(buf[at:end])
                break
            left = end - at
            raise TruncatedError(
                "dhcp",
                at,
                f"option {code} has no length byte"
                if left < 2
                else f"option {code} length {buf[at + 1]} runs past the end ({left - 2} bytes left)",
            )
        size = buf[at + 1]
        options.append(_typed(code, buf[at + 2 : at + 2 + size]))
        at += 2 + size
    return options


def _value_bytes(kind: int, value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if kind == _BYTES:
        return check_bytes(value)
    if kind == _LIST:
        return bytes(value)
    if kind == _ROUTES:
        return _route_bytes(value)
    return _WRITE[kind](value)


def _encode_option(option: Option) -> bytes:
    if isinstance(option, str):
        code = OPTION_CODES.get(option)
        if code not in (PAD, END):
            raise ValueError(f"option {option!r} needs a value: give it as ({option!r}, value)")
        return bytes((code,))
    if isinstance(option, bytes):
        return option
    if isinstance(option, int):
        return bytes((option, 0))  # (scapy's: a code alone is an empty option)
    name, *values = option
    if isinstance(name, int):
        code, kind = name, _BYTES
    else:
        code = OPTION_CODES.get(name, -1)
        if code < 0 or code in (PAD, END):
            raise ValueError(f"unknown option {name!r}: use a name of rawnet.wire.dhcp.OPTIONS or a code")
        kind = OPTIONS[code][1]
    if not 0 <= code <= 255:
        raise ValueError(f"option code {code} is not 0..255")
    data = b"".join(_value_bytes(kind, value) for value in values)
    if len(data) > 255:
        raise ValueError(f"option {name!r} has {len(data)} bytes of data, at most 255 fit")
    return bytes((code, len(data))) + data


def encode_options(options: Sequence[Option]) -> bytes:
    """The options' bytes, as given (no "end" or padding added)."""
    return b"".join(_encode_option(option) for option in options)


def _check_options(value: Any) -> tuple[Option, ...]:
    if isinstance(value, bytes | bytearray | str):
        raise TypeError("options are a list of (name, value) tuples, 'pad' and 'end'")
    options = tuple(
        option if isinstance(option, str | bytes | int) else tuple(frozen(part) for part in option)
        for option in value
    )
    try:
        encode_options(options)
    except (struct.error, OSError, KeyError, IndexError) as error:
        raise ValueError(f"bad option value: {error}") from None
    return tuple(
        tuple(FrozenList(part) if isinstance(part, tuple) else part for part in option)
        if isinstance(option, tuple)
        else option
        for option in options
    )


def _show_option(option: Option) -> str:
    if isinstance(option, tuple) and option:
        return f"{option[0]}=" + ",".join(repr(value) for value in option[1:])
    return repr(option) if isinstance(option, bytes) else str(option)


def _show_options(options: Sequence[Option]) -> str:
    return "[" + " ".join(_show_option(option) for option in options) + "]"


class _HardwareAddress(FixedBytes):
    """chaddr: 16 bytes; an Ethernet address may be given as text (zero-padded, as scapy's)."""

    def convert(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = bytes.fromhex(value.replace(":", "").replace("-", ""))
            except ValueError:
                raise self.fail(value, "a MAC address or at most 16 bytes") from None
        return super().convert(value)

    def display(self, stored: Any) -> str:
        if isinstance(stored, bytes) and len(stored) == self.size and not any(stored[_MAC_SIZE:]):
            return f"{stored[:_MAC_SIZE].hex(':')} (+ {self.size - _MAC_SIZE} nul pad)"  # (scapy's words)
        return super().display(stored)


_MAC_SIZE = 6


class BOOTP(Layer):
    """A BOOTP/DHCP message (RFC 951, RFC 2131 2): fixed part, then the vendor area ``options``."""

    __slots__ = ()
    name = "bootp"
    op = UInt(8, "Message op code", 1, names={"BOOTREQUEST": 1, "BOOTREPLY": 2},
              labels={1: "BOOTREQUEST", 2: "BOOTREPLY"})  # fmt: skip
    htype = UInt(8, "Hardware address type", 1)
    hlen = UInt(8, "Hardware address length", 6)
    hops = UInt(8, "Hops", 0)
    xid = UInt(32, "Transaction ID", 0, hex=True)
    secs = UInt(16, "Seconds elapsed", 0)
    flags = Flags(16, "???????????????B", "Flags (B: broadcast)")  # scapy's letters
    ciaddr = IPv4("Client IP address", "0.0.0.0")
    yiaddr = IPv4("'Your' (client) IP address", "0.0.0.0")
    siaddr = IPv4("Next server IP address", "0.0.0.0")
    giaddr = IPv4("Relay agent IP address", "0.0.0.0")
    chaddr = _HardwareAddress(16, "Client hardware address")
    sname = FixedBytes(64, "Server host name")
    file = FixedBytes(128, "Boot file name")
    #: The vendor area (RFC 1497): None builds DHCP's magic cookie when a DHCP layer follows.
    options: Var[bytes] = Var(
        "Vendor area (the magic cookie before DHCP options)", None, converter=check_bytes
    )

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> BOOTP:
        fixed = offset + cls.header_len
        if fixed > end:
            raise cls._truncated(offset, end)
        if buf[fixed : fixed + _MAGIC_LEN] == MAGIC:
            return cls._view(buf, offset, fixed + _MAGIC_LEN, end, mode)
        return cls._view(buf, offset, end, end, mode)

    def _fill_variable(self, values: list[Any]) -> None:
        values[_OPTIONS] = self._buf[self._off + self.header_len : self._poff]

    def _next_layer(self) -> tuple[LayerClass, int]:
        return DHCP, 0

    def _encode_variable(self, values: list[Any]) -> bytes:
        options = values[_OPTIONS]
        if options is None:
            return MAGIC if isinstance(self.payload, DHCP) else b""
        return options  # type: ignore[no-any-return]

    def hashret(self) -> bytes:
        return self.xid.to_bytes(4, "big")

    def answers(self, other: Layer) -> Any:
        return isinstance(other, BOOTP) and self.xid == other.xid

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            op: NamedValue = ...,
            htype: IntValue = ...,
            hlen: IntValue = ...,
            hops: IntValue = ...,
            xid: IntValue = ...,
            secs: IntValue = ...,
            flags: FlagsValue = ...,
            ciaddr: AddressValue = ...,
            yiaddr: AddressValue = ...,
            siaddr: AddressValue = ...,
            giaddr: AddressValue = ...,
            chaddr: BytesValue = ...,
            sname: BytesValue = ...,
            file: BytesValue = ...,
            options: Any = ...,
        ) -> None: ...


class DHCP(Layer):
    """DHCP options (RFC 2132) after BOOTP's magic cookie, as scapy's list of (name, value) tuples."""

    __slots__ = ()
    name = "dhcp"
    options: ListVar[tuple[Any, ...]] = ListVar(
        "Options", (), converter=_check_options, shower=_show_options, copied=False
    )

    @classmethod
    def _decode(cls, buf: bytes, offset: int, end: int, mode: int) -> DHCP:
        options = tuple(decode_options(buf, offset, end))  # (decoded and checked now)
        layer = cls._view(buf, offset, end, end, mode)
        layer._v = [options]  # (no fixed part to unpack later)
        return layer

    def _next_layer(self) -> tuple[LayerClass, int]:
        return Raw, 0

    def _build(self, pseudo: bytes | None) -> bytes:
        return encode_options(self._values()[_DHCP_OPTIONS]) + self._build_payload(None) + self._pad

    if TYPE_CHECKING:  # generated by rawnet.wire.signatures: the constructor mypy sees

        def __init__(
            self,
            _data: bytes | bytearray | memoryview | None = None,
            /,
            *,
            options: Any = ...,
        ) -> None: ...


# Field positions, named (generated with the class): never a bare index.
_OPTIONS, _DHCP_OPTIONS = BOOTP.slot.options, DHCP.slot.options

__all__ = ["BOOTP", "DHCP"]
