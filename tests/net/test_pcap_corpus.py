"""tcpdump's own test captures (tests/data/tcpdump; many made by fuzzers to break decoders) read
as libpcap reads them: the same records, each decoded, printed (tcpdump's line, and -vv's),
verified, shown and turned to JSON as `rawnet sniff --json` does, with nothing but rawnet's own
errors, and memory bounded by the record's size, not by what its lengths claim."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pcapy
import pytest

from rawnet.cli.common import _jsonable
from rawnet.cli.decode import layer_checks, layer_records
from rawnet.errors import RawnetError
from rawnet.net.pcap import PcapReader, Record

CORPUS = Path(__file__).resolve().parents[1] / "data" / "tcpdump"
CAPTURES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".pcap", ".pcapng"))
#: Bytes a record may make rawnet allocate at its peak: a fixed part (the classes' first-use
#: caches, the text) and a part per byte of the record (objects per field, copies).
_FIXED, _PER_BYTE = 64 * 1024, 64


def _libpcap_records(path: Path) -> list[bytes] | None:
    """The records libpcap reads from ``path``, or None when it refuses the file."""
    try:
        reader = pcapy.open_offline(str(path))
    except pcapy.PcapError:
        return None
    records = []
    while True:
        try:
            header, data = reader.next()
        except pcapy.PcapError:  # (a record cut short at the end: libpcap stops there with an error)
            break
        if header is None:
            break
        records.append(data)
    return records


def _use(record: Record) -> None:
    """Everything rawnet sniff and a user do with a record read."""
    packet = record.packet
    packet.summary()
    packet.summary(2)
    packet.verify()
    packet.show(dump=True)
    json.dumps(layer_records(packet, layer_checks(packet)), default=_jsonable)


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_record_decodes_prints_and_shows_within_bounds(capture: str) -> None:
    expected = _libpcap_records(CORPUS / capture)
    seen: list[bytes] = []
    try:
        with PcapReader(CORPUS / capture) as reader:
            for record in reader.records():
                seen.append(record.data)
                _use(record)  # (the first use of a class compiles its code: not the input's doing)
                tracemalloc.start()
                try:
                    _use(record)
                    _, peak = tracemalloc.get_traced_memory()
                finally:
                    tracemalloc.stop()
                assert peak <= _FIXED + _PER_BYTE * len(record.data), (len(seen), peak)
    except RawnetError:
        assert expected is None or len(seen) >= len(expected) - 1, "rawnet stopped before libpcap"
        return
    assert expected is not None, "libpcap refuses the file rawnet read"
    assert seen == expected
