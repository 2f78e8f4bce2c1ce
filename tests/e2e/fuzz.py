"""Machinery of the API fuzz test: the app's routes as the host serves them, requests built from a
baseline with one hostile input, answers checked, and the app's storage compared before and after.

Routes come from the devhost's `GET /admin/functions`, the functions the Python worker indexed from
`function_app.py`, so a route added to the app is fuzzed without anyone listing it. The query
parameters a route reads are read from the source of the trigger module that defines it (the route
table does not declare them): every `*_param(req, NAME)`, `params.get(NAME)` and `page_params(req)`.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableServiceClient

import triggers
from local.devhost.testing import DevhostProcess
from shared.http.request import CONTINUATION_PARAM, PAGE_SIZE_PARAM
from shared.storage import StorageAccount, names
from tests.e2e.fuzz_corpus import Hostile, Raw

_TEMPLATE_PARAM = re.compile(r"\{\*?(\w+)(?::[^}]*)?\??\}")
_NAMED_PARAM = re.compile(r"\w*_param\(\s*req,\s*(?:\"(\w+)\"|([A-Z][A-Z0-9_]*))")
_PARAMS_GET = re.compile(r"\.params\.get\(\s*\"(\w+)\"")
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\w+Error: ")
_PROBLEM_CODE = re.compile(r"[a-z][a-z_]*(\.[a-z][a-z_]*)+")
UNKNOWN_QUERY_NAME = "fuzz"
"""A query parameter no route reads: every route must ignore or refuse it, never fail on it."""


@dataclass(frozen=True)
class Route:
    """One HTTP function of the app: its name, methods, URL template and the query names it reads."""

    function: str
    methods: tuple[str, ...]
    path: str
    """The route as function_app.py declares it, e.g. `api/tenants/{tenantId}/runs`."""
    template: str
    """The URL the host serves it at, `invoke_url_template`."""
    query_names: tuple[str, ...]

    @property
    def params(self) -> list[str]:
        return [match.group(1) for match in _TEMPLATE_PARAM.finditer(self.path)]

    def url(self, values: Mapping[str, Hostile]) -> str:
        return _TEMPLATE_PARAM.sub(lambda match: encode(values[match.group(1)]), self.template)

    def __str__(self) -> str:
        return f"{'|'.join(self.methods)} {self.path}"


def routes_of(devhost: DevhostProcess) -> list[Route]:
    """Every HTTP function the worker indexed, from the host's admin API."""
    answer = requests.get(
        devhost.url("admin/functions"), headers={"x-functions-key": devhost.keys.master}, timeout=30
    )
    answer.raise_for_status()
    routes = []
    for function in answer.json():
        trigger = next((b for b in function["config"]["bindings"] if b["type"] == "httpTrigger"), None)
        if trigger is None:
            continue
        methods = tuple(sorted(m.upper() for m in trigger.get("methods") or ["GET", "POST"]))
        template = function["invoke_url_template"]
        path = trigger["route"]
        in_path = {match.group(1) for match in _TEMPLATE_PARAM.finditer(path)}
        query_names = tuple(n for n in query_names_read_by(function["name"]) if n not in in_path)
        routes.append(Route(function["name"], methods, path, template, query_names))
    return routes


