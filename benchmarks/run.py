"""`make bench`: run the scenarios under this workspace and under upstream Starlette, A/B.

Upstream Starlette (`--upstream`, by default 1.10.0: the API level `starlette.__version__` names)
is installed into `benchmarks/.venv-upstream-<version>`, never into the workspace environment
(both write the `starlette` package). Two long-lived workers, one per side,
run `scenarios.py --worker`; each builds every scenario once. Scenarios are measured one after
another. The batch size is calibrated once per scenario, the same number of operations for both
sides: about `--batch-ms` of work on the slower side, at least a twentieth of that on the faster.
Then the sides take turns, one batch each, flipping which goes first every pair, `--samples`
batches per side. Host noise on a shared machine drifts over seconds, so batches milliseconds
apart see the same machine. Both workers are pinned to one CPU (`--cpu`), with one hash seed.

The table shows microseconds per operation, per side the minimum over the samples, and the ratio
upstream/ours of those minimums (above 1.0: we are faster): that ratio is the headline. "paired"
is the median over pairs of upstream's batch over ours next to it (see `summary`); results.json
also has each side's median. Import time is measured in fresh processes, alternating sides,
`IMPORTS` each. Peak RSS is each worker's `ru_maxrss` once every scenario ran in both.
`--control` runs upstream on both sides: every ratio should read 1.00, the spread is the noise.

Peers: the scenarios of `peer_requests.PEER_SCENARIOS` are also ported to Falcon and BlackSheep
(`peers/`), each installed into a virtual environment of its own (`benchmarks/.venv-falcon`,
`benchmarks/.venv-blacksheep`). For those scenarios all four sides take turns, batch by batch,
and before anything is measured every side must answer each with the same status and body.
"ours/peer" is our minimum over the fastest peer's (below 1.0: we are faster). `--no-peers`
measures against upstream only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from peer_requests import PEER_SCENARIOS

HERE = Path(__file__).resolve().parent
# The Starlette release the family's API level names; `--upstream 0.47.3` measures the 0.x line.
UPSTREAM_VERSION = "1.10.0"
UPSTREAM_REQUIREMENTS = [
    "python-multipart",
    "jinja2",
    "itsdangerous",
    "pyyaml",
    "httpx",
]
# Each peer: its requirements (pinned, so runs compare) and its scenario file.
PEERS = {
    "falcon": (["falcon==4.4.0"], HERE / "peers" / "falcon_scenarios.py"),
    "blacksheep": (["blacksheep==2.6.4"], HERE / "peers" / "blacksheep_scenarios.py"),
}
SCENARIOS = HERE / "scenarios.py"
IMPORT_PROBE = (
    "import time; t = time.perf_counter(); import starlette.applications; "
    "print(time.perf_counter() - t)"
)
IMPORT_SCENARIO = "import_applications"
SAMPLES, QUICK_SAMPLES = 200, 60
BATCH_MS = 5.0
IMPORTS, QUICK_IMPORTS = 30, 5


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(venv: Path, requirements: list[str]) -> Path:
    """The python of `venv`, made with `requirements` on first use (never the workspace)."""
    python = python_of(venv)
    if not python.exists():
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        env.pop("VIRTUAL_ENV", None)
        uv = [sys.executable, "-m", "uv"]
        subprocess.run(
            [*uv, "venv", "--quiet", "--python", sys.executable, venv], check=True, env=env
        )
        subprocess.run(
            # --no-config: the workspace settings (its override that drops upstream `starlette`)
            # must not apply to this environment.
            [*uv, "pip", "install", "--quiet", "--no-config", "--python", python, *requirements],
            check=True,
            env=env,
        )
    return python


def ensure_upstream(version: str) -> Path:
    venv = HERE / f".venv-upstream-{version}"
    return ensure_venv(venv, [f"starlette=={version}", *UPSTREAM_REQUIREMENTS])


class Worker:
    """One side's `scenarios.py --worker` process, spoken to in JSON lines."""

    def __init__(self, side: str, python: Path, cpu: int | None, script: Path = SCENARIOS) -> None:
        self.side = side
        self.process = subprocess.Popen(
            [str(python), str(script), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            # cwd outside the repository, so nothing but the environment's own packages is
            # importable.
            cwd=HERE.parent.parent,
            # The same string hashes (so dict and set layouts) in both sides and in every run.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        if cpu is not None:
            # Both sides on one CPU: the same caches and the same neighbours on the host.
            os.sched_setaffinity(self.process.pid, {cpu})
        self.scenarios: list[str] = self.read()["scenarios"]

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise SystemExit(f"{self.side} worker exited with code {code} (its stderr is above)")
        return json.loads(line)  # type: ignore[no-any-return]

    def ask(self, **command: Any) -> dict[str, Any]:
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(command) + "\n")
        stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()


def turns(sides: list[str], rounds: int) -> list[str]:
    """A, B, B, A, ...: each round reverses the one before; every two rounds the order rotates,
    so with more than two sides each takes every place in turn."""
    order: list[str] = []
    for i in range(rounds):
        shift = (i // 2) % len(sides)
        rotated = sides[shift:] + sides[:shift]
        order += rotated if i % 2 == 0 else rotated[::-1]
    return order


def summary(samples: dict[str, list[float]]) -> dict[str, Any]:
    """One table row: minimum (the headline) and median per side, and ratios upstream/ours.

    `paired_ratio` is the median over pairs of upstream's batch over ours taken just before or
    after it: on a loaded machine each side's times are bimodal (preempted or not), so the ratio
    of the two medians can flip between modes, where batches milliseconds apart cannot.
    """
    ours, upstream = samples["ours"], samples["upstream"]
    row: dict[str, Any] = {
        "ours_us": min(ours),
        "upstream_us": min(upstream),
        "ours_median_us": statistics.median(ours),
        "upstream_median_us": statistics.median(upstream),
        "ours_samples": len(ours),
        "upstream_samples": len(upstream),
    }
    row["ratio"] = row["upstream_us"] / row["ours_us"]
    row["median_ratio"] = row["upstream_median_us"] / row["ours_median_us"]
    row["paired_ratio"] = statistics.median(b / a for a, b in zip(ours, upstream, strict=True))
    peers = [side for side in PEERS if side in samples]
    if peers:
        for side in peers:
            row[f"{side}_us"] = min(samples[side])
            row[f"{side}_median_us"] = statistics.median(samples[side])
        fastest = min(peers, key=lambda side: row[f"{side}_us"])
        row["fastest_peer"] = fastest
        row["ours_over_peer"] = row["ours_us"] / row[f"{fastest}_us"]
        # Per round: ours over the fastest peer batch of that same round.
        rounds = zip(ours, *(samples[side] for side in peers), strict=True)
        row["paired_ours_over_peer"] = statistics.median(r[0] / min(r[1:]) for r in rounds)
    return row


def compare(workers: dict[str, Worker], name: str, samples: int, batch_ms: float) -> dict[str, Any]:
    estimates = [worker.ask(scenario=name, calibrate=True)["us"] for worker in workers.values()]
    # About `batch_ms` on the slower side; but when one side is many times faster, at least a
    # twentieth of that on the faster side, so its batches are not a handful of cold operations.
    batch = max(1, round(batch_ms * 1000 / max(estimates)), round(batch_ms * 50 / min(estimates)))
    times: dict[str, list[float]] = {side: [] for side in workers}
    for side in turns(list(workers), samples):
        times[side].append(workers[side].ask(scenario=name, batch=batch)["us"])
    return {"scenario": name, **summary(times), "batch": batch}


def import_time(python: Path) -> float:
    out = subprocess.run(
        [str(python), "-c", IMPORT_PROBE], check=True, capture_output=True, text=True, cwd="/"
    )
    return float(out.stdout.strip()) * 1e6


def compare_imports(sides: dict[str, Path], samples: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {side: [] for side in sides}
    for side in turns(list(sides), samples):
        times[side].append(import_time(sides[side]))
    return {"scenario": IMPORT_SCENARIO, **summary(times), "batch": 1}


def print_table(rows: list[dict[str, Any]], peak: dict[str, int]) -> None:
    head = f"\n{'scenario':<22}{'ours µs':>10}{'upstream µs':>13}{'upstream/ours':>15}{'paired':>9}"
    peer_head = "".join(f"{side + ' µs':>15}" for side in PEERS)
    print(f"{head}{peer_head}{'ours/peer':>11}{'paired':>9}")
    for row in rows:
        line = (
            f"{row['scenario']:<22}{row['ours_us']:>10.1f}{row['upstream_us']:>13.1f}"
            f"{row['ratio']:>14.2f}x{row['paired_ratio']:>8.2f}x"
        )
        if "fastest_peer" in row:
            line += "".join(f"{row[f'{side}_us']:>15.1f}" for side in PEERS if f"{side}_us" in row)
            line += f"{row['ours_over_peer']:>10.2f}x{row['paired_ours_over_peer']:>8.2f}x"
        print(line)
    rss = "".join(f"{peak[side] / 1024:>15.1f}" for side in PEERS if side in peak)
    print(
        f"{'peak RSS (MiB)':<22}{peak['ours'] / 1024:>10.1f}{peak['upstream'] / 1024:>13.1f}{rss}"
    )


def check_answers(workers: dict[str, Worker], names: list[str]) -> None:
    """Every side answers each scenario it runs with the status and body ours answers."""
    for name in names:
        ours = workers["ours"].ask(scenario=name, probe=True)
        for side, worker in workers.items():
            if (
                name in worker.scenarios
                and (theirs := worker.ask(scenario=name, probe=True)) != ours
            ):
                raise SystemExit(f"scenario {name}: {side} answered {theirs}, ours {ours}")


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples, for a smoke run")
    parser.add_argument(
        "--samples",
        type=int,
        help=f"batches per side per scenario ({SAMPLES}; {QUICK_SAMPLES} quick)",
    )
    parser.add_argument("--batch-ms", type=float, default=BATCH_MS, help="work per batch")
    parser.add_argument(
        "--cpu", type=int, default=default_cpu(), help="CPU both workers are pinned to (-1: none)"
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help="run upstream on both sides: every ratio should read 1.00, the spread is the noise",
    )
    parser.add_argument(
        "--no-peers",
        action="store_true",
        help="measure against upstream only, not Falcon/BlackSheep",
    )
    parser.add_argument(
        "--upstream",
        default=UPSTREAM_VERSION,
        help=f"the upstream Starlette release to measure against ({UPSTREAM_VERSION})",
    )
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help="comma-separated scenarios to measure (all by default; no import time then)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    return parser.parse_args()


# Byte-compiles every package directory on the interpreter's path (not the standard library).
PRECOMPILE = """
import compileall, os, sys, sysconfig
stdlib = sysconfig.get_paths()["stdlib"]
for entry in sys.path:
    if entry and os.path.isdir(entry) and not entry.startswith(stdlib):
        compileall.compile_dir(entry, quiet=2, workers=0)
"""


def precompile(python: Path) -> None:
    """Write both sides' bytecode before measuring.

    Without it (PYTHONDONTWRITEBYTECODE, or a fresh environment) a module imported lazily is
    compiled from source in the middle of a run, and its compiler's memory lands in that side's
    peak RSS: a cost of the environment, not of the framework.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([str(python), "-c", PRECOMPILE], check=True, cwd=HERE.parent.parent, env=env)


def default_cpu() -> int:
    """The highest CPU this process may use; -1 (no pinning) where affinity is Linux-only."""
    return max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else -1


def main() -> int:
    options = parse_options()
    samples = options.samples or (QUICK_SAMPLES if options.quick else SAMPLES)
    cpu = None if options.cpu < 0 else options.cpu
    upstream = ensure_upstream(options.upstream)
    sides = {"ours": upstream if options.control else Path(sys.executable), "upstream": upstream}
    peers = (
        {}
        if options.no_peers or options.control
        else {
            side: (ensure_venv(HERE / f".venv-{side}", requirements), script)
            for side, (requirements, script) in PEERS.items()
        }
    )
    for python in {*sides.values(), *(python for python, _ in peers.values())}:
        precompile(python)
    workers = {side: Worker(side, python, cpu) for side, python in sides.items()}
    workers.update(
        {side: Worker(side, python, cpu, script) for side, (python, script) in peers.items()}
    )
    try:
        if workers["ours"].scenarios != workers["upstream"].scenarios:
            raise SystemExit("the two workers built different scenarios")
        for side in peers:
            if workers[side].scenarios != list(PEER_SCENARIOS):
                raise SystemExit(f"{side} built {workers[side].scenarios}, not {PEER_SCENARIOS}")
        check_answers(workers, list(PEER_SCENARIOS))
        rows = []
        names = workers["ours"].scenarios
        if options.only:
            wanted = options.only.split(",")
            if unknown := set(wanted) - set(names):
                raise SystemExit(f"no such scenario: {', '.join(sorted(unknown))}")
            names = [name for name in names if name in wanted]
        for name in names:
            runs = {side: w for side, w in workers.items() if name in w.scenarios}
            rows.append(compare(runs, name, samples, options.batch_ms))
            print(f"{name}: {rows[-1]['ratio']:.2f}x", file=sys.stderr)
        peak = {side: worker.ask(rss=True)["peak_rss_kib"] for side, worker in workers.items()}
    finally:
        for worker in workers.values():
            worker.close()
    if not options.only:
        rows.append(compare_imports(sides, QUICK_IMPORTS if options.quick else IMPORTS))

    result = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "upstream": options.upstream,
        "samples": samples,
        "batch_ms": options.batch_ms,
        "cpu": cpu,
        "quick": options.quick,
        "control": options.control,
        "scenarios": rows,
        "peak_rss_kib": peak,
    }
    options.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nupstream: starlette {options.upstream}", end="")
    print_table(rows, peak)
    print(f"\nresults written to {options.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
