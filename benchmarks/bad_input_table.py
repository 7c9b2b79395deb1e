"""Count how lectures_lib's public callables answer bad input: the table of issue 18.

    PYTHONPATH=. python benchmarks/bad_input_table.py [--details FILE]

Runs the fuzz battery of tests/fuzz_api.py over every valid call of
tests/fuzz_registry.py
and prints, per part of the package, how many bad calls got a clear error naming the
argument, an unclear message, another exception type, a silent bad result, a hang, or
were
accepted (reviewed inputs, or "maybe" inputs with a finite result). To count an older
commit, put its ``lectures_lib`` first on PYTHONPATH (the registry's calls must still be
valid there): ``git archive <commit> lectures_lib | tar -x -C /tmp/old`` and
``PYTHONPATH=/tmp/old python benchmarks/bad_input_table.py``.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import torch  # noqa: E402

import fuzz_api as F  # noqa: E402
import fuzz_registry as R  # noqa: E402

torch.set_num_threads(1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--details", type=Path, help="write every non-clear outcome here"
    )
    args = parser.parse_args(argv)
    # tooling defaults write to cwd
    os.chdir(tempfile.mkdtemp(prefix="bad-input-table-"))
    table = collections.defaultdict(collections.Counter)
    callables = collections.Counter()
    lines = []
    for key, func in F.public_callables().items():
        if key not in R.VALID:
            continue
        part = F.part_of(key)
        callables[part] += 1
        try:
            outcomes = F.run_battery(
                key, func, R.VALID[key], R.accepted, key in R.NAN_BY_DESIGN
            )
        except Exception as exc:  # noqa: BLE001 - an older commit may differ
            print(f"skipped {key}: its valid call fails here ({exc!r:.100})")
            callables[part] -= 1
            continue
        for o in outcomes:
            table[part][o.outcome] += 1
            if o.outcome not in ("clear", "accepted"):
                lines.append(
                    f"{o.outcome}\t{o.key}\t{o.arg}\t{o.kind}\t{o.detail[:200]}"
                )
    header = "| part | " + " | ".join(F.OUTCOMES) + " | bad calls |"
    print(header)
    print("|---" * (len(F.OUTCOMES) + 2) + "|")
    total = collections.Counter()
    for part in (*F.PARTS, F.CHAPTER_TOOLS):
        row = table[part]
        total.update(row)
        print(
            f"| {part} ({callables[part]}) | "
            + " | ".join(str(row[o]) for o in F.OUTCOMES)
            + f" | {sum(row.values())} |"
        )
    print(
        f"| all ({sum(callables.values())}) | "
        + " | ".join(str(total[o]) for o in F.OUTCOMES)
        + f" | {sum(total.values())} |"
    )
    refused = sum(total.values()) - total["accepted"]
    print(
        f"unclear messages: {total['unclear']} of {sum(total.values())} bad calls "
        f"({100 * total['unclear'] / max(1, sum(total.values())):.1f}%)"
    )
    if args.details:
        args.details.write_text("\n".join(sorted(lines)) + "\n")
    return 0 if refused >= 0 else 1


if __name__ == "__main__":
    sys.exit(main())
