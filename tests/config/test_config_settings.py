from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

import starlette.config
from starlette.config import Config, Environ, EnvironError, environ, undefined


def write_env(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding=encoding)
    return path


def test_config_reads_env_file(tmp_path: Path) -> None:
    path = write_env(
        tmp_path,
        "# a comment\n"
        "\n"
        "DATABASE_URL=postgres://user:pass@localhost/db\n"
        "  SPACED  =  value with spaces  \n"
        "EQUALS=a=b=c\n"
        "EMPTY=\n"
        "not a pair\n"
        "   # indented comment\n"
        "export EXPORTED=yes\n",
    )
    config = Config(path, environ={})
    assert config("DATABASE_URL") == "postgres://user:pass@localhost/db"
    assert config("SPACED") == "value with spaces"
    assert config("EQUALS") == "a=b=c"
    assert config("EMPTY") == ""
    assert config("EXPORTED") == "yes"
    assert config.file_values == {
        "DATABASE_URL": "postgres://user:pass@localhost/db",
        "SPACED": "value with spaces",
        "EQUALS": "a=b=c",
        "EMPTY": "",
        "EXPORTED": "yes",
    }


def test_config_env_file_as_str(tmp_path: Path) -> None:
    path = write_env(tmp_path, "KEY=value\n")
    assert Config(str(path), environ={})("KEY") == "value"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"double"', "double"),
        ("'single'", "single"),
        ("\"a'", "\"a'"),
        ('""a""', '"a"'),
        ("'\"mixed\"'", '"mixed"'),
        ('""', ""),
        ('"', '"'),
        ("'", "'"),
        ("inner 'quotes' kept", "inner 'quotes' kept"),
        ('"spaced out" ', "spaced out"),
    ],
)
def test_config_strips_one_pair_of_matching_quotes(tmp_path: Path, raw: str, expected: str) -> None:
    path = write_env(tmp_path, f"KEY={raw}\n")
    assert Config(path, environ={})("KEY") == expected


def test_config_env_file_encoding(tmp_path: Path) -> None:
    path = write_env(tmp_path, "NAME=café\n", encoding="latin-1")
    assert Config(path, environ={}, encoding="latin-1")("NAME") == "café"
    utf8 = write_env(tmp_path, "NAME=café\n")
    assert Config(utf8, environ={})("NAME") == "café"


def test_config_missing_env_file_warns(tmp_path: Path) -> None:
    missing = tmp_path / "missing.env"
    with pytest.warns(UserWarning, match=re.escape(f"Config file '{missing}' not found.")) as rec:
        config = Config(missing, environ={})
    # As upstream: named after starlette.config, the module `filterwarnings` entries match.
    assert rec[0].category is UserWarning
    assert rec[0].filename == starlette.config.__file__
    assert config.file_values == {}
    assert config("X", default="fallback") == "fallback"


def test_config_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="not found"):
        Config(tmp_path, environ={})


def test_config_without_env_file() -> None:
    config = Config(environ={"A": "1"})
    assert config.file_values == {}
    assert config("A") == "1"


def test_config_lookup_order(tmp_path: Path) -> None:
    path = write_env(tmp_path, "BOTH=file\nFILE_ONLY=file\n")
    config = Config(path, environ={"BOTH": "env", "ENV_ONLY": "env"})
    assert config("BOTH") == "env"
    assert config("ENV_ONLY") == "env"
    assert config("FILE_ONLY") == "file"
    assert config("BOTH", default="default") == "env"
    assert config("NEITHER", default="default") == "default"


def test_config_missing_key_without_default() -> None:
    config = Config(environ={})
    with pytest.raises(KeyError, match=r"Config 'MISSING' is missing, and has no default\."):
        config("MISSING")
    with pytest.raises(KeyError, match=r"Config 'MISSING' is missing, and has no default\."):
        config.get("MISSING", cast=int)


def test_config_default_none_is_allowed() -> None:
    config = Config(environ={})
    assert config("MISSING", default=None) is None
    assert config("MISSING", cast=int, default=None) is None


def test_config_env_prefix(tmp_path: Path) -> None:
    path = write_env(tmp_path, "APP_FROM_FILE=file\nFROM_FILE=unprefixed\n")
    config = Config(path, environ={"APP_DEBUG": "true", "DEBUG": "false"}, env_prefix="APP_")
    assert config("DEBUG", cast=bool) is True
    assert config("FROM_FILE") == "file"
    with pytest.raises(KeyError, match="Config 'APP_MISSING' is missing"):
        config("MISSING")


