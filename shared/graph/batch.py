"""JSON `$batch`: up to 20 Graph requests in one round trip, answered in any order.

Pure helpers here (chunking, payloads, matching answers by ID, choosing what to resend);
the client does the sending. Each inner request succeeds, fails or is throttled on its own,
so only the inner requests that were throttled (or that depended on one) are sent again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.graph.errors import GraphError, error_from_response
from shared.graph.retry import may_resend, parse_retry_after

MAX_BATCH_SIZE = 20
FAILED_DEPENDENCY = 424


@dataclass(frozen=True)
class BatchRequest:
    """One inner request; `url` is relative to the API version, e.g. `/deviceManagement/...`."""

    id: str
    method: str
    url: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()

    def to_json(self, completed: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The wire form; dependencies already completed in an earlier round are left out."""
        item: dict[str, Any] = {"id": self.id, "method": self.method.upper(), "url": self.url}
        headers = dict(self.headers)
        if self.body is not None:
            item["body"] = self.body
            if not any(key.lower() == "content-type" for key in headers):
                headers["Content-Type"] = "application/json"
        if headers:
            item["headers"] = headers
        pending = [dependency for dependency in self.depends_on if dependency not in completed]
        if pending:
            item["dependsOn"] = pending
        return item


@dataclass(frozen=True)
class BatchResponse:
    """One inner answer. A 429/503 here stayed throttled through the retries the call's budget allowed."""

    id: str
    status: int
    headers: Mapping[str, str]
    body: Any
    method: str
    url: str
    retry_after: float | None = None
    """For a 429/503/504: Graph's Retry-After, else the wait the client suggests after giving up."""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self) -> GraphError:
        """The typed error of a failed answer (GraphThrottled for a 429, GraphNotFound for a 404, ...)."""
        return error_from_response(
            self.status,
            self.body,
            self.headers,
            method=self.method,
            path=self.url,
            retry_after=self.retry_after,
        )

    def json(self) -> Any:
        """The body of a successful answer; raises the typed error otherwise."""
        if not self.ok:
            raise self.error()
        return self.body


def chunked(requests: Sequence[BatchRequest], size: int = MAX_BATCH_SIZE) -> list[list[BatchRequest]]:
    """Split into batches of at most `size`; a dependency must sit in the same batch as its dependent."""
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValueError(f"A batch holds 1 to {MAX_BATCH_SIZE} requests, not {size}.")
    ids = [request.id for request in requests]
    if len(set(ids)) != len(ids):
        raise ValueError("Batch request IDs must be unique: give each inner request its own id.")
    chunks = [list(requests[start : start + size]) for start in range(0, len(requests), size)]
    for chunk in chunks:
        in_chunk = {request.id for request in chunk}
        for request in chunk:
            stray = [dependency for dependency in request.depends_on if dependency not in in_chunk]
            if stray:
                raise ValueError(
                    f"Request '{request.id}' depends on {stray}, which fall in another batch of {size}; "
                    "order the requests so each group of dependent requests fits one batch."
                )
    return chunks


def match_responses(sent: Iterable[BatchRequest], payload: Any) -> dict[str, BatchResponse]:
    """Pair each answer with its request by ID (Graph answers in any order); an answer missing is an error."""
    by_id = {request.id: request for request in sent}
    answers = payload.get("responses") if isinstance(payload, Mapping) else None
    if not isinstance(answers, list):
        raise GraphError("The $batch answer has no 'responses' list.", method="POST", path="/$batch")
    matched: dict[str, BatchResponse] = {}
    for answer in answers:
        request = by_id.get(str(answer.get("id"))) if isinstance(answer, Mapping) else None
        if request is None or not isinstance(answer.get("status"), int):
            continue
        headers = answer.get("headers") if isinstance(answer.get("headers"), Mapping) else {}
        lowered = {str(key).lower(): value for key, value in headers.items()}
        matched[request.id] = BatchResponse(
            id=request.id,
            status=answer["status"],
            headers=headers,
            body=answer.get("body"),
            method=request.method.upper(),
            url=request.url,
            retry_after=parse_retry_after(lowered.get("retry-after")),
        )
    missing = sorted(set(by_id) - set(matched))
    if missing:
        raise GraphError(
            f"The $batch answer has no response for request(s) {missing}.", method="POST", path="/$batch"
        )
    return matched


def to_resend(sent: Sequence[BatchRequest], answers: Mapping[str, BatchResponse]) -> list[BatchRequest]:
    """The throttled/unavailable ones, plus those that failed (424) only because one of those did.

    A write answered 504 is not among them: it may have been applied (see `may_resend`).
    """
    retry = {
        request.id
        for request in sent
        if may_resend(answers[request.id].status, idempotent=request.method.upper() == "GET")
    }
    changed = True
    while changed:
        changed = False
        for request in sent:
            if (
                request.id not in retry
                and answers[request.id].status == FAILED_DEPENDENCY
                and any(dependency in retry for dependency in request.depends_on)
            ):
                retry.add(request.id)
                changed = True
    return [request for request in sent if request.id in retry]


def longest_retry_after(answers: Iterable[BatchResponse]) -> float | None:
    """The wait that satisfies every throttled answer; None when none of them said how long."""
    hints = [answer.retry_after for answer in answers if answer.retry_after is not None]
    return max(hints) if hints else None
