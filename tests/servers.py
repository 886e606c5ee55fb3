"""Servers the tests run as subprocesses in a lab: started once they say so, always reaped."""

from __future__ import annotations

import select
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rawnet.net.lab import Lab


@contextmanager
def started(
    lab: Lab, host: str, argv: Sequence[str], ready: Callable[[str], bool], timeout: float
) -> Iterator[subprocess.Popen[str]]:
    """``argv`` running in ``host``, yielded once its first stderr line satisfies ``ready``.

    However the block ends, the process is killed if still running, waited for, and its pipes
    closed.
    """
    process = lab.popen(host, argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stderr is not None
        waiting, _, _ = select.select([process.stderr], [], [], timeout)
        line = process.stderr.readline() if waiting else ""
        assert ready(line), f"{' '.join(argv)} did not start: {line!r} (exit {process.poll()})"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
