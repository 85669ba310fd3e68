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


def test_the_collector_is_paused_inside_large_work_and_back_on_after() -> None:
    from planlog.heap import no_cyclic_gc

    with no_cyclic_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_large_work_keeps_the_collector_paused_until_the_last_is_done() -> None:
    from planlog.heap import no_cyclic_gc

    first, second = no_cyclic_gc(), no_cyclic_gc()
    first.__enter__()
    second.__enter__()  # another thread's work, begun while the first's goes on
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_large_work_leaves_a_collector_it_found_off_off() -> None:
    from planlog.heap import no_cyclic_gc

    gc.disable()
    try:
        with no_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
