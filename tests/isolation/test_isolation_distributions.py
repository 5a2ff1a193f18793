"""Every distribution installs alone, imports what it owns, sees nothing above it, and passes its
own tests in that environment (docs/development/architecture.md, "Tests and isolation").

Slow by nature (a wheel build and one virtual environment per distribution), so `make test` runs it
as its own step, after the unit tests.
"""

from __future__ import annotations

import email
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The family's release, single-sourced by scripts/set_version.py (which checks every other place).
VERSION = re.search(
    r'^__family_version__ = "([^"]+)"$',
    (ROOT / "packages" / "core" / "src" / "starlette" / "__init__.py").read_text(),
    re.MULTILINE,
).group(1)  # type: ignore[union-attr]
FOLDERS = sorted(p.name for p in (ROOT / "packages").iterdir() if (p / "pyproject.toml").exists())
TEST_TOOLS = [
    "pytest>=8",
    "pytest-timeout>=2.3",
    "anyio[trio]>=4",
    "trio>=0.26",
    "hypothesis>=6.100",
    # tests/conftest.py fails any test whose starlette code blocks the event loop.
    "blockbuster>=1.5",
]
# starlette-testclient is a test tool for the message layer and everything built on it.
USES_TESTCLIENT = {"requests-responses", "auth", "middleware", "routing", "staticfiles", "app"}
# Extras that name other family members: installed for the tests, not for the closure check.
FAMILY_EXTRAS = {("middleware", "auth")}
# Importing these without the family extra must fail with a message naming what to install.
NEEDS_FAMILY_EXTRA = {"starlette.middleware.authentication": "starlette-auth"}


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        command = " ".join(map(str, args))
        output = f"{result.stdout}\n{result.stderr}"
        raise AssertionError(f"{command} failed ({result.returncode}):\n{output}")
    return result


def uv(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "uv", *args)


def dist_name(folder: str) -> str:
    return f"starlette-{folder}"


