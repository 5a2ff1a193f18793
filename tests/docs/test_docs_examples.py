"""Every ```python block of the documentation runs, so the examples cannot rot.

The blocks come from `docs/**/*.md`, every `packages/*/README.md` and the root `README.md`. Each
runs in a fresh namespace, in an empty temporary working directory, with warnings as errors. A
block preceded by `<!-- no-run -->` (one that needs a real server or the network) is only
compiled. After a block has run, the `test_*` functions it defines are called, and an `app` it
defines gets a smoke request through `TestClient` unless the block drives a client itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<info>[^\s`]*)")
NO_RUN = "<!-- no-run -->"

# README apps whose meaningful smoke request is not `GET /` answered with 200.
SMOKE: dict[str, tuple[str, str, dict[str, Any], int]] = {
    "packages/requests-responses/README.md": (
        "POST",
        "/",
        {"files": {"file": ("notes.txt", b"hello")}},
        200,
    ),
    "packages/staticfiles/README.md": ("GET", "/missing.css", {}, 404),
}


@dataclass(frozen=True)
class Block:
    path: str  # relative to the repository root
    line: int  # 1-based line of the first line of code
    code: str
    run: bool


def markdown_sources() -> list[Path]:
    docs = sorted((ROOT / "docs").rglob("*.md"))
    readmes = sorted((ROOT / "packages").glob("*/README.md"))
    return [*docs, *readmes, ROOT / "README.md"]


def extract_blocks(path: Path, root: Path = ROOT) -> list[Block]:
    """The ```python blocks of one markdown file, with the `no-run` marks before them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    relative = path.relative_to(root).as_posix()
    blocks: list[Block] = []
    previous = ""
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if match is None:
            if lines[index].strip():
                previous = lines[index].strip()
            index += 1
            continue
        fence, indent = match["fence"], len(match["indent"])
        start = index + 1
        index = start
        while index < len(lines) and not lines[index].strip().startswith(fence):
            index += 1
        if match["info"] in ("python", "py"):
            code = "\n".join(line[indent:] for line in lines[start:index])
            blocks.append(Block(relative, start + 1, code, run=previous != NO_RUN))
        previous = ""
        index += 1
    return blocks


BLOCKS = [block for source in markdown_sources() for block in extract_blocks(source)]


def smoke(block: Block, app: Any) -> None:
    method, url, kwargs, status = SMOKE.get(block.path, ("GET", "/", {}, 200))
    response = TestClient(app).request(method, url, **kwargs)
    assert response.status_code == status, response.text


def run_block(block: Block, root: Path = ROOT) -> None:
    """Run one block in a fresh namespace, then its `test_*` functions and the `app` smoke test."""
    # Padding keeps the markdown line numbers in tracebacks.
    code = compile("\n" * (block.line - 1) + block.code, str(root / block.path), "exec")
    if not block.run:
        return
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(code, namespace)
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()
    if callable(namespace.get("app")) and "TestClient" not in block.code:
        smoke(block, namespace["app"])


@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.path}:{b.line}" for b in BLOCKS])
def test_docs_example(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # blocks may write files (.env, templates, static folders)
    run_block(block)


def test_blocks_are_found() -> None:
    # A parsing regression would silently test nothing.
    paths = {block.path for block in BLOCKS}
    assert "packages/routing/README.md" in paths
    assert "docs/index.md" in paths
    assert len(BLOCKS) >= 40
    assert all(block.code.strip() for block in BLOCKS)


def test_extract_blocks_reads_marks_and_skips_other_languages(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n```bash\npip install x\n```\n\n<!-- no-run -->\n```python\nimport x\n```\n\n"
        "Text.\n\n    ```python\n    y = 1\n    ```\n",
        encoding="utf-8",
    )
    blocks = [(b.line, b.code, b.run) for b in extract_blocks(page, tmp_path)]
    assert blocks == [(9, "import x", False), (15, "y = 1", True)]


def test_run_block_calls_the_test_functions_it_defines() -> None:
    block = Block("page.md", 3, "def test_it():\n    raise AssertionError('ran')", run=True)
    with pytest.raises(AssertionError, match="ran"):
        run_block(block)


def test_run_block_sends_a_smoke_request_to_app() -> None:
    code = (
        "from starlette.responses import PlainTextResponse\n"
        "app = PlainTextResponse('down', status_code=503)"
    )
    with pytest.raises(AssertionError, match="down"):
        run_block(Block("page.md", 1, code, run=True))
    # A block that drives its own TestClient gets no smoke request.
    run_block(Block("page.md", 1, code + "\nTestClient = None", run=True))


def test_run_block_only_compiles_no_run_blocks() -> None:
    run_block(Block("page.md", 1, "raise SystemExit('never run')", run=False))
    with pytest.raises(SyntaxError):
        run_block(Block("page.md", 1, "def broken(:", run=False))
