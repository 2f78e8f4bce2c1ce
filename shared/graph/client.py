"""The Graph client production uses: tokens, bounded retries, paging, `$batch` and read-only mode.

One client per (app, tenant, call site) is cheap: tokens and connections live in the worker's
shared `TokenProvider`. Each public call has its own retry budget (`RetryPolicy.max_total_wait`);
a wait that does not fit is raised as `GraphThrottled` for an orchestrator to sit out.
"""

from __future__ import annotations

import logging
import random as _random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from shared.graph.auth import TokenProvider, shared_token_provider
from shared.graph.batch import (
    BatchRequest,
    BatchResponse,
    chunked,
    longest_retry_after,
    match_responses,
    to_resend,
)
from shared.graph.config import GraphClientConfig
from shared.graph.errors import (
    GraphError,
    GraphThrottled,
    GraphUnavailable,
    GraphWriteOutcomeUnknown,
    ReadOnlyViolation,
    error_from_response,
)
from shared.graph.pacing import RequestPacer, ReservationTooLate, shared_pacer
from shared.graph.retry import RETRYABLE_STATUSES, RetryClock, may_resend, parse_retry_after
from shared.redact import redact

logger = logging.getLogger(__name__)

READ_BATCHES_AT_ONCE = 4
"""`$batch` calls of one `batch()` sent side by side when every request is a GET: a capture's follow-up
round (the presentation values of a tenant's ADMX policies, 119 GETs for 17 policies in the bench)
went as six calls one after the other, the slowest part of a one-tenant backup. Writes stay in
order, one call after the other (a restore's later batch may need an earlier one's objects). The
calls share the call's retry budget, and each books its requests with the pacer as before."""

Params = Mapping[str, str | int]


