"""IEEE 802.2 LLC and SNAP as tcpdump prints them without -e (print-llc.c): the protocols it
knows by SAP (STP, OSI) speak; others get the frame's addresses, SAP names and control field."""

from __future__ import annotations

from rawnet.wire.printers import Cut, Printer, isis, run, stp

# tcpdump's SAP names (llc.h, print-llc.c llc_values).
_SAPS = {
    0x00: "Null", 0xFF: "Global", 0x02: "802.1B I", 0x03: "802.1B G", 0x06: "IP", 0x04: "SNA",
    0x0E: "ProWay NM", 0x42: "STP", 0x4E: "RS511", 0x7E: "ISO8208", 0x8E: "ProWay", 0xAA: "SNAP",
    0xE0: "IPX", 0xF0: "NetBeui", 0xFE: "OSI",
}  # fmt: skip
_COMMANDS = {
    0x03: "ui",
    0xE3: "test",
    0xAF: "xid",
    0x63: "ua",
    0x43: "disc",
    0x0F: "dm",
    0x6F: "sabme",
    0x87: "frmr",
}
_FLAGS = {0: "Command", 1: "Response", 0x10: "Poll", 0x11: "Final", 0x100: "Poll", 0x101: "Final"}
_SUPERVISORY = {0: "Receiver Ready", 1: "Receiver not Ready", 2: "Reject"}
_GSAP, _IG, _U_POLL, _IS_POLL, _UI, _XID_FI = 0x01, 0x01, 0x10, 0x0100, 0x03, 0x81
_STP, _OSI = 0x42, 0xFE

#: The printers of the protocols LLC carries by SAP (UI frames whose two SAPs are the same):
#: (the name of " [|name]", printer).
SAP_PRINTERS: dict[int, tuple[str, Printer]] = {_STP: ("stp", stp.stp), _OSI: ("isoclns", isis.osi)}


def _sap(number: int, kind: str) -> str:
    return _SAPS.get(number, f"Unknown {kind} 0x{number:02x}")


def llc_text(src: str, dst: str, data: bytes, length: int) -> str:
    """tcpdump's line for the 802.2 frame ``data`` (``length`` long on the wire) between ``src``
    and ``dst``, as print-llc.c's llc_print writes it without -e."""
    if len(data) < 3 or length < 3:
        return " [|llc]"
    dsap_field, ssap_field, control = data[0], data[1], data[2]
    unnumbered = control & 0x03 == 0x03
    header_len = 3
    if not unnumbered:
        if len(data) < 4 or length < 4:
            return " [|llc]"
        control, header_len = int.from_bytes(data[2:4], "little"), 4
    if dsap_field == ssap_field == 0xFF:
        return f"IPX {length}"  # (an 802.3 IPX frame: print-ipx.c, not read further here)
    dsap, ssap = dsap_field & ~_IG, ssap_field & ~_GSAP
    body, rest = data[header_len:], length - header_len
    if dsap == ssap and control == _UI and dsap in SAP_PRINTERS:
        name, printer = SAP_PRINTERS[dsap]
        text = run(name, printer, body, rest)
        if text is not None:
            return text
    if ssap == dsap:
        text = f"{src} > {dst} {_sap(dsap, 'DSAP')} "
    else:
        text = f"{src} {_sap(ssap, 'SSAP')} > {dst} {_sap(dsap, 'DSAP')} "
    if unnumbered:
        command = _COMMANDS.get(control & ~_U_POLL & 0xFF, f"{control & ~_U_POLL & 0xFF:02x}")
        flags = _FLAGS.get((ssap_field & _GSAP) | (control & _U_POLL), "?")
        text += f"Unnumbered, {command}, Flags [{flags}], length {length}"
        if control & ~_U_POLL == 0xAF and rest and body[:1] == bytes((_XID_FI,)):
            try:
                if len(body) < 3 or rest < 3:
                    raise Cut
                text += f": {body[1]:02x} {body[2]:02x}"
            except Cut:
                text += " [|llc]"
        return text
    flags = _FLAGS.get((ssap_field & _GSAP) | (control & _IS_POLL), "?")
    if control & 0x03 == 0x01:
        kind = _SUPERVISORY.get((control >> 2) & 0x03, "?")
        return text + f"Supervisory, {kind}, rcv seq {control >> 9}, Flags [{flags}], length {length}"
    sequence = (control >> 1) & 0x7F
    return (
        text + f"Information, send seq {sequence}, rcv seq {control >> 9}, Flags [{flags}], length {length}"
    )
