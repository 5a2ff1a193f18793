"""Properties of `Config`'s env-file parser: what a file says is what `Config` returns.

Each test states what must hold for every input; only the declared exceptions may escape.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starlette.config import Config

SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
# A value as written after `=`: one line, no surrounding whitespace (the parser strips it).
values = st.text(
    alphabet=st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=20
).map(str.strip)


def quoted(value: str, quote: str) -> str:
    return f"{quote}{value}{quote}" if quote else value


def unquoted(value: str) -> str:
    """What an unquoted value reads as: one pair of matching outer quotes is stripped."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


@SETTINGS
@given(
    entries=st.lists(
        st.tuples(
            keys,
            values,
            st.sampled_from(["", "'", '"']),
            st.sampled_from(["{k}={v}", "{k} = {v}", "export {k}={v}", "  {k}=  {v}  "]),
        ),
        max_size=8,
    ),
    noise=st.lists(st.sampled_from(["", "   ", "# a comment", "#K=v", "no equals sign"])),
)
def test_env_file_values_read_back_exactly(
    tmp_path: Path, entries: list[tuple[str, str, str, str]], noise: list[str]
) -> None:
    lines = [*noise]
    expected: dict[str, str] = {}
    for key, value, quote, layout in entries:
        lines.append(layout.format(k=key, v=quoted(value, quote)))
        expected[key] = value if quote else unquoted(value)  # a repeated key: the last wins
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = Config(env_file, environ={})
    assert config.file_values == expected
    for key, value in expected.items():
        assert config(key) == value
        assert config(key, cast=str, default="unused") == value
    # The environment wins over the file.
    overridden = Config(env_file, environ=dict.fromkeys(expected, "from-environ"))
    assert all(overridden(key) == "from-environ" for key in expected)


@SETTINGS
@given(content=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=200))
def test_env_file_of_any_text_parses_into_single_line_pairs(tmp_path: Path, content: str) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(content.encode("utf-8"))
    values = Config(env_file, environ={}).file_values
    for key, value in values.items():
        assert "=" not in key
        assert not key.startswith("#")
        assert key == key.strip()
        assert "\n" not in value
        assert key in content


@SETTINGS
@given(data=st.binary(max_size=100))
def test_env_file_of_any_bytes_raises_only_unicode_decode_error(
    tmp_path: Path, data: bytes
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_bytes(data)
    try:
        values = Config(env_file, environ={}).file_values
    except UnicodeDecodeError:  # declared: the file is not in the configured encoding
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())
