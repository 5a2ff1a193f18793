"""Set the family's version everywhere it is written, or check that every place agrees.

    python scripts/set_version.py 0.2.0          # the family's own release
    python scripts/set_version.py --api 1.11.0   # the Starlette API level (`starlette.__version__`)
    python scripts/set_version.py --check        # exit 1 and list every place that disagrees

The family's release is written, by this script only, in each `packages/*/pyproject.toml` (its
`version` and the `==` pins between members) and as `__family_version__` in starlette-core's
`starlette/__init__.py`. Plain text in every file keeps each sdist buildable on its own (no build
hook reading a file outside it). Run `uv lock` afterwards: uv.lock records the members' versions.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INIT = ROOT / "packages" / "core" / "src" / "starlette" / "__init__.py"
PROJECT_VERSION = re.compile(r'^(version = ")([^"]+)(")$', re.MULTILINE)
# A requirement on another member: "starlette-routing[schemas]==0.1.0".
MEMBER_PIN = re.compile(r'("starlette-[a-z-]+(?:\[[a-z,]+\])?==)([^";]+)(")')
FAMILY_VERSION = re.compile(r'^(__family_version__ = ")([^"]+)(")$', re.MULTILINE)
API_VERSION = re.compile(r'^(__version__ = ")([^"]+)(")$', re.MULTILINE)


def pyprojects() -> list[Path]:
    return sorted(ROOT.glob("packages/*/pyproject.toml"))


def family_versions() -> dict[str, set[str]]:
    """Every place the family's release is written, with the version(s) found there."""
    found: dict[str, set[str]] = {}
    for path in pyprojects():
        text = path.read_text()
        name = str(path.relative_to(ROOT))
        found[name] = {m.group(2) for m in PROJECT_VERSION.finditer(text)}
        for match in MEMBER_PIN.finditer(text):
            found.setdefault(f"{name} {match.group(1)}", set()).add(match.group(2))
    found[str(INIT.relative_to(ROOT))] = {
        m.group(2) for m in FAMILY_VERSION.finditer(INIT.read_text())
    }
    return found


def disagreements() -> list[str]:
    found = family_versions()
    expected = found[str(INIT.relative_to(ROOT))]
    return [
        f"{place}: {sorted(v)} != {sorted(expected)}"
        for place, v in found.items()
        if v != expected or len(v) != 1
    ]


def substitute(path: Path, pattern: re.Pattern[str], version: str) -> None:
    text, count = pattern.subn(lambda m: f"{m.group(1)}{version}{m.group(3)}", path.read_text())
    if count:
        path.write_text(text)


def main(args: list[str]) -> int:
    if args == ["--check"]:
        problems = disagreements()
        print("\n".join(problems) or "every version agrees")
        return 1 if problems else 0
    if len(args) == 2 and args[0] == "--api":
        substitute(INIT, API_VERSION, args[1])
        return 0
    if len(args) == 1 and re.fullmatch(r"\d+\.\d+\.\d+(?:[a-z]+\d+)?", args[0]):
        for path in pyprojects():
            substitute(path, PROJECT_VERSION, args[0])
            substitute(path, MEMBER_PIN, args[0])
        substitute(INIT, FAMILY_VERSION, args[0])
        print(f"family version set to {args[0]}; now run `uv lock`")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
