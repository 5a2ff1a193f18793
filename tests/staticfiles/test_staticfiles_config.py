from __future__ import annotations

import os
from pathlib import Path

import pytest

from starlette.staticfiles import StaticFiles


def test_missing_directory_raises(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(RuntimeError) as exc_info:
        StaticFiles(directory=missing)
    assert str(exc_info.value) == f"Directory '{missing}' does not exist"


def test_check_dir_false_checks_at_first_request(test_client_factory, tmp_path: Path) -> None:
    directory = tmp_path / "later"
    app = StaticFiles(directory=directory, check_dir=False)
    client = test_client_factory(app)
    with pytest.raises(RuntimeError) as exc_info:
        client.get("/file.txt")
    assert str(exc_info.value) == f"StaticFiles directory '{directory}' does not exist."
    assert app.config_checked is False

    directory.mkdir()
    (directory / "file.txt").write_text("created later")
    response = client.get("/file.txt")
    assert response.status_code == 200
    assert response.text == "created later"
    assert app.config_checked is True


def test_check_dir_false_path_is_a_file(test_client_factory, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("")
    client = test_client_factory(StaticFiles(directory=not_a_dir, check_dir=False))
    with pytest.raises(RuntimeError) as exc_info:
        client.get("/")
    assert str(exc_info.value) == f"StaticFiles path '{not_a_dir}' is not a directory."


def test_no_directories_serves_nothing(test_client_factory) -> None:
    app = StaticFiles()
    assert app.all_directories == []
    response = test_client_factory(app).get("/anything.txt")
    assert response.status_code == 404
    assert response.text == "Not Found"


# --- packages ------------------------------------------------------------------------------------


def make_package(root: Path, name: str, *statics: str) -> Path:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for folder in statics:
        (package / folder).mkdir()
    return package


def test_package_statics(test_client_factory, tmp_path: Path, monkeypatch) -> None:
    package = make_package(tmp_path, "sf_pkg_default", "statics")
    (package / "statics" / "app.js").write_text("console.log(1)")
    monkeypatch.syspath_prepend(tmp_path)

    app = StaticFiles(packages=["sf_pkg_default"])
    assert app.all_directories == [str(package / "statics")]
    response = test_client_factory(app).get("/app.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"


def test_package_with_named_folder(test_client_factory, tmp_path: Path, monkeypatch) -> None:
    package = make_package(tmp_path, "sf_pkg_named", "assets")
    (package / "assets" / "logo.svg").write_text("<svg/>")
    monkeypatch.syspath_prepend(tmp_path)

    client = test_client_factory(StaticFiles(packages=[("sf_pkg_named", "assets")]))
    response = client.get("/logo.svg")
    assert response.status_code == 200
    assert response.text == "<svg/>"


def test_directory_comes_before_packages(test_client_factory, tmp_path: Path, monkeypatch) -> None:
    package = make_package(tmp_path, "sf_pkg_order", "statics")
    (package / "statics" / "shared.txt").write_text("from package")
    (package / "statics" / "only-package.txt").write_text("package only")
    directory = tmp_path / "site"
    directory.mkdir()
    (directory / "shared.txt").write_text("from directory")
    monkeypatch.syspath_prepend(tmp_path)

    app = StaticFiles(directory=directory, packages=["sf_pkg_order"])
    assert app.all_directories == [directory, str(package / "statics")]
    client = test_client_factory(app)
    assert client.get("/shared.txt").text == "from directory"
    assert client.get("/only-package.txt").text == "package only"
    assert client.get("/neither.txt").status_code == 404


def test_missing_package(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(tmp_path)
    with pytest.raises(AssertionError) as exc_info:
        StaticFiles(packages=["sf_pkg_does_not_exist"])
    assert str(exc_info.value) == "Package 'sf_pkg_does_not_exist' could not be found."


def test_namespace_package_has_no_origin(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "sf_pkg_namespace" / "statics").mkdir(parents=True)
    monkeypatch.syspath_prepend(tmp_path)
    with pytest.raises(AssertionError) as exc_info:
        StaticFiles(packages=["sf_pkg_namespace"])
    assert str(exc_info.value) == "Package 'sf_pkg_namespace' could not be found."


def test_package_without_statics(tmp_path: Path, monkeypatch) -> None:
    make_package(tmp_path, "sf_pkg_bare")
    monkeypatch.syspath_prepend(tmp_path)
    with pytest.raises(AssertionError) as exc_info:
        StaticFiles(packages=["sf_pkg_bare"])
    assert str(exc_info.value) == "Directory 'statics' in package 'sf_pkg_bare' could not be found."
    with pytest.raises(AssertionError) as exc_info:
        StaticFiles(packages=[("sf_pkg_bare", "assets")])
    assert str(exc_info.value) == "Directory 'assets' in package 'sf_pkg_bare' could not be found."


def test_get_directories_can_be_called_again(static_dir: Path) -> None:
    app = StaticFiles(directory=static_dir)
    assert app.get_directories() == []
    assert app.get_directories(directory=os.fspath(static_dir)) == [os.fspath(static_dir)]
