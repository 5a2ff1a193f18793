"""`starlette.__version__` (the Starlette API level) and the family's single-sourced release."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import starlette

ROOT = Path(__file__).resolve().parents[2]
SET_VERSION = ROOT / "scripts" / "set_version.py"


def test_version_names_a_starlette_1x_api_level() -> None:
    assert re.fullmatch(r"1\.\d+\.\d+", starlette.__version__)
    # What Sentry, Rollbar and others do with it.
    major, minor, *_ = (int(part) for part in starlette.__version__.split("."))
    assert (major, minor) >= (1, 6)


def test_family_version_is_the_installed_release() -> None:
    assert starlette.__family_version__ == importlib.metadata.version("starlette-core")


def test_every_starlette_directory_on_sys_path_is_joined() -> None:
    portions = [os.path.join(entry, "starlette") for entry in sys.path]
    expected = [p for p in portions if os.path.isdir(p)]
    assert expected
    assert set(expected) <= set(starlette.__path__)
    assert len(set(starlette.__path__)) == len(starlette.__path__)


def run_script(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "scripts" / "set_version.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_pyproject_and_pin_agrees() -> None:
    result = run_script(ROOT, "--check")
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "every version agrees"


def copy_of_the_versioned_files(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(SET_VERSION, tmp_path / "scripts")
    for pyproject in ROOT.glob("packages/*/pyproject.toml"):
        target = tmp_path / pyproject.relative_to(ROOT)
        target.parent.mkdir(parents=True)
        shutil.copy(pyproject, target)
    init = tmp_path / "packages" / "core" / "src" / "starlette" / "__init__.py"
    init.parent.mkdir(parents=True)
    shutil.copy(ROOT / "packages" / "core" / "src" / "starlette" / "__init__.py", init)
    return tmp_path


def test_set_version_writes_every_place(tmp_path: Path) -> None:
    root = copy_of_the_versioned_files(tmp_path)
    assert run_script(root, "9.8.7").returncode == 0
    assert run_script(root, "--api", "1.99.0").returncode == 0
    assert run_script(root, "--check").returncode == 0
    full = (root / "packages" / "full" / "pyproject.toml").read_text()
    assert 'version = "9.8.7"' in full
    assert '"starlette-routing[schemas]==9.8.7"' in full
    init = (root / "packages" / "core" / "src" / "starlette" / "__init__.py").read_text()
    assert '__family_version__ = "9.8.7"' in init
    assert '__version__ = "1.99.0"' in init


def test_check_names_the_file_that_disagrees(tmp_path: Path) -> None:
    root = copy_of_the_versioned_files(tmp_path)
    app = root / "packages" / "app" / "pyproject.toml"
    app.write_text(app.read_text().replace('"starlette-routing==', '"starlette-routing==0.0.9', 1))
    result = run_script(root, "--check")
    assert result.returncode == 1
    assert "packages/app/pyproject.toml" in result.stdout


def test_bad_arguments_print_the_usage(tmp_path: Path) -> None:
    result = run_script(copy_of_the_versioned_files(tmp_path), "not-a-version")
    assert result.returncode == 2
    assert "--check" in result.stderr
