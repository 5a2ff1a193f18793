"""`python -m starlette`: is the `starlette` package the starlette-* family's, intact?

Upstream Starlette (the `starlette` distribution) installs the same `starlette/` package, and
neither pip nor uv stops one from writing its files over the other's: `pip install fastapi`
after `starlette-full` replaces the family's modules with upstream's. Nothing of the family runs
on the import path then (upstream's files are what Python imports), so this check lives in a
module upstream does not ship; run it after installing, e.g. as the last step of a Dockerfile.
A healthy import pays nothing for it.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

FAMILY = (
    "starlette-core",
    "starlette-config",
    "starlette-datastructures",
    "starlette-requests-responses",
    "starlette-auth",
    "starlette-middleware",
    "starlette-routing",
    "starlette-staticfiles",
    "starlette-testclient",
    "starlette-app",
    "starlette-full",
)

_RECOVER = """\
To recover, remove upstream's distribution (if installed) and rewrite the family's files:
    pip uninstall -y starlette
    pip install {members}
To keep it out: with uv, add to pyproject.toml
    [tool.uv]
    override-dependencies = ["starlette; sys_platform == 'never'"]
with pip, install the framework with `--no-deps` and its other dependencies by name
(docs/guides/starlette-based-frameworks.md)."""


def _name(dist: importlib.metadata.Distribution) -> str:
    name: str = dist.metadata["Name"]
    return name.lower().replace("_", "-").replace(".", "-")


def _changed_files(dist: importlib.metadata.Distribution) -> list[str]:
    """The files of `dist` under `starlette/` that differ from its RECORD (or are gone).

    RECORD is read as it is: from Python 3.12 on, `dist.files` leaves out the files that are
    gone, which are what this looks for.
    """
    changed = []
    for name, hash_text, *_ in csv.reader((dist.read_text("RECORD") or "").splitlines()):
        if not name.startswith("starlette/") or "=" not in hash_text:
            continue
        mode, _, value = hash_text.partition("=")
        path = Path(str(dist.locate_file(name)))
        try:
            digest = hashlib.new(mode, path.read_bytes()).digest()
        except FileNotFoundError:
            changed.append(f"{name} (missing)")
            continue
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != value:
            changed.append(name)
    return changed


def diagnose(package: ModuleType | Any, dists: Iterable[importlib.metadata.Distribution]) -> str:
    """A report on the install; it starts with "healthy" when nothing is wrong."""
    by_name = {_name(dist): dist for dist in dists}
    members = [name for name in FAMILY if name in by_name]
    problems = []
    if not hasattr(package, "__family_version__"):
        problems.append(
            "`starlette/__init__.py` is missing or not the starlette-* family's: upstream "
            "Starlette's files were written over the family's (for example by `pip install "
            "fastapi`, which installs the `starlette` distribution as a dependency), or removed "
            "with it by `pip uninstall starlette`."
        )
    upstream = by_name.get("starlette")
    if upstream is not None:
        problems.append(
            f"the upstream `starlette` distribution {upstream.version} is installed beside the "
            "family; its files and the family's overwrite each other, and uninstalling it "
            "deletes the family's modules."
        )
    changed = [f for name in members for f in _changed_files(by_name[name])]
    if changed:
        problems.append("files of the family were changed: " + ", ".join(changed) + ".")
    if not problems:
        return f"healthy: starlette-* family {package.__family_version__}, Starlette API " + (
            f"{package.__version__}, installed: {', '.join(members) or 'none'}"
        )
    # Pinned: unrelated projects on the package index share some of the family's names, and
    # `--force-reinstall` would otherwise take whatever release is newest there.
    pins = [f"{name}=={by_name[name].version}" for name in members]
    # Without any member left to reinstall, the family comes back with its dependencies.
    command = "--force-reinstall --no-deps " + " ".join(pins) if pins else "starlette-full"
    recover = _RECOVER.format(members=command)
    return "\n".join(["problem: " + p for p in problems] + [recover])


def main() -> int:
    import starlette

    report = diagnose(starlette, importlib.metadata.distributions())
    print(report)
    return 0 if report.startswith("healthy") else 1


if __name__ == "__main__":  # pragma: no cover - run as `python -m starlette`
    sys.exit(main())
