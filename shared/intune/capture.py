"""Capture Intune objects with everything a later restore needs, in as few Graph round trips as
the facts allow, and hand back a payload whose hash changes only when the object does.

One engine serves one object (`capture_policy`: GraphNotFound and other Graph errors propagate)
and many (`capture_policies_batched`: every round's GETs packed into `$batch` calls of 20, each
object failing on its own). Both follow the per-type read plan of `reads.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.graph import BatchRequest, GraphClient, GraphError
from shared.intune import reads
from shared.intune.catalog import object_type
from shared.intune.model import ObjectType, Strategy
from shared.intune.normalize import normalize


@dataclass(frozen=True)
class CapturedPolicy:
    """One object as stored: `payload` is volatile-free and deterministic; secrets are never in it."""

    policy_type: str
    policy_id: str
    display_name: str
    payload: dict[str, Any]
    secrets_not_captured: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CaptureFailure:
    """An object of a batched capture that could not be read; `error` is already redacted."""

    policy_type: str
    policy_id: str
    error: GraphError

    @property
    def not_found(self) -> bool:
        return self.error.status == 404

    def to_dict(self) -> dict[str, Any]:
        return {"policyType": self.policy_type, "policyId": self.policy_id, "error": self.error.to_dict()}


@dataclass
class _Capture:
    """The reads and answers of one object in flight."""

    entry: ObjectType
    object_id: str
    answers: dict[str, Any]
    pending: list[reads.Read]
    error: GraphError | None = None
    done: bool = False


def capture_policy(client: GraphClient, policy_type: str, policy_id: str) -> CapturedPolicy:
    """Read one object in full. Raises `UnknownPolicyType`, or the client's typed error
    (`GraphNotFound` when the object was deleted, `GraphThrottled` when Graph asks us to wait)."""
    entry = object_type(policy_type)
    capture = _start(entry, policy_id, listed=None)
    _run(client, entry, [capture], single=True)
    if capture.error is not None:
        raise capture.error
    return _finish(capture)


def capture_policies_batched(
    client: GraphClient,
    policy_type: str,
    ids: Sequence[str],
    listed: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[CapturedPolicy | CaptureFailure]:
    """Capture many objects of one type, their GETs sent 20 per `$batch`; results in the order of `ids`.

    `listed` maps IDs to the objects a list call returned (with the type's list `$expand`): types
    whose list is complete then cost no further request at all.
    """
    entry = object_type(policy_type)
    captures = [_start(entry, object_id, (listed or {}).get(object_id)) for object_id in ids]
    _run(client, entry, captures, single=False)
    return [
        CaptureFailure(policy_type, capture.object_id, capture.error)
        if capture.error is not None
        else _finish(capture)
        for capture in captures
    ]


def _start(entry: ObjectType, object_id: str, listed: Mapping[str, Any] | None) -> _Capture:
    return _Capture(
        entry,
        object_id,
        answers=reads.seed_answers(entry, listed),
        pending=reads.first_reads(entry, object_id, listed),
    )


def _run(client: GraphClient, entry: ObjectType, captures: list[_Capture], *, single: bool) -> None:
    """Rounds of GETs until every capture is complete or failed; one round is one `$batch` call
    (or one plain GET when a single capture needs just one read)."""
    while True:
        for capture in captures:
            if not capture.pending and not capture.done and capture.error is None:
                _advance(capture)
        round_reads = [
            (capture, read) for capture in captures if capture.error is None for read in capture.pending
        ]
        if not round_reads:
            return
        for capture in captures:
            capture.pending = []
        for (capture, read), outcome in zip(
            round_reads, _send(client, entry, [read for _, read in round_reads], single), strict=True
        ):
            if isinstance(outcome, GraphError):
                if single:
                    raise outcome
                capture.error = capture.error or outcome
            elif capture.error is None:
                _store(client, capture, read, outcome)


def _advance(capture: _Capture) -> None:
    try:
        capture.pending = reads.next_reads(capture.entry, capture.object_id, capture.answers)
    except GraphError as exc:
        capture.error = exc
        return
    capture.done = not capture.pending


def _send(client: GraphClient, entry: ObjectType, batch: list[reads.Read], single: bool) -> list[Any]:
    """Answers (parsed bodies) or typed errors, in the order of `batch`."""
    if single and len(batch) == 1:
        return [client.get(batch[0].url(), version=entry.version)]
    requests = [BatchRequest(str(index), "GET", read.url()) for index, read in enumerate(batch)]
    return [
        answer.body if answer.ok else answer.error()
        for answer in client.batch(requests, version=entry.version)
    ]


def _store(client: GraphClient, capture: _Capture, read: reads.Read, body: Any) -> None:
    """Keep an answer; queue the next page of anything Graph paged."""
    if not isinstance(body, Mapping):
        capture.error = GraphError(
            "Graph answered a GET with something other than a JSON object.", method="GET", path=read.path
        )
        return
    if read.collection:
        capture.answers.setdefault(read.key, []).extend(body.get("value") or [])
    else:
        capture.answers[read.key] = dict(body)
    try:
        capture.pending.extend(
            reads.Read(key, _relative(client, capture.entry, link), collection=True)
            for key, link in reads.continuation_reads(capture.entry, read, body)
        )
    except GraphError as exc:
        capture.error = exc


def _relative(client: GraphClient, entry: ObjectType, next_link: str) -> str:
    """A nextLink made relative to the version, refused unless it points at our own Graph."""
    base = f"{client.config.graph_base_url.rstrip('/')}/{entry.version}"
    if not next_link.startswith(base + "/"):
        raise GraphError(
            f"Refusing to follow an @odata.nextLink outside {base}: {next_link!r}",
            method="GET",
            path="@odata.nextLink",
        )
    return next_link[len(base) :]


def _finish(capture: _Capture) -> CapturedPolicy:
    raw = reads.assemble(capture.entry, capture.answers)
    payload, secrets = normalize(capture.entry, raw)
    return CapturedPolicy(
        policy_type=capture.entry.name,
        policy_id=capture.object_id,
        display_name=display_name(capture.entry, raw),
        payload=payload,
        secrets_not_captured=secrets,
    )


def display_name(entry: ObjectType, obj: Mapping[str, Any]) -> str:
    """The object's natural key; a singleton without one is named after its type."""
    name = obj.get(entry.display_name)
    if not name and entry.strategy is Strategy.SINGLETON:
        return entry.name
    return str(name or "")