def query_names_read_by(function_name: str) -> tuple[str, ...]:
    """The query names a function of triggers/ reads: in its own source and in the module's functions
    it calls (`_policy_params`, `_version_param`, ...), which is where the handlers read them."""
    for info in pkgutil.iter_modules(triggers.__path__):
        module = importlib.import_module(f"triggers.{info.name}")
        source = inspect.getsource(module)
        defined = {
            node.name: node
            for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if function_name in defined:
            reached = _reached(defined, function_name)
            text = "\n".join(ast.get_source_segment(source, node) or "" for node in reached)
            return tuple(sorted(_names_in(text, module)))
    raise LookupError(f"no module of triggers/ defines {function_name}")


def _reached(defined: Mapping[str, ast.AST], start: str) -> list[ast.AST]:
    """`start` and the module functions it calls, directly or through each other."""
    seen, pending = {start}, [start]
    while pending:
        for node in ast.walk(defined[pending.pop()]):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                callee = node.func.id
                if callee in defined and callee not in seen:
                    seen.add(callee)
                    pending.append(callee)
    return [defined[name] for name in sorted(seen)]


def _names_in(text: str, module: Any) -> set[str]:
    found = set(_PARAMS_GET.findall(text))
    for literal, constant in _NAMED_PARAM.findall(text):
        value = literal or getattr(module, constant, None)
        if isinstance(value, str):
            found.add(value)
    if "page_params(req)" in text:
        found |= {PAGE_SIZE_PARAM, CONTINUATION_PARAM}
    return found


def encode(value: Hostile) -> str:
    """A value as it goes into a URL: percent-encoded UTF-8 (bytes as they are), or `Raw` unchanged."""
    if isinstance(value, Raw):
        return value.text
    return quote(value, safe="")


@dataclass(frozen=True)
class Case:
    """One request: the route's baseline with one kind of input made hostile."""

    route: Route
    method: str
    kind: str
    label: str
    path: Mapping[str, Hostile]
    query: tuple[tuple[str, Hostile], ...] = ()
    headers: Mapping[str, str | bytes] = field(default_factory=dict)
    body: bytes | None = None
    expect: tuple[int, str | None] | None = None
    """The status (and problem code) this case must get, for the cases the issue tracker recorded."""

    def url(self) -> str:
        query = "&".join(f"{quote(name, safe='')}={encode(value)}" for name, value in self.query)
        return self.route.url(self.path) + (f"?{query}" if query else "")

    def __str__(self) -> str:
        return f"{self.method} {self.route.path} [{self.kind}] {self.label}"


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    text: str

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    def problem_code(self) -> str | None:
        if not self.content_type.startswith("application/problem+json"):
            return None
        try:
            code = json.loads(self.text).get("code")
        except (ValueError, AttributeError):
            return None
        return code if isinstance(code, str) else None


_sessions = threading.local()


def send(case: Case) -> Answer:
    session: requests.Session | None = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
    headers = dict(case.headers)
    answer = session.request(case.method, case.url(), headers=headers, data=case.body, timeout=120)
    return Answer(answer.status_code, answer.headers.get("Content-Type", ""), answer.text)


def send_all(cases: Iterable[Case], workers: int = 4) -> list[tuple[Case, Answer]]:
    listed = list(cases)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(zip(listed, pool.map(send, listed), strict=True))


def faults(case: Case, answer: Answer) -> list[str]:
    """What is wrong with an answer: a 5xx, a stack trace, a 4xx that is no problem with a stable code
    (the host's own refusals excepted), or a status other than the case expects."""
    found = []
    if answer.status >= 500:
        found.append(f"{answer.status}")
    if _TRACEBACK.search(answer.text):
        found.append("a stack trace in the answer")
    code = answer.problem_code()
    if 400 <= answer.status < 500 and code is None and not _host_refusal(answer):
        found.append(f"{answer.status} without a problem code: {answer.content_type!r} {answer.text[:80]!r}")
    if code is not None and not _PROBLEM_CODE.fullmatch(code):
        found.append(f"problem code {code!r} is not of the form area.name")
    if case.expect is not None:
        status, expected_code = case.expect
        if answer.status != status or (expected_code is not None and code != expected_code):
            found.append(f"expected {status} {expected_code or ''}, got {answer.status} {code}")
    return found


def _host_refusal(answer: Answer) -> bool:
    """The devhost's empty 404 (no route matched), aiohttp's own 404 (a path its router cannot take)
    and 400 (a request it cannot parse): the app never answers text/plain."""
    if answer.status == 404 and answer.text == "":
        return True
    return answer.status in (400, 404) and answer.content_type.startswith("text/plain")


StorageState = dict[str, dict[str, str]]


def storage_state(storage: StorageAccount, connection_string: str, hub_name: str) -> StorageState:
    """Every row (key -> ETag; audit rows also their action) of every table and every blob of every
    container the app names in `shared.storage.names`, and the durable hub's instance table."""
    state: StorageState = {}
    for constant, name in vars(names).items():
        if not constant.isupper() or not isinstance(name, str):
            continue
        if constant.endswith("_CONTAINER"):
            container = storage.container(name)
            state[f"blob:{name}"] = {blob.name: str(blob.etag) for blob in container.list_blobs()}
            continue
        rows = storage.table(name).list_entities()
        state[f"table:{name}"] = {
            f"{row['PartitionKey']}|{row['RowKey']}": f"{row.metadata['etag']}|{row.get('Action', '')}"
            for row in rows
        }
    with TableServiceClient.from_connection_string(connection_string) as service:
        try:
            instances = service.get_table_client(f"{hub_name}Instances").list_entities()
            state["hub:instances"] = {
                f"{row['PartitionKey']}|{row['RowKey']}": str(row.metadata["etag"]) for row in instances
            }
        except ResourceNotFoundError:
            state["hub:instances"] = {}
    return state


def changes(before: StorageState, after: StorageState) -> list[str]:
    """Rows and blobs that appeared, changed or went, but for audited refusals (`auth.denied` rows)."""
    found = []
    for where in sorted(set(before) | set(after)):
        old, new = before.get(where, {}), after.get(where, {})
        for key in sorted(set(old) | set(new)):
            if old.get(key) == new.get(key):
                continue
            if where == "table:audit" and key not in old and new[key].endswith("|auth.denied"):
                continue
            state = "added" if key not in old else "removed" if key not in new else "changed"
            found.append(f"{where} {key} {state} ({new.get(key, old.get(key))})")
    return found


def wait_until_quiet(
    read: Callable[[], StorageState], busy: Callable[[], bool], settle: float = 2.0, timeout: float = 120.0
) -> StorageState:
    """The storage state once no run is active and it stops changing (the runs that accepted requests
    started have ended, and so has what they write after: notifications, audit events)."""
    deadline = time.monotonic() + timeout
    state = read()
    while True:
        time.sleep(settle)
        again = read()
        if again == state and not busy():
            return again
        if time.monotonic() > deadline:
            raise TimeoutError(f"storage still changing after {timeout}s: {changes(state, again)[:5]}")
        state = again
