"""StaticFiles serves nothing outside its directories, whatever the path looks like."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette.staticfiles import StaticFiles

# Apps built inside async tests pass `check_dir=False`: the constructor's directory check is a
# blocking `os.stat`, refused on the event loop; the app checks on its first request, in a thread.

# Paths as the server hands them over: percent-decoded once. The comment is what was on the wire.
TRAVERSALS = [
    "/../secret.txt",  # ..
    "/css/../../secret.txt",  # climbing out from a subdirectory
    "/%2e%2e/secret.txt",  # %252e%252e: decoded once, it stays a literal name
    "/..\\secret.txt",  # ..%5c: a backslash is an ordinary character on POSIX
    "/css\\..\\..\\secret.txt",
    "/example.txt\x00.png",  # %00
    "/\x00",
    "/../static2/secret.txt",  # a sibling sharing the directory's name as a prefix
    "/....//secret.txt",
]


@pytest.fixture
def sibling(static_dir: Path) -> Path:
    sibling = static_dir.parent / "static2"
    sibling.mkdir()
    (sibling / "secret.txt").write_text("sibling secret")
    return sibling


@pytest.mark.anyio
@pytest.mark.parametrize("path", TRAVERSALS)
@pytest.mark.parametrize("follow_symlink", [False, True])
async def test_traversal_is_404(
    asgi_call, static_dir: Path, sibling: Path, path: str, follow_symlink: bool
) -> None:
    app = StaticFiles(directory=static_dir, check_dir=False, follow_symlink=follow_symlink)
    response = await asgi_call(app, path)
    assert response.status == 404
    assert response.body == b"Not Found"


@pytest.mark.anyio
@pytest.mark.parametrize("html", [False, True])
async def test_traversal_to_a_directory_is_404_in_html_mode(
    asgi_call, static_dir: Path, html: bool
) -> None:
    (static_dir.parent / "index.html").write_text("outside index")
    app = StaticFiles(directory=static_dir, check_dir=False, html=html)
    for path in ("/..", "/../", "/css/../.."):
        response = await asgi_call(app, path)
        assert response.status == 404
        assert response.body == b"Not Found"


@pytest.mark.anyio
async def test_absolute_paths_stay_inside(asgi_call, static_dir: Path) -> None:
    app = StaticFiles(directory=static_dir, check_dir=False)
    secret = static_dir.parent / "secret.txt"
    for path in (f"/{secret}", f"//{secret}", f"///{secret}"):
        response = await asgi_call(app, path)
        assert response.status == 404


@pytest.mark.anyio
async def test_absolute_path_is_read_below_the_directory(asgi_call, static_dir: Path) -> None:
    # "//etc/x" means "etc/x" inside the directory, never the root file system.
    (static_dir / "etc").mkdir()
    (static_dir / "etc" / "x").write_text("inside")
    response = await asgi_call(StaticFiles(directory=static_dir, check_dir=False), "//etc/x")
    assert response.status == 200
    assert response.body == b"inside"


@pytest.mark.anyio
async def test_dot_segments_that_stay_inside_are_served(asgi_call, static_dir: Path) -> None:
    response = await asgi_call(
        StaticFiles(directory=static_dir, check_dir=False), "/css/./../example.txt"
    )
    assert response.status == 200
    assert response.body == b"<file content>"


@pytest.mark.anyio
async def test_traversal_below_a_mount(asgi_call, static_dir: Path) -> None:
    app = StaticFiles(directory=static_dir, check_dir=False)
    response = await asgi_call(app, "/static/../secret.txt", root_path="/static")
    assert response.status == 404
    response = await asgi_call(app, "/static/example.txt", root_path="/static")
    assert response.body == b"<file content>"


@pytest.mark.parametrize(
    "url",
    [
        "/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/..%5csecret.txt",
        "/css/%2e%2e/%2e%2e/secret.txt",
        "/example.txt%00.png",
        "/%2fetc%2fpasswd",
    ],
)
def test_encoded_traversal_through_the_client(
    test_client_factory, static_dir: Path, url: str
) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir))
    response = client.get(url)
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_name_too_long_is_404(test_client_factory, static_dir: Path) -> None:
    client = test_client_factory(StaticFiles(directory=static_dir))
    assert client.get("/" + "a" * 5000).status_code == 404
    assert client.get("/" + "/".join(["b" * 250] * 40)).status_code == 404


# --- symlinks ------------------------------------------------------------------------------------


@pytest.fixture
def links(static_dir: Path) -> Path:
    outside = static_dir.parent / "outside"
    outside.mkdir()
    (outside / "data.txt").write_text("outside data")
    (static_dir / "secret-link.txt").symlink_to(static_dir.parent / "secret.txt")
    (static_dir / "outside-dir").symlink_to(outside, target_is_directory=True)
    (static_dir / "inner-link.txt").symlink_to(static_dir / "example.txt")
    (static_dir / "loop").symlink_to(static_dir / "loop")
    return static_dir


def test_symlink_escape_is_refused(test_client_factory, links: Path) -> None:
    client = test_client_factory(StaticFiles(directory=links))
    for url in ("/secret-link.txt", "/outside-dir/data.txt"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.text == "Not Found"


def test_symlink_inside_the_directory_is_served(test_client_factory, links: Path) -> None:
    client = test_client_factory(StaticFiles(directory=links))
    assert client.get("/inner-link.txt").text == "<file content>"


def test_follow_symlink_serves_links_pointing_outside(test_client_factory, links: Path) -> None:
    client = test_client_factory(StaticFiles(directory=links, follow_symlink=True))
    assert client.get("/secret-link.txt").text == "top secret"
    assert client.get("/outside-dir/data.txt").text == "outside data"
    assert client.get("/inner-link.txt").text == "<file content>"


@pytest.mark.anyio
async def test_follow_symlink_still_refuses_dot_dot(asgi_call, links: Path) -> None:
    app = StaticFiles(directory=links, check_dir=False, follow_symlink=True)
    for path in (
        "/../secret.txt",
        "/outside-dir/../../secret.txt",
        "/outside-dir/../../outside/data.txt",
    ):
        response = await asgi_call(app, path)
        assert response.status == 404


@pytest.mark.parametrize("follow_symlink", [False, True])
def test_symlink_loop_is_404(test_client_factory, links: Path, follow_symlink: bool) -> None:
    client = test_client_factory(StaticFiles(directory=links, follow_symlink=follow_symlink))
    response = client.get("/loop")
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_directory_itself_may_be_a_symlink(test_client_factory, static_dir: Path) -> None:
    alias = static_dir.parent / "alias"
    alias.symlink_to(static_dir, target_is_directory=True)
    client = test_client_factory(StaticFiles(directory=alias))
    assert client.get("/css/base.css").text == "body { color: red }"
    assert client.get("/secret-link.txt").status_code == 404


# --- operating system errors ---------------------------------------------------------------------


def failing_stat(error: OSError):
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if str(path).endswith("example.txt"):
            raise error
        return real_stat(path, *args, **kwargs)

    return stat


def test_permission_denied_is_401(test_client_factory, static_dir: Path, monkeypatch) -> None:
    # Simulated: the tests may run as root, for whom file modes grant everything.
    monkeypatch.setattr(os, "stat", failing_stat(PermissionError(errno.EACCES, "denied")))
    client = test_client_factory(StaticFiles(directory=static_dir))
    response = client.get("/example.txt")
    assert response.status_code == 401
    assert response.text == "Unauthorized"


def test_unexpected_os_error_propagates(test_client_factory, static_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(os, "stat", failing_stat(OSError(errno.EIO, "I/O error")))
    client = test_client_factory(StaticFiles(directory=static_dir))
    with pytest.raises(OSError, match="I/O error"):
        client.get("/example.txt")


# --- property: whatever the path, the answer is inside the directory -----------------------------

SEGMENTS = st.sampled_from(
    ["..", ".", "", "css", "secret.txt", "example.txt", "static2", "\\", "..\\", "\x00", "%2e", "/"]
)


@settings(
    max_examples=300, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segments=st.lists(SEGMENTS, max_size=8), follow_symlink=st.booleans())
def test_lookup_never_leaves_the_directory(
    static_dir: Path, sibling: Path, segments: list[str], follow_symlink: bool
) -> None:
    app = StaticFiles(directory=static_dir, follow_symlink=follow_symlink)
    path = app.get_path({"type": "http", "path": "/" + "/".join(segments), "root_path": ""})
    full_path, stat_result = app.lookup_path(path)
    if stat_result is None:
        assert full_path == ""
    else:
        root = os.path.realpath(static_dir)
        assert os.path.commonpath([os.path.realpath(full_path), root]) == root
