"""Print branch coverage per distribution from a coverage.py JSON report."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def main(report: str) -> int:
    files = json.loads(Path(report).read_text())["files"]
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for name, data in files.items():
        parts = Path(name).parts
        if "packages" not in parts:
            continue
        dist = parts[parts.index("packages") + 1]
        s = data["summary"]
        t = totals[dist]
        t[0] += s["num_statements"]
        t[1] += s["covered_lines"]
        t[2] += s.get("num_branches", 0)
        t[3] += s.get("covered_branches", 0)
    print(f"\n{'distribution':<22}{'statements':>11}{'branches':>10}{'coverage':>10}")
    for dist, (stmts, covered, branches, covered_branches) in sorted(totals.items()):
        total = stmts + branches
        percent = 100.0 * (covered + covered_branches) / total if total else 100.0
        print(f"starlette-{dist:<12}{stmts:>11}{branches:>10}{percent:>9.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "coverage.json"))
