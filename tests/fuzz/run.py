"""`make fuzz`: run every atheris target for a fixed number of executions, then print a table.

Each target runs in its own process (libFuzzer exits the process when it is done) with a fixed
seed, its seed inputs and dictionary, and a per-input timeout, so a hang is a finding too. A
failing input is kept under `tests/fuzz/artifacts/` for the regression test that fixes it.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ARTIFACTS = HERE / "artifacts"

# Executions per target: the total stays under ten minutes on a 2-core machine.
TARGETS = {
    "fuzz_cookies": 200_000,
    "fuzz_range": 50_000,
    "fuzz_forms": 60_000,
    "fuzz_request": 100_000,
}
PER_INPUT_TIMEOUT = 20
_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_COVERAGE = re.compile(r"cov: (\d+) ft: (\d+) corp: (\d+)")


def literals(name: str) -> dict[str, list[bytes]]:
    """The target's `SEEDS` and `DICTIONARY`, read from its source (importing would instrument)."""
    tree = ast.parse((HERE / f"{name}.py").read_text())
    found: dict[str, list[bytes]] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id in ("SEEDS", "DICTIONARY"):
            found[target.id] = ast.literal_eval(node.value)
    return found


def write_corpus(name: str, directory: Path) -> list[str]:
    """Seed inputs into `directory`; the libFuzzer options naming them and the dictionary."""
    found = literals(name)
    for index, seed in enumerate(found.get("SEEDS", [])):
        (directory / f"seed-{index}").write_bytes(seed)
    options = [str(directory)]
    words = found.get("DICTIONARY", [])
    if words:
        dictionary = directory.parent / f"{name}.dict"
        dictionary.write_text(
            "".join('"' + "".join(f"\\x{byte:02x}" for byte in word) + '"\n' for word in words)
        )
        options.append(f"-dict={dictionary}")
    return options


def run_target(name: str, runs: int, workdir: Path) -> dict[str, object]:
    corpus = workdir / name
    corpus.mkdir()
    ARTIFACTS.mkdir(exist_ok=True)
    command = [
        sys.executable,
        str(HERE / f"{name}.py"),
        *write_corpus(name, corpus),
        f"-runs={runs}",
        "-seed=1",
        f"-timeout={PER_INPUT_TIMEOUT}",
        "-max_len=4096",
        "-rss_limit_mb=2048",
        f"-artifact_prefix={ARTIFACTS}/{name}-",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=workdir)
    elapsed = time.perf_counter() - started
    output = result.stdout + result.stderr
    done = _DONE.search(output)
    coverage = _COVERAGE.findall(output)
    if result.returncode != 0:
        # The Python traceback and the crashing input; libFuzzer's progress lines are noise.
        crash = output.find("=== Uncaught Python exception")
        sys.stderr.write(output[crash:] if crash >= 0 else output[-4000:])
    return {
        "target": name,
        "runs": int(done[1]) if done else 0,
        "seconds": round(elapsed, 1),
        "coverage": int(coverage[-1][0]) if coverage else 0,
        "corpus": int(coverage[-1][2]) if coverage else 0,
        "ok": result.returncode == 0 and done is not None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("targets", nargs="*", help=f"a subset of {', '.join(TARGETS)}")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every run count")
    args = parser.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="fuzz-") as workdir:
        for name in args.targets or TARGETS:
            runs = max(1, int(TARGETS[name] * args.scale))
            print(f"fuzzing {name} for {runs} executions...", flush=True)
            rows.append(run_target(name, runs, Path(workdir)))
    print(
        f"\n{'target':<14} {'executions':>10} {'seconds':>8} {'coverage':>8} {'corpus':>6}  result"
    )
    for row in rows:
        result = "ok" if row["ok"] else "FINDING (see above and tests/fuzz/artifacts/)"
        print(
            f"{row['target']:<14} {row['runs']:>10} {row['seconds']:>8} "
            f"{row['coverage']:>8} {row['corpus']:>6}  {result}"
        )
    if ARTIFACTS.is_dir() and not any(ARTIFACTS.iterdir()):
        ARTIFACTS.rmdir()
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
