"""A serving process freezes what its start-up built (planlog.heap)."""

from __future__ import annotations

import gc

from planlog.heap import freeze_startup_objects


def test_freezing_moves_the_objects_alive_out_of_the_collectors_sight() -> None:
    alive = object.__new__(type("Alive", (), {}))  # a tracked object, alive throughout
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        assert not any(o is alive for o in gc.get_objects())  # frozen: not walked
    finally:
        gc.unfreeze()
    assert any(o is alive for o in gc.get_objects())
