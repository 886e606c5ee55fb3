"""Compiling generated Python source so that tracebacks and debuggers show it.

The header compiler (compiler.py) and the stack codecs (fused.py) write Python source and compile
it here. Each piece of source gets a file name of its own, ``rawnet/wire/<generated>/NAME.py``, and
its lines are put in ``linecache``: a traceback through generated code shows the line that
failed instead of ``File "<string>"``. Nothing here runs per packet; nothing here does I/O.
"""

from __future__ import annotations

import linecache
from typing import Any

#: The directory part of every generated file name (no such directory exists on disk).
GENERATED_DIR = "rawnet/wire/<generated>"


def generated_filename(name: str) -> str:
    """The file name generated source called ``name`` is registered under."""
    return f"{GENERATED_DIR}/{name}.py"


def compile_source(name: str, lines: list[str], namespace: dict[str, Any]) -> dict[str, Any]:
    """Compile and run ``lines`` in ``namespace`` (which it returns), registered as file ``name``.

    Registering the same name again (a class redefined, in a test or a notebook) replaces the
    earlier lines, so tracebacks always show the source that ran.
    """
    source = "\n".join(lines) + "\n"
    filename = generated_filename(name)
    # (size, mtime None: linecache.checkcache keeps entries with no file behind them)
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return namespace
