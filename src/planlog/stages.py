"""Seconds spent per named stage of a long job (a migration, a reminder pass), for its
report and its log: a slow run then says which part was slow."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter


class Stages(dict[str, float]):
    """Stage name → seconds; a stage timed more than once adds up."""

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = perf_counter()
        try:
            yield
        finally:
            self[stage] = self.get(stage, 0.0) + perf_counter() - started

    def rounded(self) -> dict[str, float]:
        """To the millisecond, as reports show them."""
        return {stage: round(took, 3) for stage, took in self.items()}
