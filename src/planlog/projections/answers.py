"""Answers computed from the read models, kept until a read model moves.

A city's rollup or ranking covers every union below it (9,000 of them, megabytes of
JSON) and costs its computation whoever asks: a federation's staff polling the same
board would each pay it. The read models only change when a projection moves (or is
rebuilt, retried or released, which bumps its version), so an answer computed at one
set of tracking rows is the answer while those rows are unchanged: this keeps a few
answers, keyed by what was asked and by the tracking rows read *before* computing them.
An answer may so be newer than its key, never older: a request that reads later rows
computes afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from planlog.projections.base import tracking

#: bytes of answers kept per process: a city's full rollup at 9,000 unions is ~3 MB
BUDGET = 48 * 2**20


def read_model_marks(conn: Connection) -> tuple[tuple[str, int, int], ...]:
    """Every projection's (name, position, version): what an answer was computed at."""
    t = tracking.c
    rows = conn.execute(select(t.name, t.position, t.version).order_by(t.name)).all()
    return tuple((name, position, version) for name, position, version in rows)


class AnswerCache:
    """The latest answer (bytes) to each question, with the read models' marks it was
    computed at, the least recently asked dropped past `budget` bytes. Thread-safe;
    computing happens outside the lock, so two requests may each compute an answer, and
    neither waits for the other."""

    def __init__(self, budget: int = BUDGET) -> None:
        self.budget = budget
        self._answers: OrderedDict[Hashable, tuple[tuple[object, ...], bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def answer(self, conn: Connection, question: Hashable, compute: Callable[[], bytes]) -> bytes:
        marks = read_model_marks(conn)
        with self._lock:
            found = self._answers.get(question)
            if found is not None and found[0] == marks:
                self._answers.move_to_end(question)
                return found[1]
        answer = compute()
        with self._lock:
            old = self._answers.pop(question, None)
            if old is not None:
                self._bytes -= len(old[1])
            self._answers[question] = (marks, answer)
            self._bytes += len(answer)
            while self._bytes > self.budget and self._answers:
                _, (_, dropped) = self._answers.popitem(last=False)
                self._bytes -= len(dropped)
        return answer