def test_config_get_is_call() -> None:
    config = Config(environ={"A": "1"})
    assert config.get("A") == config("A") == "1"
    assert config.get("A", cast=int) == 1
    assert config.get("B", int, "2") == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("1", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("0", False),
    ],
)
def test_config_bool_cast(value: str, expected: bool) -> None:
    config = Config(environ={"FLAG": value})
    assert config("FLAG", cast=bool) is expected


@pytest.mark.parametrize("value", ["yes", "", "2", "on"])
def test_config_invalid_bool(value: str) -> None:
    config = Config(environ={"FLAG": value})
    with pytest.raises(ValueError) as info:
        config("FLAG", cast=bool)
    assert str(info.value) == f"Config 'FLAG' has value '{value}'. Not a valid bool."


def test_config_other_casts() -> None:
    config = Config(environ={"INT": "42", "FLOAT": "1.5", "WORD": "abc"})
    assert config("INT", cast=int) == 42
    assert config("FLOAT", cast=float) == 1.5
    assert config("WORD", cast=str.upper) == "ABC"
    assert config("WORD", cast=lambda v: v * 2) == "abcabc"


def test_config_invalid_cast() -> None:
    config = Config(environ={"INT": "forty-two"})
    with pytest.raises(ValueError) as info:
        config("INT", cast=int)
    assert str(info.value) == "Config 'INT' has value 'forty-two'. Not a valid int."
    assert isinstance(info.value.__cause__, ValueError)


def test_config_invalid_cast_with_type_error_and_no_name() -> None:
    class Caster:
        def __call__(self, value: Any) -> Any:
            raise TypeError("nope")

        def __repr__(self) -> str:
            return "Caster()"

    config = Config(environ={"X": "1"})
    with pytest.raises(ValueError, match=r"Config 'X' has value '1'. Not a valid Caster\(\)."):
        config("X", cast=Caster())


def test_config_cast_applies_to_default() -> None:
    config = Config(environ={})
    assert config("PORT", cast=int, default="8000") == 8000
    assert config("DEBUG", cast=bool, default="true") is True
    assert config("DEBUG", cast=bool, default=False) is False
    assert config("DEBUG", cast=bool, default=0) is False
    with pytest.raises(ValueError, match=r"Config 'PORT' has value 'x'\. Not a valid int\."):
        config("PORT", cast=int, default="x")


def test_config_file_values_are_cast(tmp_path: Path) -> None:
    path = write_env(tmp_path, "PORT=8000\nDEBUG='true'\n")
    config = Config(path, environ={})
    assert config("PORT", cast=int) == 8000
    assert config("DEBUG", cast=bool) is True


def test_config_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARLETTE_CONFIG_TEST_VALUE", "from-os")
    config = Config()
    assert config.environ is environ
    assert config("STARLETTE_CONFIG_TEST_VALUE") == "from-os"


def test_config_typing() -> None:
    config = Config(environ={"A": "1"})
    as_str: str = config("A")
    as_int: int = config("A", cast=int)
    maybe: str | None = config("B", default=None)
    assert (as_str, as_int, maybe) == ("1", 1, None)


def test_undefined_is_a_sentinel_class() -> None:
    assert isinstance(undefined, type)
    config = Config(environ={})
    with pytest.raises(KeyError):
        config("X", default=undefined)


def test_environ_reads_and_writes() -> None:
    backing: dict[str, str] = {"A": "1"}
    env = Environ(backing)
    env["B"] = "2"
    assert backing == {"A": "1", "B": "2"}
    del env["B"]
    assert backing == {"A": "1"}
    assert list(env) == ["A"]
    assert len(env) == 1
    assert env["A"] == "1"
    assert "A" in env
    assert "Z" not in env


def test_environ_refuses_changes_after_read() -> None:
    env = Environ({"A": "1"})
    assert env["A"] == "1"
    with pytest.raises(
        EnvironError,
        match=r"Attempting to set environ\['A'\], but the value has already been read.",
    ):
        env["A"] = "2"
    with pytest.raises(
        EnvironError,
        match=r"Attempting to delete environ\['A'\], but the value has already been read\.",
    ):
        del env["A"]
    assert env["A"] == "1"


def test_environ_lookup_of_a_missing_key_counts_as_read() -> None:
    env = Environ({})
    config = Config(environ=env)
    assert config("LATE", default="x") == "x"
    with pytest.raises(EnvironError):
        env["LATE"] = "too late"


def test_environ_missing_key() -> None:
    env = Environ({})
    with pytest.raises(KeyError):
        env["MISSING"]


def test_environ_defaults_to_os_environ() -> None:
    assert Environ()._environ is os.environ
    assert isinstance(environ, Environ)
