from __future__ import annotations

import copy
import pickle

import pytest

from starlette.datastructures import Address, CommaSeparatedStrings, Secret, State


def test_address() -> None:
    address = Address("127.0.0.1", 8000)
    assert address.host == "127.0.0.1"
    assert address.port == 8000
    host, port = address
    assert (host, port) == ("127.0.0.1", 8000)
    assert address == ("127.0.0.1", 8000)
    assert repr(address) == "Address(host='127.0.0.1', port=8000)"


def test_secret() -> None:
    secret = Secret("s3cr3t")
    assert repr(secret) == "Secret('**********')"
    assert str(secret) == "s3cr3t"
    assert "s3cr3t" not in f"{secret!r}"
    assert bool(secret)
    assert not Secret("")


def test_comma_separated_strings_from_str() -> None:
    csv = CommaSeparatedStrings("localhost, 127.0.0.1,example.org")
    assert list(csv) == ["localhost", "127.0.0.1", "example.org"]
    assert len(csv) == 3
    assert csv[0] == "localhost"
    assert csv[-1] == "example.org"
    assert csv[1:] == ["127.0.0.1", "example.org"]
    assert repr(csv) == "CommaSeparatedStrings(['localhost', '127.0.0.1', 'example.org'])"
    assert str(csv) == "'localhost', '127.0.0.1', 'example.org'"


def test_comma_separated_strings_quotes_group_commas() -> None:
    assert list(CommaSeparatedStrings("a, 'b, c'")) == ["a", "b, c"]
    assert list(CommaSeparatedStrings('"x,y",z')) == ["x,y", "z"]


def test_comma_separated_strings_empty() -> None:
    assert list(CommaSeparatedStrings("")) == []
    assert str(CommaSeparatedStrings("")) == ""


def test_comma_separated_strings_unbalanced_quote() -> None:
    with pytest.raises(ValueError, match="No closing quotation"):
        CommaSeparatedStrings("a, 'b")


def test_comma_separated_strings_from_sequence() -> None:
    csv = CommaSeparatedStrings(["a", "b, c"])
    assert list(csv) == ["a", "b, c"]
    assert "a" in csv
    assert str(csv) == "'a', 'b, c'"


def test_state_attribute_access() -> None:
    state = State()
    state.db = "database"
    assert state.db == "database"
    del state.db
    assert "db" not in state


def test_state_item_access() -> None:
    state = State()
    state["db"] = "database"
    assert state["db"] == "database"
    assert state.db == "database"
    state.cache = "redis"
    assert state["cache"] == "redis"
    del state["cache"]
    assert "cache" not in state


def test_state_missing_attribute_and_item() -> None:
    state = State()
    with pytest.raises(AttributeError, match="'State' object has no attribute 'missing'"):
        state.missing  # noqa: B018
    with pytest.raises(AttributeError, match="'State' object has no attribute 'missing'"):
        del state.missing
    with pytest.raises(KeyError, match="missing"):
        state["missing"]
    with pytest.raises(KeyError, match="missing"):
        del state["missing"]
    assert getattr(state, "missing", "fallback") == "fallback"
    assert not hasattr(state, "missing")


def test_state_shares_the_given_dict() -> None:
    values = {"a": 1}
    state = State(values)
    state.b = 2
    assert values == {"a": 1, "b": 2}
    assert state._state is values


def test_state_iteration_len_contains_repr() -> None:
    state = State({"a": 1, "b": 2})
    assert list(state) == ["a", "b"]
    assert len(state) == 2
    assert "a" in state
    assert "z" not in state
    assert repr(state) == "State({'a': 1, 'b': 2})"
    assert repr(State()) == "State({})"


def test_state_can_be_copied_and_pickled() -> None:
    state = State({"a": 1})
    copied = copy.copy(state)
    assert copied.a == 1
    deep = copy.deepcopy(state)
    deep.a = 2
    assert state.a == 1
    restored = pickle.loads(pickle.dumps(state))
    assert restored["a"] == 1
