"""`make bench`: run every benchmark and write bench/results.json."""

from __future__ import annotations

import json

from bench import (
    command_rate,
    delivery,
    federation,
    import_fidelity,
    rebuild_rate,
    reminder_pass,
    send_task,
)
from bench.results_file import record


def main() -> None:
    figures = command_rate.run()
    entry = record(
        "command_rate",
        figures.pop("value"),
        "commands/s",
        figures.pop("baseline"),
        **figures,
    )
    print(json.dumps(entry, ensure_ascii=False))
    figures = rebuild_rate.run()
    entry = record(
        "rebuild_rate", figures.pop("value"), "events/s", figures.pop("baseline"), **figures
    )
    print(json.dumps(entry, ensure_ascii=False))
    figures = import_fidelity.run()
    entry = record(
        "import_fidelity",
        figures.pop("value"),
        "% (lowest rate)",
        figures.pop("baseline"),
        **figures,
    )
    print(json.dumps(entry, ensure_ascii=False))
    figures = reminder_pass.run()
    entry = record(
        "reminder_pass",
        figures.pop("value"),
        "ms (one day's pass, larger size)",
        figures.pop("baseline"),
        **figures,
    )
    print(json.dumps(entry, ensure_ascii=False))
    figures = delivery.run()
    entry = record(
        "delivery", figures.pop("value"), "reminders/s", figures.pop("baseline"), **figures
    )
    print(json.dumps(entry, ensure_ascii=False))
    figures = send_task.run()
    entry = record(
        "send_task", figures.pop("value"), "copies/s", figures.pop("baseline"), **figures
    )
    print(json.dumps(entry, ensure_ascii=False))
    figures = federation.run([])
    entry = record(
        "federation",
        figures.pop("value"),
        "ms (create_plan, largest size)",
        figures.pop("baseline"),
        **figures,
    )
    print(json.dumps(entry, ensure_ascii=False))


if __name__ == "__main__":
    main()
