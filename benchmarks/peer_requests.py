"""The requests of the scenarios ported to every peer: one definition for every side.

`scenarios.py` (this workspace and upstream Starlette) and `peers/*_scenarios.py` (Falcon,
BlackSheep) build their applications their own way and call them with these requests; `run.py`
checks that every side answers each with the same status and body before it measures.
"""

from __future__ import annotations

import json

from harness import ASGI, Call, http_scope

# Ported to every peer, in the order of the table.
PEER_SCENARIOS = (
    "hello",
    "json_path_param",
    "last_of_200",
    "nested_mounts_param",
    "middleware_stack",
    "form_3_fields",
    "json_body",
    "not_found_50",
)
FORM_3_BODY = b"name=alice&email=alice%40example.com&age=30"
JSON_BODY = json.dumps({f"key{i}": list(range(10)) for i in range(10)}).encode()


def peer_requests() -> dict[str, tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes, int]]:
    """name -> (method, path, query, extra headers, body, expected status), for every side."""
    form = [(b"content-type", b"application/x-www-form-urlencoded")]
    js = [(b"content-type", b"application/json")]
    cors_gzip = [(b"origin", b"https://example.org"), (b"accept-encoding", b"gzip")]
    return {
        "hello": ("GET", "/", b"", [], b"", 200),
        "json_path_param": ("GET", "/users/42", b"q=search", [], b"", 200),
        "last_of_200": ("GET", "/api/v1/resource199/42", b"", [], b"", 200),
        "nested_mounts_param": ("GET", "/api/v1/users/42", b"", [], b"", 200),
        "middleware_stack": ("GET", "/", b"", cors_gzip, b"", 200),
        "form_3_fields": ("POST", "/form3", b"", form, FORM_3_BODY, 200),
        "json_body": ("POST", "/json", b"", js, JSON_BODY, 200),
        "not_found_50": ("GET", "/nowhere/at/all", b"", [], b"", 404),
    }


def peer_call(app: ASGI, name: str) -> tuple[Call, int]:
    method, path, query, headers, body, status = peer_requests()[name]
    return Call(app, http_scope(path, method, query, headers), body), status
