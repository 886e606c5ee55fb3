"""common.py: what every subcommand shares; here, the handler of the signals that stop a run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A Ctrl-C whose KeyboardInterrupt is raised inside a weakref callback (the garbage collector
# ran one as the signal came): Python prints "Exception ignored" and goes on. With later Ctrl-Cs
# ignored (StopOnce), a flood could then no longer be stopped: seen once in `make test`.
DROPPED = textwrap.dedent(
    """
    import signal, sys, time, weakref
    from rawnet.cli.common import StopOnce

    handler = StopOnce()
    signal.signal(signal.SIGINT, handler)

    class Thing:
        pass

    try:
        thing = Thing()
        ref = weakref.ref(thing, lambda _: handler(signal.SIGINT, None))
        del thing  # the callback raises KeyboardInterrupt where Python drops it
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the run goes on: it must still stop
            pass
        print("never stopped")
    except KeyboardInterrupt:
        print("stopped", handler.fired, signal.getsignal(signal.SIGINT) is signal.SIG_IGN)
    """
)


def test_a_stop_raised_where_python_drops_it_comes_again() -> None:
    result = subprocess.run([sys.executable, "-c", DROPPED], capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == "stopped True True", result.stdout + result.stderr
    assert "Exception ignored" not in result.stderr, result.stderr


def test_other_unraisable_errors_are_still_reported() -> None:
    script = textwrap.dedent(
        """
        import signal, weakref
        from rawnet.cli.common import StopOnce

        handler = StopOnce()
        signal.signal(signal.SIGINT, handler)
        try:
            signal.raise_signal(signal.SIGINT)  # a first stop: its hook is in place from now on
        except KeyboardInterrupt:
            pass

        class Thing:
            pass

        thing = Thing()
        ref = weakref.ref(thing, lambda _: 1 / 0)
        del thing  # Python's "Exception ignored", as without rawnet
        print("went on")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == "went on", result.stderr
    assert "Exception ignored" in result.stderr and "ZeroDivisionError" in result.stderr, result.stderr
