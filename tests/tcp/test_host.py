"""The virtual host's lock (no lab): Ctrl-C in a caller's wait leaves it right.

CI caught `rawnet http`'s Ctrl-C test failing once with "release unlocked lock" in place of the
KeyboardInterrupt: the signal had broken off ``Condition.wait`` taking the lock back while the
I/O thread held it. These tests make that interleaving happen every time.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from rawnet.errors import RawnetError
from rawnet.tcp.host import HostLock


@pytest.fixture
def interrupts() -> Iterator[Callable[[], None]]:
    """SIGINT raises KeyboardInterrupt in this (the main) thread; the call sends it from another."""
    assert threading.current_thread() is threading.main_thread()
    main = threading.get_ident()
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield lambda: signal.pthread_kill(main, signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, before)


def _other_thread(body: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            body()
        except BaseException as error:  # (asserted empty by the tests)
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failures


def test_ctrl_c_while_the_lock_is_taken_back_waits_for_it_and_leaves_the_other_threads_hold(
    interrupts: Callable[[], None],
) -> None:
    lock = HostLock()
    released_at: list[float] = []

    def io_thread() -> None:  # wakes the waiter, then keeps the lock while the signal comes
        time.sleep(0.2)
        with lock:
            lock.notify_all()
            time.sleep(0.1)  # the waiter is now blocked taking the lock back
            interrupts()
            time.sleep(0.2)
            assert lock._held._is_owned()  # (still this thread's)
            released_at.append(time.monotonic())

    thread, failures = _other_thread(io_thread)
    with pytest.raises(KeyboardInterrupt), lock:
        lock.wait(5)
        pytest.fail("wait() returned after the signal")
    caught_at = time.monotonic()
    thread.join(5)
    assert failures == []  # a plain Lock's Condition: RuntimeError('release unlocked lock') here
    assert released_at and caught_at >= released_at[0]  # the waiter had the lock back first
    assert not lock._held._is_owned()
    assert lock.acquire(timeout=1)  # free, and usable
    lock.release()


def test_ctrl_c_during_the_wait_itself_ends_it_with_the_lock_let_go(interrupts: Callable[[], None]) -> None:
    lock = HostLock()

    def later() -> None:
        time.sleep(0.2)
        interrupts()

    thread, failures = _other_thread(later)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), lock:
        lock.wait(5)
    assert time.monotonic() - started < 4
    thread.join(5)
    assert failures == []

    def take() -> None:
        assert lock.acquire(timeout=1)
        lock.release()

    other, failures = _other_thread(take)
    other.join(5)
    assert failures == []


def test_the_end_of_a_block_whose_lock_was_lost_releases_nothing() -> None:
    """The instant between wait() letting the lock go and its try (a signal there is not
    reproducible on purpose): the block's end must not release a lock this thread lacks."""
    lock = HostLock()
    holder_done = threading.Event()
    may_end = threading.Event()

    def holder() -> None:
        with lock:
            holder_done.set()
            may_end.wait(5)

    thread, failures = _other_thread(holder)
    holder_done.wait(5)
    lock.__exit__(None, None, None)  # as a with-block ends after such a loss
    assert lock._held._is_owned() is False
    may_end.set()
    thread.join(5)
    assert failures == []  # the holder released its own hold without error


def test_a_thread_cannot_take_it_twice() -> None:
    """As the plain Lock before it (which hung instead): a hook's call of a connection's methods
    from inside the I/O is an error that says so; the hold it had is kept."""
    lock = HostLock()
    with lock:
        with pytest.raises(RawnetError, match="cannot call the connection's methods"), lock:
            pytest.fail("taken twice")
        assert lock._held._is_owned()
    assert not lock._held._is_owned()
