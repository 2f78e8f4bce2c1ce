"""The console's files as the Function App serves them (docs/console.md#serving).

The console is built into `console/dist/` (`make setup`): `index.html` and content-hashed files under
`assets/`. Every path the console routes to (a deep link such as `/tenants/{t}/runs/{r}`) answers
`index.html`, revalidated on every load (`no-cache` with an ETag), so a deployment is seen at once;
a hashed asset never changes under its name, so it is cached for a year as `immutable`. Paths under
`api/` are the API's: one that no API route took is a problem+json 404, never the console's page.

The files are read once per worker into memory (with a gzip copy), so a request never touches the
file system and no path a caller sends can name a file outside the build.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from shared.http.problems import ProblemError

CONSOLE_DIST = Path(__file__).resolve().parents[1] / "console" / "dist"
INDEX = "index.html"
ASSETS_PREFIX = "assets/"
API_PREFIX = "api"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_COMPRESSIBLE = (".html", ".js", ".css", ".json", ".svg", ".map", ".txt")
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html",
          ".json": "application/json", ".map": "application/json", ".svg": "image/svg+xml",
          ".ico": "image/x-icon", ".png": "image/png", ".woff2": "font/woff2", ".txt": "text/plain"}


class ConsoleNotBuilt(ProblemError):
    status = 503
    code = "console.not_built"
    title = "The console is not built."


class NoSuchRoute(ProblemError):
    status = 404
    code = "route.not_found"
    title = "No API route answers this path and method."


class NoSuchFile(ProblemError):
    status = 404
    code = "console.file_not_found"
    title = "The console has no such file."


@dataclass(frozen=True)
class ConsoleFile:
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str


@dataclass(frozen=True)
class ConsoleAnswer:
    status: int
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class ConsoleFiles:
    """The built console, by path relative to the build folder (`index.html`, `assets/main-XYZ.js`)."""

    files: Mapping[str, ConsoleFile] = field(default_factory=dict)

    @classmethod
    def load(cls, root: Path = CONSOLE_DIST) -> ConsoleFiles:
        if not (root / INDEX).is_file():
            raise ConsoleNotBuilt(f"{root / INDEX} is missing: build the console with `make setup`.")
        return cls({path.relative_to(root).as_posix(): _read(path) for path in sorted(root.rglob("*"))
                    if path.is_file()})

    def answer(self, path: str, *, accepts_gzip: bool, if_none_match: str | None = None,
               extra_headers: Mapping[str, str] | None = None) -> ConsoleAnswer:
        """The answer to `GET /{path}` (path without its leading slash or query)."""
        path = path.strip("/")
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            raise NoSuchRoute(f"No API route answers /{path} with this method (README.md lists them).")
        if path.startswith(ASSETS_PREFIX) or _looks_like_a_file(path):
            found = self.files.get(path)
            if found is None or path == INDEX:
                raise NoSuchFile(f"/{path} is not a file of this console build.")
            return _file_answer(found, IMMUTABLE if path.startswith(ASSETS_PREFIX) else REVALIDATE,
                                accepts_gzip, if_none_match, {})
        return _file_answer(self.files[INDEX], REVALIDATE, accepts_gzip, if_none_match, extra_headers or {})


def request_path(url: str) -> str:
    """The path of a request URL without its leading slash."""
    return urlsplit(url).path.lstrip("/")


def content_security_policy(authority: str | None) -> str:
    """Scripts and styles from the console's own origin only; the sign-in authority may be reached by
    MSAL (token requests and its hidden renewal frame)."""
    login = ""
    if authority:
        parts = urlsplit(authority)
        login = f" {parts.scheme}://{parts.netloc}"
    return (f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'{login}; frame-src 'self'{login}; frame-ancestors 'none'; "
            f"base-uri 'none'; form-action 'none'; object-src 'none'")


def _looks_like_a_file(path: str) -> bool:
    """A last segment with an extension is a file request (`favicon.ico`), not a page of the console."""
    return "." in path.rsplit("/", 1)[-1]


def _read(path: Path) -> ConsoleFile:
    body = path.read_bytes()
    suffix = path.suffix.lower()
    content_type = _TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type in ("application/json", "image/svg+xml"):
        content_type += "; charset=utf-8"
    gzipped = gzip.compress(body, compresslevel=9, mtime=0) if suffix in _COMPRESSIBLE else None
    if gzipped is not None and len(gzipped) >= len(body):
        gzipped = None
    return ConsoleFile(body, gzipped, content_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _file_answer(found: ConsoleFile, cache: str, accepts_gzip: bool, if_none_match: str | None,
                 extra: Mapping[str, str]) -> ConsoleAnswer:
    headers = {"Cache-Control": cache, "ETag": found.etag, "Content-Type": found.content_type,
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", **extra}
    if found.gzipped is not None:
        headers["Vary"] = "Accept-Encoding"
    if if_none_match is not None and found.etag in (tag.strip() for tag in if_none_match.split(",")):
        return ConsoleAnswer(304, headers)
    if found.gzipped is not None and accepts_gzip:
        return ConsoleAnswer(200, {**headers, "Content-Encoding": "gzip"}, found.gzipped)
    return ConsoleAnswer(200, headers, found.body)
