"""How planlog works with CPython's cyclic garbage collector: what a serving process (a
web worker, `planlog serve`, `planlog worker`) does with the objects its start-up built,
and how large work (a batch of events, a city's rollup) keeps the collector out of it.

A web worker starts with some 200,000 long-lived objects: modules with their functions
and classes, pydantic and SQLAlchemy metadata. CPython's cyclic collector walks all of
them whenever enough young objects survive into the oldest generation, and a large
answer is made of young objects that survive until it is sent: a city's rollup at
9,000 unions allocates about 100,000 of them, a reminder pass's batch of 500 items as
many. Measured there, the rollup took 210 ms (median) with the start-up objects in the
collector's sight and 64 ms without.

`gc.freeze()` moves every object alive now into a permanent generation the collector
never walks. Nothing leaks by it: an object frozen and later dropped is still freed by
reference counting; only a reference cycle among frozen objects would stay, and start-up
is over by then.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def freeze_startup_objects() -> None:
    """Called once a serving process has built its application, before it serves."""
    gc.collect()  # what start-up built and already dropped is not frozen with the rest
    gc.freeze()


class _Pauses:
    """The large pieces of work going on, across threads: the collector is paused while
    any of them runs and back on, if it was on before the first, once the last is done.
    Each on its own (turning it back on if it found it on) would race: one that found it
    already paused by another, which then ended, paused it again, and no one turned it
    back on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._was_enabled = False

    def begin(self) -> None:
        with self._lock:
            if self._running == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._running += 1

    def end(self) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0 and self._was_enabled:
                gc.enable()


_pauses = _Pauses()


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large piece of work builds its objects.

    A batch of events, or a city's rollup, holds tens of thousands of fresh dicts until
    it is done; each burst of allocations set off a collection that scanned them all
    again, costing more than the work itself (bench/rebuild_rate.py; a tenth to a third
    of a city's rollup). Nothing is lost by it: reference counting frees whatever holds no
    cycle, and the collector finds the rest once it runs again. Work in several threads
    at once keeps it paused until the last is done (`_Pauses`)."""
    _pauses.begin()
    try:
        yield
    finally:
        _pauses.end()
