"""Print notebooks longest-first, by the cell run times stored in them.

nbval with pytest-xdist (``--dist loadfile``) hands each notebook to the next free
worker in the order given. Starting with the longest ones keeps both workers busy until
the end instead of leaving one chapter running alone (the Makefile's
``NOTEBOOKS_BY_COST``).

    python tests/by_cost.py book/*.ipynb
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stored_seconds(path: Path) -> float:
    """Seconds the notebook's code cells took when its outputs were stored (0 if
    unknown)."""
    total = 0.0
    for cell in json.loads(Path(path).read_text()).get("cells", []):
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = (
            timing.get("iopub.execute_input"),
            timing.get("shell.execute_reply"),
        )
        if cell.get("cell_type") == "code" and start and end:
            total += max(0.0, (_stamp(end) - _stamp(start)).total_seconds())
    return total


def by_cost(paths: list[str]) -> list[str]:
    """``paths`` sorted by stored run time, longest first (ties keep the given
    order)."""
    for path in paths:
        if not Path(path).is_file():
            raise ValueError(f"paths: no notebook at {path!r}")
    return sorted(paths, key=lambda p: -stored_seconds(Path(p)))


if __name__ == "__main__":
    print(" ".join(by_cost(sys.argv[1:])))
