"""Properties of the parsers of untrusted input in starlette.datastructures.

Each test states what must hold for every input; only the declared exceptions may escape.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from starlette.datastructures import URL, Headers, MutableHeaders, QueryParams

SETTINGS = settings(max_examples=100, deadline=None)

any_text = st.text(max_size=60)
unreserved = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~", max_size=12
)
hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,8}){0,3}", fullmatch=True)
paths = st.lists(st.text(max_size=8), max_size=5).map(
    lambda segments: "".join("/" + quote(segment, safe="") for segment in segments)
)
params = st.lists(st.tuples(any_text, any_text), max_size=6)


@SETTINGS
@given(url=any_text)
def test_url_parsing_keeps_the_string_and_only_raises_value_error(url: str) -> None:
    parsed = URL(url)
    assert str(parsed) == url
    assert parsed == URL(url)
    try:
        components = (parsed.scheme, parsed.netloc, parsed.path, parsed.query, parsed.fragment)
        port = parsed.port
    except ValueError:  # urlsplit's declared error: bad IPv6 brackets or port
        return
    assert all(isinstance(part, str) for part in components)
    assert port is None or 0 <= port <= 65535


@SETTINGS
@given(
    scheme=st.sampled_from(["http", "https", "ws", "wss"]),
    host=hosts,
    port=st.none() | st.integers(min_value=1, max_value=65535),
    path=paths,
    query=params,
    fragment=unreserved,
)
def test_url_built_from_components_round_trips(
    scheme: str, host: str, port: int | None, path: str, query: list[tuple[str, str]], fragment: str
) -> None:
    netloc = host if port is None else f"{host}:{port}"
    query_string = str(QueryParams(query))
    url = URL(scheme=scheme, netloc=netloc, path=path, query=query_string, fragment=fragment)
    again = URL(str(url))
    assert (again.scheme, again.hostname, again.port, again.path) == (scheme, host, port, path)
    assert QueryParams(again.query).multi_items() == query
    assert again.fragment == fragment
    assert again.is_secure == (scheme in ("https", "wss"))
    # replace() changes the one component it is given.
    moved = again.replace(hostname="example.org")
    assert (moved.hostname, moved.port, moved.path, moved.query) == (
        "example.org",
        port,
        path,
        again.query,
    )


@SETTINGS
@given(base=params, key=any_text, value=any_text)
def test_url_query_param_helpers(base: list[tuple[str, str]], key: str, value: str) -> None:
    url = URL("https://example.org/p").replace(query=str(QueryParams(base)))
    included = QueryParams(url.include_query_params(**{key: value}).query)
    assert included.getlist(key) == [value]
    assert [item for item in included.multi_items() if item[0] != key] == [
        item for item in base if item[0] != key
    ]
    assert QueryParams(url.replace_query_params(**{key: value}).query).multi_items() == [
        (key, value)
    ]
    removed = QueryParams(url.remove_query_params(key).query)
    assert key not in removed
    assert removed.multi_items() == [item for item in base if item[0] != key]


@SETTINGS
@given(query=st.text(max_size=80) | st.binary(max_size=80).map(lambda b: b.decode("latin-1")))
def test_query_params_from_any_string_are_stable_under_reencoding(query: str) -> None:
    parsed = QueryParams(query)
    reparsed = QueryParams(str(parsed))
    assert reparsed.multi_items() == parsed.multi_items()
    for key, value in parsed.multi_items():
        assert isinstance(key, str)
        assert isinstance(value, str)
        assert value in parsed.getlist(key)


header_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-ABCXYZ0123456789_", min_size=1)
header_values = st.text(
    alphabet=st.characters(codec="latin-1", exclude_characters="\r\n\x00"), max_size=20
)
raw_headers = st.lists(
    st.tuples(header_names, st.binary(max_size=20)).map(lambda kv: (kv[0].encode(), kv[1])),
    max_size=10,
)


@SETTINGS
@given(raw=raw_headers, name=header_names)
def test_headers_are_a_case_insensitive_view_of_the_raw_list(
    raw: list[tuple[bytes, bytes]], name: str
) -> None:
    lowered = [(key.lower(), value) for key, value in raw]
    headers = Headers(raw=lowered)
    assert headers.raw == lowered
    assert len(headers) == len(lowered)
    expected = [v.decode("latin-1") for k, v in lowered if k == name.lower().encode()]
    for spelling in (name, name.lower(), name.upper()):
        assert headers.getlist(spelling) == expected
        assert (spelling in headers) == bool(expected)
        assert headers.get(spelling) == (expected[0] if expected else None)
    assert list(headers.keys()) == [key.decode("latin-1") for key, _ in lowered]


operations = st.lists(
    st.tuples(
        st.sampled_from(["set", "append", "delete", "setdefault", "update"]),
        st.sampled_from(["a", "B", "content-type", "X-Y"]),
        header_values,
    ),
    max_size=12,
)


def model_apply(model: list[tuple[str, str]], op: str, key: str, value: str) -> None:
    """What each MutableHeaders operation must do, on a plain list of (lowercase key, value)."""
    key = key.lower()
    present = [i for i, (k, _) in enumerate(model) if k == key]
    if op in ("set", "update"):
        if present:
            model[present[0]] = (key, value)
            for i in reversed(present[1:]):
                del model[i]
        else:
            model.append((key, value))
    elif op == "append" or (op == "setdefault" and not present):
        model.append((key, value))
    elif op == "delete":
        model[:] = [item for item in model if item[0] != key]


@SETTINGS
@given(ops=operations, initial=st.lists(st.tuples(header_names, header_values), max_size=5))
def test_mutable_headers_follow_the_list_model(
    ops: list[tuple[str, str, str]], initial: list[tuple[str, str]]
) -> None:
    model = [(k.lower(), v) for k, v in initial]
    headers = MutableHeaders(raw=[(k.encode(), v.encode("latin-1")) for k, v in model])
    for op, key, value in ops:
        if op == "set":
            headers[key] = value
        elif op == "append":
            headers.append(key, value)
        elif op == "delete":
            del headers[key]
        elif op == "setdefault":
            first = headers.getlist(key)[:1]
            assert headers.setdefault(key, value) == (first[0] if first else value)
        else:
            headers.update({key: value})
        model_apply(model, op, key, value)
        assert headers.raw == [(k.encode(), v.encode("latin-1")) for k, v in model]


@SETTINGS
@given(value=st.text(max_size=10), breaker=st.sampled_from(["\r", "\n", "\r\n", "\x00"]))
def test_mutable_headers_refuse_cr_lf_nul_and_stay_unchanged(value: str, breaker: str) -> None:
    headers = MutableHeaders({"a": "1"})
    for attempt in (
        lambda: headers.__setitem__("a", value + breaker),
        lambda: headers.append("a", breaker + value),
        lambda: headers.setdefault("b", value + breaker + value),
        lambda: headers.update({"a": breaker}),
    ):
        try:
            attempt()
        except ValueError:
            pass
        else:  # pragma: no cover - the property failing
            raise AssertionError("a CR, LF or NUL reached the header list")
    assert headers.raw == [(b"a", b"1")]
