"""`python -m starlette`: tells a healthy install from one upstream Starlette was written over."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import subprocess
import sys
import types
from pathlib import Path

import pytest

import starlette
from starlette.__main__ import diagnose, main

FAMILY_PACKAGE = types.SimpleNamespace(__version__="1.10.0", __family_version__="0.1.0")
# What upstream's `starlette/__init__.py` leaves after it replaced the family's.
UPSTREAM_PACKAGE = types.SimpleNamespace(__version__="1.10.0")


def record_hash(content: bytes) -> str:
    digest = hashlib.sha256(content).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def install(site: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    """A minimal installed distribution: its files and a dist-info with METADATA and RECORD."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for relative, content in files.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_bytes(content)
        lines.append(f"{relative},{record_hash(content)},{len(content)}")
    lines += [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(lines) + "\n")


def dists(site: Path) -> list[importlib.metadata.Distribution]:
    return list(importlib.metadata.distributions(path=[str(site)]))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    install(
        tmp_path,
        "starlette-core",
        "0.1.0",
        {"starlette/__init__.py": b"# family\n", "starlette/types.py": b"# types\n"},
    )
    install(tmp_path, "starlette_full", "0.1.0", {})
    # A third-party package whose name starts like the family's is not checked.
    install(tmp_path, "starlette-context", "0.5.1", {"starlette_context/__init__.py": b""})
    return tmp_path


def test_healthy_install(site: Path) -> None:
    report = diagnose(FAMILY_PACKAGE, dists(site))
    assert report == (
        "healthy: starlette-* family 0.1.0, Starlette API 1.10.0, "
        "installed: starlette-core, starlette-full"
    )


def test_upstream_written_over_the_family(site: Path) -> None:
    # `pip install fastapi` after starlette-full: upstream's dist-info appears and its files
    # replace the family's.
    install(site, "starlette", "1.10.0", {})
    (site / "starlette" / "__init__.py").write_text('__version__ = "1.10.0"\n')
    report = diagnose(UPSTREAM_PACKAGE, dists(site))
    lines = report.splitlines()
    assert lines[0].startswith(
        "problem: `starlette/__init__.py` is missing or not the starlette-* family's"
    )
    assert "pip install fastapi" in lines[0]
    assert lines[1].startswith("problem: the upstream `starlette` distribution 1.10.0 is installed")
    assert lines[2] == "problem: files of the family were changed: starlette/__init__.py."
    assert "    pip uninstall -y starlette" in lines
    # Pinned: unrelated projects on the package index share some of the family's names.
    assert (
        "    pip install --force-reinstall --no-deps starlette-core==0.1.0 starlette-full==0.1.0"
        in lines
    )
    assert "override-dependencies = [\"starlette; sys_platform == 'never'\"]" in report


def test_family_written_over_upstream(site: Path) -> None:
    # starlette-full installed after upstream: the family's files run, upstream's dist-info stays.
    install(site, "starlette", "1.10.0", {})
    report = diagnose(FAMILY_PACKAGE, dists(site))
    assert report.startswith("problem: the upstream `starlette` distribution 1.10.0")
    assert "files of the family were changed" not in report


def test_missing_family_file(site: Path) -> None:
    # `pip uninstall starlette` deletes the files both distributions list.
    (site / "starlette" / "types.py").unlink()
    report = diagnose(FAMILY_PACKAGE, dists(site))
    assert report.splitlines()[0] == (
        "problem: files of the family were changed: starlette/types.py (missing)."
    )


def test_no_family_distribution_recommends_starlette_full(tmp_path: Path) -> None:
    report = diagnose(UPSTREAM_PACKAGE, [])
    assert "    pip install starlette-full" in report.splitlines()


def test_main_on_this_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    out = capsys.readouterr().out
    assert out.startswith(f"healthy: starlette-* family {starlette.__family_version__}")


def test_main_exit_status_on_a_problem(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delattr(starlette, "__family_version__")
    assert main() == 1
    assert capsys.readouterr().out.startswith("problem: `starlette/__init__.py` is missing")


def test_runs_as_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "starlette"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("healthy: ")