def wheel_of(dist_dir: Path, folder: str) -> Path:
    name = dist_name(folder).replace("-", "_")
    (wheel,) = dist_dir.glob(f"{name}-{VERSION}-*.whl")
    return wheel


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        (meta,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(zf.read(meta))


def owned_modules(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.startswith("starlette/") and n.endswith(".py")]
    modules = []
    for name in names:
        module = name[: -len(".py")].replace("/", ".")
        modules.append(module.removesuffix(".__init__"))
    return sorted(modules)


def requirements(wheel: Path) -> tuple[list[str], dict[str, list[str]]]:
    """Family members it requires, and each extra's requirements."""
    family: list[str] = []
    extras: dict[str, list[str]] = {}
    for req in wheel_metadata(wheel).get_all("Requires-Dist") or []:
        spec, _, marker = req.partition(";")
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        name = re.split(r"[\s\[<>=!~;]", spec.strip(), maxsplit=1)[0]
        if extra:
            extras.setdefault(extra.group(1), []).append(spec.strip())
        elif name.startswith("starlette-"):
            family.append(name.removeprefix("starlette-"))
    return family, extras


@pytest.fixture(scope="session")
def dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    uv("build", "--all-packages", "--out-dir", out)
    return out


def test_every_artifact_has_valid_metadata(dist_dir: Path) -> None:
    artifacts = sorted(dist_dir.glob("*.whl")) + sorted(dist_dir.glob("*.tar.gz"))
    assert len(artifacts) == 2 * len(FOLDERS)
    run(sys.executable, "-m", "twine", "check", "--strict", *artifacts)
    for folder in FOLDERS:
        meta = wheel_metadata(wheel_of(dist_dir, folder))
        assert meta["Version"] == VERSION
        assert "Typing :: Typed" in (meta.get_all("Classifier") or [])
        for req in meta.get_all("Requires-Dist") or []:
            if req.startswith("starlette-"):
                assert f"=={VERSION}" in req, f"{folder}: family pin must be =={VERSION}: {req}"


def test_only_starlette_core_ships_the_package_init(dist_dir: Path) -> None:
    # The files of the shared `starlette/` directory itself belong to starlette-core alone: a
    # file listed by several wheels is deleted for all of them when any one is uninstalled.
    for folder in FOLDERS:
        with zipfile.ZipFile(wheel_of(dist_dir, folder)) as zf:
            names = set(zf.namelist())
        for shared in ("starlette/__init__.py", "starlette/py.typed"):
            assert (shared in names) == (folder == "core"), (folder, shared)


def closure(dist_dir: Path, folder: str) -> list[str]:
    seen: list[str] = []
    todo = [folder]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        todo.extend(requirements(wheel_of(dist_dir, current))[0])
    return sorted(seen)


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    path = tmp_path / "venv"
    uv("venv", "--quiet", "--python", sys.executable, path)
    return path / "bin" / "python"


CHECK_IMPORTS = r"""
import importlib, importlib.util, json, sys
owned, foreign, family_extra = json.loads(sys.argv[1])
for module in owned:
    if module in family_extra:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            assert family_extra[module] in str(exc), (module, str(exc))
        else:
            raise AssertionError(f"{module} imported without {family_extra[module]}")
    else:
        importlib.import_module(module)
for module in foreign:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    assert spec is None, f"{module} is importable but lies outside the dependency closure"
print("imports ok:", len(owned), "owned,", len(foreign), "foreign absent")
"""


@pytest.mark.parametrize("folder", FOLDERS)
def test_distribution_installs_alone(dist_dir: Path, venv: Path, folder: str) -> None:
    wheels = {f: wheel_of(dist_dir, f) for f in FOLDERS}
    members = closure(dist_dir, folder)
    _, extras = requirements(wheels[folder])
    third_party_extras = sorted(e for e in extras if (folder, e) not in FAMILY_EXTRAS)
    target = str(wheels[folder])
    if third_party_extras:
        target = f"{dist_name(folder)}[{','.join(third_party_extras)}] @ {wheels[folder].as_uri()}"
    others = [str(wheels[m]) for m in members if m != folder]
    uv("pip", "install", "--quiet", "--python", venv, target, *others)

    # Its own modules import (with its third-party extras); a dependency's optional modules
    # (templating without jinja2, say) are that dependency's business.
    inside = {m for f in members for m in owned_modules(wheels[f])}
    owned = sorted(inside) if folder == "full" else owned_modules(wheels[folder])
    foreign = sorted(
        {m for f in FOLDERS if f not in members for m in owned_modules(wheels[f])} - inside
    )
    family_extra = {
        m: d
        for m, d in NEEDS_FAMILY_EXTRA.items()
        if m in owned and d.removeprefix("starlette-") not in members
    }
    run(venv, "-c", CHECK_IMPORTS, json.dumps([owned, foreign, family_extra]))

    # Whatever the subset, `starlette.__version__` is there and `python -m starlette` finds the
    # install healthy.
    run(venv, "-c", "import starlette; assert starlette.__version__.startswith('1.')")
    result = run(venv, "-m", "starlette")
    assert "healthy" in result.stdout, result.stdout

    if folder == "full":
        run(venv, "-c", "from starlette.applications import Starlette; Starlette()")
        return

    tools = list(TEST_TOOLS)
    if folder in USES_TESTCLIENT:
        tools.append(str(wheels["testclient"]))
    if folder == "middleware":
        tools += [str(wheels["auth"]), "opentelemetry-sdk>=1.27"]
    if folder == "app":
        # The OpenTelemetry middleware under a real router (its spans, http.route), and form
        # limits answered inside an application (multipart bodies).
        tools += ["opentelemetry-sdk>=1.27", "python-multipart>=0.0.18"]
    uv("pip", "install", "--quiet", "--python", venv, *tools)
    tests = ROOT / "tests" / folder.replace("-", "_")
    result = run(venv, "-m", "pytest", tests, "-q", "-p", "no:cacheprovider", "-x")
    assert " passed" in result.stdout.splitlines()[-1], result.stdout[-2000:]
