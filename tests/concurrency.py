"""Running several projection runners at once, as several workers would."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from planlog.projections.runner import ReadModelRunner


def catch_up_together(runners: Sequence[ReadModelRunner]) -> list[BaseException]:
    """Catch every runner up on its own thread at the same time; what they raised."""
    errors: list[BaseException] = []

    def run(runner: ReadModelRunner) -> None:
        try:
            runner.catch_up()
        except BaseException as exc:  # surfaced to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors
