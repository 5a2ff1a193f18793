"""The data structures of HTTP: URLs, headers, query strings, forms, uploads, state and secrets."""

from __future__ import annotations

import io
from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    Sequence,
    ValuesView,
)
from shlex import shlex
from tempfile import SpooledTemporaryFile
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, NamedTuple, TypeVar, overload
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from starlette._utils import (
    DEFAULT_PORTS,
    check_header_name,
    check_header_value,
    is_ipv6_address,
    quote_path,
    request_host,
)
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

__all__ = [
    "URL",
    "Address",
    "CommaSeparatedStrings",
    "FormData",
    "Headers",
    "ImmutableMultiDict",
    "MultiDict",
    "MutableHeaders",
    "QueryParams",
    "Secret",
    "State",
    "URLPath",
    "UploadFile",
]

_KeyType = TypeVar("_KeyType")
_CovariantValueType = TypeVar("_CovariantValueType", covariant=True)
_T = TypeVar("_T")


class Address(NamedTuple):
    """The `(host, port)` of a client or server."""

    host: str
    port: int


def _url_from_scope(scope: Scope) -> str:
    scheme: str = scope.get("scheme", "http")
    server = scope.get("server")
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    # ASGI puts root_path inside path; older servers did not, so prefix it only when missing.
    if root_path and not path.startswith(root_path):
        path = root_path + path
    query_string: bytes = scope.get("query_string", b"")

    # scope["path"] is percent-decoded: quote_path re-encodes what would end the path. A leading
    # "//" is harmless after an authority ("http://host//a") but, alone, would read as one.
    # The Host header as the client wrote it, when the one Host parser accepts it: anything
    # else ("a@evil.com", "[:::]", "host:99999", ...) must not leak into a URL we build.
    host = request_host(scope)
    if host is not None:
        url = f"{scheme}://{host[0]}{quote_path(path, decoded=True, authority=True)}"
    elif server is None:
        url = quote_path(path, decoded=True)
    else:
        path = quote_path(path, decoded=True, authority=True)
        server_host, port = server
        if ":" in server_host and not server_host.startswith("["):
            server_host = f"[{server_host}]"
        if port is None or port == DEFAULT_PORTS.get(scheme):
            url = f"{scheme}://{server_host}{path}"
        else:
            url = f"{scheme}://{server_host}:{port}{path}"
    if query_string:
        # A raw "#" (invalid, but a client can send it) must not start a fragment.
        url += "?" + query_string.decode("latin-1").replace("#", "%23")
    return url


_NO_COMPONENTS = SplitResult("", "", "", "", "")
_SPLIT_FIELDS = frozenset(_NO_COMPONENTS._fields)


def _url_from_components(components: dict[str, Any]) -> str:
    """What `URL("").replace(**components)` spells, without building the URLs in between."""
    if components.keys() <= _SPLIT_FIELDS:
        # The split/unsplit round trip is the one `replace` and `components` make.
        return urlunsplit(urlsplit(urlunsplit(_NO_COMPONENTS._replace(**components))))
    return URL("").replace(**components).components.geturl()


class URL:
    """An immutable URL, parsed lazily; build it from a string, an ASGI scope or components."""

    def __init__(self, url: str = "", scope: Scope | None = None, **components: Any) -> None:
        if scope is not None:
            assert not url, 'Cannot set both "url" and "scope".'
            assert not components, 'Cannot set both "scope" and "**components".'
            url = _url_from_scope(scope)
        elif components:
            assert not url, 'Cannot set both "url" and "**components".'
            url = _url_from_components(components)
        self._url = url

    @property
    def components(self) -> SplitResult:
        if not hasattr(self, "_components"):
            self._components = urlsplit(self._url)
        return self._components

    @property
    def scheme(self) -> str:
        return self.components.scheme

    @property
    def netloc(self) -> str:
        return self.components.netloc

    @property
    def path(self) -> str:
        return self.components.path

    @property
    def query(self) -> str:
        return self.components.query

    @property
    def fragment(self) -> str:
        return self.components.fragment

    @property
    def username(self) -> str | None:
        return self.components.username

    @property
    def password(self) -> str | None:
        return self.components.password

    @property
    def hostname(self) -> str | None:
        return self.components.hostname

    @property
    def port(self) -> int | None:
        return self.components.port

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    def replace(self, **kwargs: Any) -> URL:
        """A copy with some components replaced: scheme, netloc, path, query, fragment, or the
        parts of netloc (username, password, hostname, port)."""
        if {"username", "password", "hostname", "port"} & kwargs.keys():
            kwargs["netloc"] = self._build_netloc(
                hostname=kwargs.pop("hostname", None),
                port=kwargs.pop("port", self.port),
                username=kwargs.pop("username", self.username),
                password=kwargs.pop("password", self.password),
            )
        components = self.components._replace(**kwargs)
        return self.__class__(components.geturl())

    def _build_netloc(
        self, hostname: str | None, port: int | None, username: str | None, password: str | None
    ) -> str:
        if hostname is None:
            # Keep the current host as written (brackets included); it may be empty.
            hostname = self.netloc.rpartition("@")[2]
            if not hostname.endswith("]"):
                hostname = hostname.rsplit(":", 1)[0]
        elif ":" in hostname and is_ipv6_address(hostname):
            # Only an IPv6 address gains brackets: "host:8000" is a host with its port, as 1.x
            # reads it.
            hostname = f"[{hostname}]"
        netloc = hostname
        if port is not None:
            netloc += f":{port}"
        if username is not None:
            userinfo = username if password is None else f"{username}:{password}"
            netloc = f"{userinfo}@{netloc}"
        return netloc

    def include_query_params(self, **kwargs: Any) -> URL:
        """A copy with these query parameters set (replacing any with the same name)."""
        params = MultiDict(parse_qsl(self.query, keep_blank_values=True))
        params.update({str(key): str(value) for key, value in kwargs.items()})
        return self.replace(query=urlencode(params.multi_items()))

    def replace_query_params(self, **kwargs: Any) -> URL:
        """A copy whose query string holds exactly these parameters."""
        query = urlencode([(str(key), str(value)) for key, value in kwargs.items()])
        return self.replace(query=query)

    def remove_query_params(self, keys: str | Sequence[str]) -> URL:
        """A copy without the query parameters named in `keys`."""
        if isinstance(keys, str):
            keys = [keys]
        params = MultiDict(parse_qsl(self.query, keep_blank_values=True))
        for key in keys:
            params.pop(key, None)
        return self.replace(query=urlencode(params.multi_items()))

    def __eq__(self, other: Any) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        url = str(self)
        if self.password:
            url = str(self.replace(password="********"))
        return f"{self.__class__.__name__}({url!r})"


class URLPath(str):
    """A path from `url_path_for` that knows its protocol and, for host routes, its host."""

    protocol: str
    host: str

    def __new__(
        cls, path: str, protocol: Literal["http", "websocket", ""] = "", host: str = ""
    ) -> URLPath:
        assert protocol in ("http", "websocket", ""), f"Invalid protocol {protocol!r}."
        return str.__new__(cls, path)

    def __init__(
        self, path: str, protocol: Literal["http", "websocket", ""] = "", host: str = ""
    ) -> None:
        self.protocol = protocol
        self.host = host

    def make_absolute_url(self, base_url: str | URL) -> URL:
        """The absolute URL of this path under `base_url`, with the scheme its protocol needs."""
        if isinstance(base_url, str):
            base_url = URL(base_url)
        if self.protocol == "http":
            scheme = "https" if base_url.is_secure else "http"
        elif self.protocol == "websocket":
            scheme = "wss" if base_url.is_secure else "ws"
        else:
            scheme = base_url.scheme
        netloc = self.host or base_url.netloc
        path = base_url.path.rstrip("/") + str(self)
        return URL(scheme=scheme, netloc=netloc, path=path)


class Secret:
    """A string that does not show itself in reprs, logs or tracebacks."""

    def __init__(self, value: str):
        self._value = value

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}('**********')"

    def __str__(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)


class CommaSeparatedStrings(Sequence[str]):
    """A list of strings read from `"a, b, 'c, d'"` (quotes group commas), or from a sequence."""

    def __init__(self, value: str | Sequence[str]):
        if isinstance(value, str):
            splitter = shlex(value, posix=True)
            splitter.whitespace = ","
            splitter.whitespace_split = True
            self._items = [item.strip() for item in splitter]
        else:
            self._items = list(value)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._items[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._items!r})"

    def __str__(self) -> str:
        return ", ".join(repr(item) for item in self)


def _same_multi_items(left: list[tuple[Any, Any]], right: list[tuple[Any, Any]]) -> bool:
    """Equal when each key has the same values in the same order; the order of keys is free.

    "a=1&a=2" and "a=2&a=1" differ (the order of a repeated key's values means something), while
    "a=1&b=2" and "b=2&a=1" are equal. Values need not be hashable nor orderable.
    """
    if len(left) != len(right):
        return False
    if left == right:
        return True  # the usual case: the same pairs in the same order, no grouping needed
    return _values_by_key(left) == _values_by_key(right)


def _values_by_key(items: list[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = {}
    for key, value in items:
        if key in grouped:
            grouped[key].append(value)
        else:
            grouped[key] = [value]
    return grouped


class ImmutableMultiDict(Mapping[_KeyType, _CovariantValueType]):
    """A mapping that keeps every value of a repeated key; `d[key]` is the last one."""

    _dict: dict[_KeyType, _CovariantValueType]

    def __init__(
        self,
        *args: ImmutableMultiDict[_KeyType, _CovariantValueType]
        | Mapping[_KeyType, _CovariantValueType]
        | Iterable[tuple[_KeyType, _CovariantValueType]],
        **kwargs: Any,
    ) -> None:
        assert len(args) < 2, "Too many arguments."
        value: Any = args[0] if args else []
        if kwargs:
            value = [*ImmutableMultiDict(value).multi_items(), *kwargs.items()]

        items: list[tuple[Any, Any]]
        if type(value) is list:
            items = value.copy()  # pairs, the common case (parsers build them), checked first
        elif not value:
            items = []
        elif hasattr(value, "multi_items"):
            items = list(value.multi_items())
        elif hasattr(value, "keys"):
            items = list(value.items())
        else:
            items = list(value)
        self._dict = dict(items)
        self._list = items

    @overload
    def get(self, key: _KeyType) -> _CovariantValueType | None: ...

    @overload
    def get(self, key: _KeyType, default: _CovariantValueType | _T) -> _CovariantValueType | _T: ...

    def get(self, key: Any, default: Any = None) -> Any:
        # Mapping.get, minus its call of __getitem__ (query and form lookups are per request).
        return self._dict.get(key, default)

    def getlist(self, key: Any) -> list[_CovariantValueType]:
        """Every value of `key`, in order; `[]` when absent."""
        return [item_value for item_key, item_value in self._list if item_key == key]

    def keys(self) -> KeysView[_KeyType]:
        return self._dict.keys()

    def values(self) -> ValuesView[_CovariantValueType]:
        return self._dict.values()

    def items(self) -> ItemsView[_KeyType, _CovariantValueType]:
        return self._dict.items()

    def multi_items(self) -> list[tuple[_KeyType, _CovariantValueType]]:
        """Every `(key, value)` pair, repeated keys included, in order."""
        return list(self._list)

    def __getitem__(self, key: _KeyType) -> _CovariantValueType:
        return self._dict[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[_KeyType]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, ImmutableMultiDict):
            return NotImplemented
        return _same_multi_items(self._list, other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.multi_items()!r})"


class MultiDict(ImmutableMultiDict[Any, Any]):
    """A mutable `ImmutableMultiDict`: setting a key replaces all its values."""

    def __setitem__(self, key: Any, value: Any) -> None:
        self.setlist(key, [value])

    def __delitem__(self, key: Any) -> None:
        del self._dict[key]
        self._list = [(k, v) for k, v in self._list if k != key]

    def pop(self, key: Any, default: Any = None) -> Any:
        self._list = [(k, v) for k, v in self._list if k != key]
        return self._dict.pop(key, default)

    def popitem(self) -> tuple[Any, Any]:
        key, value = self._dict.popitem()
        self._list = [(k, v) for k, v in self._list if k != key]
        return key, value

    def poplist(self, key: Any) -> list[Any]:
        values = self.getlist(key)
        self.pop(key)
        return values

    def clear(self) -> None:
        self._dict.clear()
        self._list.clear()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self._dict[key] = default
            self._list.append((key, default))
        return self[key]

    def setlist(self, key: Any, values: list[Any]) -> None:
        if not values:
            self.pop(key, None)
            return
        self._list = [(k, v) for k, v in self._list if k != key]
        self._list.extend((key, value) for value in values)
        self._dict[key] = values[-1]

    def append(self, key: Any, value: Any) -> None:
        self._list.append((key, value))
        self._dict[key] = value

    def update(
        self,
        *args: MultiDict | Mapping[Any, Any] | list[tuple[Any, Any]],
        **kwargs: Any,
    ) -> None:
        value = MultiDict(*args, **kwargs)
        self._list = [(k, v) for k, v in self._list if k not in value]
        self._list.extend(value.multi_items())
        self._dict.update(value)


class QueryParams(ImmutableMultiDict[str, str]):
    """Query string parameters, from a raw query string or from pairs; `str()` re-encodes them."""

    def __init__(
        self,
        *args: ImmutableMultiDict[Any, Any]
        | Mapping[Any, Any]
        | list[tuple[Any, Any]]
        | str
        | bytes,
        **kwargs: Any,
    ) -> None:
        assert len(args) < 2, "Too many arguments."
        value: Any = args[0] if args else []
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str) and not kwargs and "%" not in value and "+" not in value:
            # Nothing to unquote: what parse_qsl(value, keep_blank_values=True) gives, at a
            # fraction of its cost (the query string of nearly every request).
            items = [pair.partition("=")[::2] for pair in value.split("&") if pair]
            self._list = items
            self._dict = dict(items)
            return
        if isinstance(value, str):
            super().__init__(parse_qsl(value, keep_blank_values=True), **kwargs)
        else:
            super().__init__(value, **kwargs)
        self._list = [(str(k), str(v)) for k, v in self._list]
        self._dict = {str(k): str(v) for k, v in self._dict.items()}

    def __str__(self) -> str:
        return urlencode(self._list)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({str(self)!r})"


class UploadFile:
    """An uploaded file: a (spooled) binary file plus its name, size and part headers.

    Operations run inline while the data is still in memory and in a worker thread once the
    file is on disk, so a large upload never blocks the event loop.
    """

    def __init__(
        self,
        file: BinaryIO,
        *,
        size: int | None = None,
        filename: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.filename = filename
        self.file = file
        self.size = size
        self.headers = headers or Headers()

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type", None)

    @property
    def _in_memory(self) -> bool:
        if isinstance(self.file, SpooledTemporaryFile):
            return not self.file._rolled  # type: ignore[attr-defined]
        return isinstance(self.file, io.BytesIO)

    def _will_roll(self, size_to_add: int) -> bool:
        # Decided BEFORE writing: the write that crosses the threshold is the one that moves the
        # data to disk, and it must not happen on the event loop.
        if not self._in_memory:
            return True
        max_size: int = getattr(self.file, "_max_size", 0)
        return bool(max_size) and self.file.tell() + size_to_add > max_size

    async def write(self, data: bytes) -> None:
        """Write `data` at the current position and add its length to `size`."""
        if self.size is not None:
            self.size += len(data)
        if self._will_roll(len(data)):
            await run_in_threadpool(self.file.write, data)
        else:
            self.file.write(data)

    async def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (all by default)."""
        if self._in_memory:
            return self.file.read(size)
        return await run_in_threadpool(self.file.read, size)

    async def seek(self, offset: int) -> None:
        """Move to byte `offset` from the start."""
        if self._in_memory:
            self.file.seek(offset)
        else:
            await run_in_threadpool(self.file.seek, offset)

    async def close(self) -> None:
        """Close the underlying file (deleting it if it is temporary)."""
        if self._in_memory:
            self.file.close()
        else:
            await run_in_threadpool(self.file.close)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(filename={self.filename!r}, "
            f"size={self.size!r}, headers={self.headers!r})"
        )


class FormData(ImmutableMultiDict[str, UploadFile | str]):
    """A parsed form: field values are strings, file fields are `UploadFile`s."""

    if TYPE_CHECKING:  # the signature type checkers see; at run time, the inherited __init__

        def __init__(
            self,
            *args: FormData | Mapping[str, str | UploadFile] | list[tuple[str, str | UploadFile]],
            **kwargs: str | UploadFile,
        ) -> None: ...

    async def close(self) -> None:
        """Close every uploaded file of the form."""
        for _, value in self.multi_items():
            if isinstance(value, UploadFile):
                await value.close()


def _lookup_key(key: str) -> bytes | None:
    try:
        return key.lower().encode("latin-1")
    except UnicodeEncodeError:
        return None  # no header of a latin-1 list can have this name


class Headers(Mapping[str, str]):
    """Case-insensitive, immutable HTTP headers kept as the raw ASGI `(name, value)` byte pairs."""

    __slots__ = ("_list",)

    _list: list[tuple[bytes, bytes]]

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        raw: list[tuple[bytes, bytes]] | None = None,
        scope: MutableMapping[str, Any] | None = None,
    ) -> None:
        if headers is not None:
            assert raw is None, 'Cannot set both "headers" and "raw".'
            assert scope is None, 'Cannot set both "headers" and "scope".'
            self._list = []
            for key, value in headers.items():
                check_header_name(key)
                check_header_value(value)
                self._list.append((key.lower().encode("latin-1"), value.encode("latin-1")))
        elif raw is not None:
            assert scope is None, 'Cannot set both "raw" and "scope".'
            self._list = raw
        elif scope is not None:
            # Share the scope's own list: no copy, no decoding until a header is asked for, and
            # MutableHeaders(scope=message) edits the message in place. Servers may give a tuple,
            # and a message may have no headers at all.
            scope_headers = scope.get("headers")
            if not isinstance(scope_headers, list):
                scope_headers = scope["headers"] = list(scope_headers or ())
            self._list = scope_headers
        else:
            self._list = []

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return self._list

    def keys(self) -> list[str]:  # type: ignore[override]
        return [key.decode("latin-1") for key, _ in self._list]

    def values(self) -> list[str]:  # type: ignore[override]
        return [value.decode("latin-1") for _, value in self._list]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(key.decode("latin-1"), value.decode("latin-1")) for key, value in self._list]

    def getlist(self, key: str) -> list[str]:
        """Every value of header `key`, in order."""
        lookup = _lookup_key(key)
        return [value.decode("latin-1") for item_key, value in self._list if item_key == lookup]

    def mutablecopy(self) -> MutableHeaders:
        return MutableHeaders(raw=self._list[:])

    def __getitem__(self, key: str) -> str:
        lookup = _lookup_key(key)
        for item_key, value in self._list:
            if item_key == lookup:
                return value.decode("latin-1")
        raise KeyError(key)

    @overload
    def get(self, key: str) -> str | None: ...

    @overload
    def get(self, key: str, default: str | _T) -> str | _T: ...

    def get(self, key: str, default: Any = None) -> Any:
        """The first value of header `key`, or `default` (a miss raises and catches nothing)."""
        lookup = _lookup_key(key)
        for item_key, value in self._list:
            if item_key == lookup:
                return value.decode("latin-1")
        return default

    def __contains__(self, key: Any) -> bool:
        if not isinstance(key, str):
            return False
        lookup = _lookup_key(key)
        return any(item_key == lookup for item_key, _ in self._list)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: Any) -> bool:
        if not isinstance(other, Headers):
            return False
        return _same_multi_items(self._list, other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        class_name = self.__class__.__name__
        as_dict = dict(self.items())
        if len(as_dict) == len(self):
            return f"{class_name}({as_dict!r})"
        return f"{class_name}(raw={self.raw!r})"


class MutableHeaders(Headers):
    """Headers that can be changed; values containing CR, LF or NUL are refused."""

    __slots__ = ()

    def __setitem__(self, key: str, value: str) -> None:
        """Set `key` to the single value `value`, in place of its first occurrence."""
        check_header_name(key)
        check_header_value(value)
        set_key = key.lower().encode("latin-1")
        set_value = value.encode("latin-1")
        found = False
        new_list: list[tuple[bytes, bytes]] = []
        for item in self._list:
            if item[0] != set_key:
                new_list.append(item)
            elif not found:
                new_list.append((set_key, set_value))
                found = True
        if not found:
            new_list.append((set_key, set_value))
        # In place: the list may be the one inside an ASGI message.
        self._list[:] = new_list

    def __delitem__(self, key: str) -> None:
        """Remove every value of `key` (absent keys are ignored)."""
        lookup = _lookup_key(key)
        self._list[:] = [item for item in self._list if item[0] != lookup]

    def __ior__(self, other: Mapping[str, str]) -> MutableHeaders:
        if not isinstance(other, Mapping):
            raise TypeError(f"Expected a mapping but got {other.__class__.__name__}")
        self.update(other)
        return self

    def __or__(self, other: Mapping[str, str]) -> MutableHeaders:
        if not isinstance(other, Mapping):
            raise TypeError(f"Expected a mapping but got {other.__class__.__name__}")
        new = self.mutablecopy()
        new.update(other)
        return new

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return self._list

    def setdefault(self, key: str, value: str) -> str:
        """The first value of `key`; set it to `value` first if absent."""
        lookup = _lookup_key(key)
        for item_key, item_value in self._list:
            if item_key == lookup:
                return item_value.decode("latin-1")
        self.append(key, value)
        return value

    def update(self, other: Mapping[str, str]) -> None:
        for key, value in other.items():
            self[key] = value

    def append(self, key: str, value: str) -> None:
        """Add a value for `key`, keeping the existing ones."""
        check_header_name(key)
        check_header_value(value)
        self._list.append((key.lower().encode("latin-1"), value.encode("latin-1")))

    def add_vary_header(self, vary: str) -> None:
        """Add the names in `vary` to the `Vary` header, keeping every existing one once."""
        if (
            vary
            and "," not in vary
            and vary.strip() == vary
            and not any(key == b"vary" for key, _ in self._list)
        ):
            # The usual case, one name and no `Vary` yet: what the general path below appends.
            check_header_value(vary)
            self._list.append((b"vary", vary.encode("latin-1")))
            return
        names: list[str] = []
        seen: set[str] = set()
        for value in [*self.getlist("vary"), vary]:
            for name in value.split(","):
                name = name.strip()
                if name and name.lower() not in seen:
                    seen.add(name.lower())
                    names.append(name)
        self["vary"] = ", ".join(names)


class State:
    """Arbitrary state, read and written as attributes (`state.db`) or items (`state["db"]`)."""

    _state: dict[str, Any]

    def __init__(self, state: dict[str, Any] | None = None):
        if state is None:
            state = {}
        super().__setattr__("_state", state)

    def __setattr__(self, key: Any, value: Any) -> None:
        self._state[key] = value

    def __getattr__(self, key: Any) -> Any:
        try:
            # Through __dict__: a half-built instance (copy, pickle) must not recurse here.
            return self.__dict__["_state"][key]
        except KeyError:
            message = f"'{self.__class__.__name__}' object has no attribute '{key}'"
            raise AttributeError(message) from None

    def __delattr__(self, key: Any) -> None:
        try:
            del self._state[key]
        except KeyError:
            message = f"'{self.__class__.__name__}' object has no attribute '{key}'"
            raise AttributeError(message) from None

    def __getitem__(self, key: str) -> Any:
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        del self._state[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._state

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._state!r})"