class GraphClient:
    """Microsoft Graph for one app in one tenant. `sleep` and `random` are injectable for tests.

    `pacer` is the budget requests are paced against: by default the process's pacer of this app
    and tenant (`shared.graph.pacing`); the app's clients get the budget all instances share
    (`shared.graph.budget`, through `shared.graph.tenant_clients`).
    """

    def __init__(
        self,
        config: GraphClientConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        token_provider: TokenProvider | None = None,
        pacer: RequestPacer | None = None,
    ) -> None:
        self.config = config
        self._tokens = token_provider or shared_token_provider(config)
        self._pacer: RequestPacer = pacer or shared_pacer(
            config.graph_base_url, config.tenant_id, config.client_id, config.pacing
        )
        self._sleep = sleep
        self._random = random

    def get(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        version: str = "beta",
    ) -> Any:
        """GET one resource; `path` is relative to the version (`/deviceManagement/...`)."""
        return _body(self._send("GET", self._url(version, path), params=params, headers=headers))

    def get_all(
        self,
        path: str,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        version: str = "beta",
    ) -> list[Any]:
        """Every item of a collection, following `@odata.nextLink` exactly as Graph gives it."""
        clock = self._clock()
        url: str | None = self._url(version, path)
        items: list[Any] = []
        while url is not None:
            page = _body(self._send("GET", url, params=params, headers=headers, clock=clock))
            if not isinstance(page, Mapping) or not isinstance(page.get("value"), list):
                raise GraphError(
                    "The answer is not a collection page (no 'value' list).",
                    method="GET",
                    path=urlsplit(url).path,
                )
            items.extend(page["value"])
            next_link = page.get("@odata.nextLink")
            url = self._checked_next_link(next_link) if next_link else None
            params = None
        return items

    def post(
        self, path: str, body: Any = None, *, headers: Mapping[str, str] | None = None, version: str = "beta"
    ) -> Any:
        return self._write("POST", path, body, headers, version)

    def patch(
        self, path: str, body: Any, *, headers: Mapping[str, str] | None = None, version: str = "beta"
    ) -> Any:
        return self._write("PATCH", path, body, headers, version)

    def put(
        self, path: str, body: Any, *, headers: Mapping[str, str] | None = None, version: str = "beta"
    ) -> Any:
        return self._write("PUT", path, body, headers, version)

    def delete(self, path: str, *, headers: Mapping[str, str] | None = None, version: str = "beta") -> None:
        self._write("DELETE", path, None, headers, version)

    def batch(self, requests: Sequence[BatchRequest], *, version: str = "beta") -> list[BatchResponse]:
        """Answers in the order of `requests`, sent as `$batch` calls of 20.

        Inner failures are answers, not exceptions: a 429/503 among them is one that stayed
        throttled through this call's budget (its `retry_after` says how long to wait).
        """
        if self.config.read_only:
            writes = [request for request in requests if request.method.upper() != "GET"]
            if writes:
                raise ReadOnlyViolation(
                    f"This Graph client is read-only; $batch request '{writes[0].id}' is a "
                    f"{writes[0].method.upper()}. Nothing was sent.",
                    method=writes[0].method.upper(),
                    path=writes[0].url,
                )
        clock = self._clock()
        answers: dict[str, BatchResponse] = {}
        chunks = chunked(requests)
        if len(chunks) > 1 and all(request.method.upper() == "GET" for request in requests):
            with ThreadPoolExecutor(max_workers=min(READ_BATCHES_AT_ONCE, len(chunks))) as pool:
                for found in pool.map(lambda chunk: self._send_batch(chunk, version, clock), chunks):
                    answers.update(found)
        else:
            for chunk in chunks:
                answers.update(self._send_batch(chunk, version, clock))
        return [answers[request.id] for request in requests]

    def _send_batch(
        self, chunk: list[BatchRequest], version: str, clock: RetryClock
    ) -> dict[str, BatchResponse]:
        """One chunk, resending only the inner requests that were throttled, until done or out of budget."""
        url = self._url(version, "/$batch")
        idempotent = all(request.method.upper() == "GET" for request in chunk)
        answers: dict[str, BatchResponse] = {}
        pending = chunk
        attempt = 0
        while True:
            completed = frozenset(answers) - {request.id for request in pending}
            payload = {"requests": [request.to_json(completed) for request in pending]}
            response = self._send(
                "POST",
                url,
                body=payload,
                idempotent=idempotent,
                clock=clock,
                cost=len(pending),
                write=not idempotent,
            )
            answers.update(match_responses(pending, _body(response)))
            pending = to_resend(pending, answers)
            if not pending:
                return answers
            retry_after = longest_retry_after(answers[request.id] for request in pending)
            if any(answers[request.id].status == 429 for request in pending):
                self._pacer.throttled(retry_after or 0.0, write=not idempotent)
            delay = clock.next_delay(attempt, retry_after)
            if delay is None:
                return _with_suggested_waits(answers, pending, clock.suggested_wait(attempt, None))
            logger.info(
                "Graph $batch: %d of %d inner requests throttled; resending them in %.2f s",
                len(pending),
                len(chunk),
                delay,
            )
            clock.sleep(delay)
            attempt += 1

    def _write(
        self, method: str, path: str, body: Any, headers: Mapping[str, str] | None, version: str
    ) -> Any:
        if self.config.read_only:
            raise ReadOnlyViolation(
                f"This Graph client is read-only (restore preview); {method} {path} was not sent.",
                method=method,
                path=path,
            )
        return _body(self._send(method, self._url(version, path), body=body, headers=headers))

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Params | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        clock: RetryClock | None = None,
        cost: int = 1,
        write: bool | None = None,
    ) -> requests.Response:
        """One logical request: token, send, refresh an expired token once, retry what may be retried.

        `cost` is how many requests Graph counts (the inner requests of a `$batch`); each attempt
        first waits for that many slots of the pacer.
        """
        clock = clock or self._clock()
        idempotent = method == "GET" if idempotent is None else idempotent
        write = method != "GET" if write is None else write
        path = urlsplit(url).path
        client_request_id = str(uuid.uuid4())
        refreshed = False
        attempt = 0
        while True:
            self._pace(cost, write=write, method=method, path=path)
            token = self._acquire_token(clock)
            try:
                response = self._tokens.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    allow_redirects=False,
                    headers={
                        **(headers or {}),
                        "Authorization": f"Bearer {token}",
                        "client-request-id": client_request_id,
                        "Accept": "application/json",
                    },
                )
            except requests.RequestException as exc:
                sent = not _never_sent(exc)
                if sent and not idempotent:
                    raise GraphWriteOutcomeUnknown(
                        f"The connection failed before Graph answered; the {method} may or may not have "
                        f"been applied. Read the target before sending it again. ({type(exc).__name__})",
                        method=method,
                        path=path,
                        client_request_id=client_request_id,
                    ) from exc
                if not self._pause(clock, attempt, None, f"{method} {path}: {type(exc).__name__}"):
                    raise GraphUnavailable(
                        f"Graph could not be reached: {exc}",
                        code=type(exc).__name__,
                        retry_after=clock.suggested_wait(attempt, None),
                        method=method,
                        path=path,
                        client_request_id=client_request_id,
                    ) from exc
                attempt += 1
                continue
            if response.status_code == 401 and not refreshed and _expired_token(response):
                self._tokens.invalidate(token)
                refreshed = True
                continue
            if response.status_code in RETRYABLE_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if response.status_code == 429:
                    self._pacer.throttled(retry_after or 0.0, write=write)
                if not may_resend(response.status_code, idempotent=idempotent):
                    raise GraphWriteOutcomeUnknown(
                        f"Graph answered {response.status_code} to a {method}; it may or may not have been "
                        "applied. Read the target before sending it again.",
                        status=response.status_code,
                        method=method,
                        path=path,
                        request_id=response.headers.get("request-id"),
                        client_request_id=client_request_id,
                    )
                if self._pause(clock, attempt, retry_after, f"{method} {path}: {response.status_code}"):
                    attempt += 1
                    continue
                raise error_from_response(
                    response.status_code,
                    _body(response),
                    response.headers,
                    method=method,
                    path=path,
                    retry_after=clock.suggested_wait(attempt, retry_after),
                )
            if not response.ok:
                raise error_from_response(
                    response.status_code, _body(response), response.headers, method=method, path=path
                )
            return response

    def _pace(self, cost: int, *, write: bool, method: str, path: str) -> None:
        """Wait for the pacer's slots; a wait beyond the call's budget is raised as GraphThrottled.

        Its `retry_after` is when a booking could next succeed (the wait less what a call may wait),
        not when the slot would start: nothing is booked for a refused call, so a caller coming back
        at the slot's start would find it taken and the windows before it unused.
        """
        max_wait = self.config.retry.max_total_wait
        try:
            wait = self._pacer.reserve(cost, write=write, max_wait=max_wait)
        except ReservationTooLate as exc:
            raise GraphThrottled(
                f"Our own pacing of this tenant's Graph budget asks for a {exc.wait:.1f} s wait.",
                retry_after=max(1.0, exc.wait - max_wait),
                status=429,
                code="ClientPacing",
                method=method,
                path=path,
            ) from exc
        if wait > 0:
            self._sleep(wait)

    def _acquire_token(self, clock: RetryClock) -> str:
        """A token, retrying an unreachable or unavailable token endpoint within the call's budget."""
        attempt = 0
        while True:
            try:
                return self._tokens.access_token()
            except (GraphUnavailable, requests.RequestException) as exc:
                hint = (exc.retry_after or None) if isinstance(exc, GraphUnavailable) else None
                if self._pause(clock, attempt, hint, f"token request failed ({type(exc).__name__})"):
                    attempt += 1
                    continue
                if isinstance(exc, GraphUnavailable):
                    raise
                raise GraphUnavailable(
                    f"The token endpoint could not be reached: {exc}",
                    code=type(exc).__name__,
                    retry_after=clock.suggested_wait(attempt, None),
                ) from exc

    def _pause(self, clock: RetryClock, attempt: int, retry_after: float | None, why: str) -> bool:
        """Sleep before the next attempt if the budget allows; False means give up now."""
        delay = clock.next_delay(attempt, retry_after)
        if delay is None:
            return False
        logger.info(redact(f"Graph {why}; retry {attempt + 1} in {delay:.2f} s"))
        clock.sleep(delay)
        return True

    def _clock(self) -> RetryClock:
        return RetryClock(self.config.retry, self._sleep, self._random)

    def _url(self, version: str, path: str) -> str:
        if not path.startswith("/"):
            raise ValueError(f"Graph paths start with '/' and are relative to the version, got {path!r}.")
        return f"{self.config.graph_base_url.rstrip('/')}/{version}{path}"

    def _checked_next_link(self, next_link: Any) -> str:
        """A nextLink is followed as given, but only to our Graph host: it carries our token."""
        base = self.config.graph_base_url.rstrip("/") + "/"
        if not isinstance(next_link, str) or not next_link.startswith(base):
            raise GraphError(
                f"Refusing to follow an @odata.nextLink outside {base}: {next_link!r}",
                method="GET",
                path="@odata.nextLink",
            )
        return next_link


def _with_suggested_waits(
    answers: dict[str, BatchResponse], still_throttled: list[BatchRequest], fallback: float
) -> dict[str, BatchResponse]:
    """Give every answer left throttled a wait for the caller, Graph's own or the backoff ceiling."""
    for request in still_throttled:
        answer = answers[request.id]
        if answer.retry_after is None:
            answers[request.id] = replace(answer, retry_after=fallback)
    return answers


def _body(response: requests.Response) -> Any:
    """Parsed JSON, None for an empty answer (204), the text for anything else."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _expired_token(response: requests.Response) -> bool:
    body = _body(response)
    error = body.get("error") if isinstance(body, Mapping) else None
    return isinstance(error, Mapping) and error.get("code") == "InvalidAuthenticationToken"


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection was never made, so not a byte of the request reached Graph."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, NewConnectionError)
