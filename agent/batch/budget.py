"""The total cost cap: finished instances' cost plus the live cost of running ones (read from their
trajectories). Once reached, no instance starts and a stop file makes running ones end at their next step."""
from __future__ import annotations

import json
from pathlib import Path


def live_cost(trajectory: Path) -> float:
    """Cost so far of a running instance, from the assistant messages in its trajectory."""
    total = 0.0
    try:
        with trajectory.open() as f:
            for line in f:
                if '"cost"' in line:
                    try:
                        total += json.loads(line).get("cost") or 0.0
                    except json.JSONDecodeError:
                        pass  # a line being written right now
    except OSError:
        pass
    return total


class Budget:
    def __init__(self, limit: float | None, stop_file: Path):
        self.limit, self.stop_file = limit, stop_file
        self.stop_file.unlink(missing_ok=True)  # a resumed run starts unstopped

    def spent(self, finished: float, running_dirs: list[Path]) -> float:
        return finished + sum(live_cost(d / "trajectory.jsonl") for d in running_dirs)

    def exhausted(self, finished: float, running_dirs: list[Path]) -> bool:
        if self.limit is None:
            return False
        if self.spent(finished, running_dirs) >= self.limit:
            self.stop_file.touch()
            return True
        return False
