"""Timing machinery of the benchmark: batches timed with perf_counter, tools interleaved, medians.

Nothing here knows a packet: a case hands over one callable per tool that does one packet's work.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: One packet's work. Its argument is the iteration number (0, 1, 2, ...); cases may use it (as a
#: TCP sequence number, say) or ignore it.
Op = Callable[[int], Any]

#: A calibration batch must last at least this share of the wanted batch time to be trusted.
_CALIBRATION_SHARE = 0.2


def time_batch(op: Op, count: int) -> float:
    """Seconds that ``count`` calls of ``op`` take, leftover garbage collected beforehand."""
    gc.collect()
    start = time.perf_counter()
    deque(map(op, range(count)), maxlen=0)
    return time.perf_counter() - start


def calibrate(op: Op, seconds: float) -> int:
    """How many calls of ``op`` fill about ``seconds``; the runs double as warm-up."""
    count = 1
    while True:
        elapsed = time_batch(op, count)
        if elapsed >= seconds * _CALIBRATION_SHARE:
            return max(1, round(count * seconds / elapsed))
        count *= 2 if elapsed > seconds * _CALIBRATION_SHARE / 4 else 8


@dataclass(frozen=True)
class Rates:
    """Packets per second of one tool in one case, one figure per round."""

    per_round: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.per_round)

    @property
    def spread(self) -> float:
        """(fastest - slowest round) / median: how noisy this cell was."""
        return (max(self.per_round) - min(self.per_round)) / self.median


def measure(ops: Mapping[str, Op], rounds: int, seconds: float) -> dict[str, Rates]:
    """Rates of every op: ``rounds`` batches of about ``seconds`` each, tools taken round-robin.

    Each round starts with the next tool, so neither a slow drift of the machine nor the order
    of the tools favours one of them.
    """
    names = list(ops)
    counts = {name: calibrate(ops[name], seconds) for name in names}
    rates: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            rates[name].append(counts[name] / time_batch(ops[name], counts[name]))
    return {name: Rates(tuple(values)) for name, values in rates.items()}


def _nothing(_: int) -> None:
    return None


def overhead_ns(seconds: float) -> float:
    """Nanoseconds the harness itself spends per call (a call of an empty function), median of 3."""
    count = calibrate(_nothing, seconds)
    return statistics.median(time_batch(_nothing, count) / count * 1e9 for _ in range(3))
