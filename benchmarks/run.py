"""`make bench`: run the scenarios under this workspace and under upstream Starlette, A/B.

Upstream `starlette==0.47.3` is installed into `benchmarks/.venv-upstream`, never into the
workspace environment (both write the `starlette` package). Each round runs `scenarios.py` once
per side, alternating which goes first; per scenario the best of all rounds is kept. The table
shows microseconds per operation, and the ratio upstream/ours (above 1.0: we are faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
UPSTREAM_VENV = HERE / ".venv-upstream"
UPSTREAM_REQUIREMENTS = [
    "starlette==0.47.3",
    "python-multipart",
    "jinja2",
    "itsdangerous",
    "pyyaml",
    "httpx",
]
IMPORT_PROBE = (
    "import time; t = time.perf_counter(); import starlette.applications; "
    "print(time.perf_counter() - t)"
)


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_upstream() -> Path:
    python = python_of(UPSTREAM_VENV)
    if not python.exists():
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        env.pop("VIRTUAL_ENV", None)
        uv = [sys.executable, "-m", "uv"]
        subprocess.run(
            [*uv, "venv", "--quiet", "--python", sys.executable, UPSTREAM_VENV], check=True, env=env
        )
        subprocess.run(
            [*uv, "pip", "install", "--quiet", "--python", python, *UPSTREAM_REQUIREMENTS],
            check=True,
            env=env,
        )
    return python


def run_scenarios(python: Path, quick: bool) -> dict[str, Any]:
    args = [str(python), str(HERE / "scenarios.py")] + (["--quick"] if quick else [])
    # cwd outside the repository, so nothing but the environment's own packages is importable.
    out = subprocess.run(args, check=True, capture_output=True, text=True, cwd=HERE.parent.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def import_time(python: Path) -> float:
    out = subprocess.run(
        [str(python), "-c", IMPORT_PROBE], check=True, capture_output=True, text=True, cwd="/"
    )
    return float(out.stdout.strip()) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="short budgets, for a smoke run")
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    options = parser.parse_args()

    sides = {"ours": Path(sys.executable), "upstream": ensure_upstream()}
    best: dict[str, dict[str, float]] = {side: {} for side in sides}
    peak: dict[str, int] = dict.fromkeys(sides, 0)
    for round_number in range(options.rounds):
        order = list(sides) if round_number % 2 == 0 else list(reversed(sides))
        for side in order:
            report = run_scenarios(sides[side], options.quick)
            print(f"round {round_number + 1}/{options.rounds}: {side} done", file=sys.stderr)
            for name, micros in report["results"].items():
                best[side][name] = min(micros, best[side].get(name, float("inf")))
            peak[side] = max(peak[side], report["peak_rss_kib"])
    for _ in range(5 if options.quick else 15):
        for side, python in sides.items():
            micros = import_time(python)
            best[side]["import_applications"] = min(
                micros, best[side].get("import_applications", float("inf"))
            )

    rows = []
    for name, ours in best["ours"].items():
        upstream = best["upstream"][name]
        rows.append(
            {"scenario": name, "ours_us": ours, "upstream_us": upstream, "ratio": upstream / ours}
        )
    result = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rounds": options.rounds,
        "quick": options.quick,
        "scenarios": rows,
        "peak_rss_kib": peak,
    }
    options.output.write_text(json.dumps(result, indent=2) + "\n")

    print(f"\n{'scenario':<24}{'ours µs':>12}{'upstream µs':>14}{'upstream/ours':>15}")
    for row in rows:
        print(
            f"{row['scenario']:<24}{row['ours_us']:>12.1f}{row['upstream_us']:>14.1f}{row['ratio']:>14.2f}x"
        )
    print(f"{'peak RSS (MiB)':<24}{peak['ours'] / 1024:>12.1f}{peak['upstream'] / 1024:>14.1f}")
    print(f"\nresults written to {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
