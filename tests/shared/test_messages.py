"""The message records on the wire: the SDK's custom-object envelope, camelCase keys, tuples back as
tuples, and a clear error for a malformed message. Pure: no servers."""

from __future__ import annotations

import json

import pytest
from azure.functions._durable_functions import df_dumps, df_loads
from pydantic import ValidationError

from shared.jobs import messages
from shared.jobs.messages import (
    BackupChunk,
    CaptureAttempt,
    CaptureJob,
    ChunkOutcome,
    ChunkSpan,
    Message,
    RestoreBegun,
)


def test_a_record_travels_as_a_custom_object_with_camel_case_keys() -> None:
    chunk = BackupChunk(
        tenant_id="t", run_id="r", spans=(ChunkSpan(policy_type="p", start=0, end=20),), retry=("p:a",)
    )
    wire = json.loads(df_dumps(chunk))
    assert wire == {
        "__class__": "BackupChunk",
        "__module__": "shared.jobs.messages",
        "__data__": {
            "tenantId": "t", "runId": "r", "retry": ["p:a"], "finalAttempt": False,
            "spans": [{"policyType": "p", "start": 0, "end": 20}],
        },
    }
    assert df_loads(df_dumps(chunk)) == chunk
    assert df_loads(df_dumps(chunk), expected_type=BackupChunk) == chunk


def test_nested_records_come_back_whole() -> None:
    attempt = CaptureAttempt(job=CaptureJob(tenant_id="t", run_id="r", policy_type="p", policy_id="i"))
    assert df_loads(df_dumps(attempt)) == attempt
    begun = RestoreBegun.from_json(
        {"active": True, "status": "running", "mode": "live", "groups": [[{"start": 0, "end": 2}]]}
    )
    assert begun.groups[0][0].end == 2 and isinstance(begun.groups, tuple)


def test_records_are_frozen_and_a_malformed_message_is_refused_by_name() -> None:
    outcome = ChunkOutcome.of(["succeeded", "failed", "succeeded"], throttled=["x"], retry_after=3)
    assert (outcome.succeeded, outcome.failed, outcome.throttled) == (2, 1, ("x",))
    with pytest.raises(ValidationError):
        setattr(outcome, "succeeded", 5)  # noqa: B010 - the assignment itself is under test
    with pytest.raises(ValidationError) as refused:
        BackupChunk.from_json({"tenantId": "t", "runId": "r", "spans": [{"start": "zero", "end": 1}]})
    assert {error["loc"][2] for error in refused.value.errors()} == {"start", "policyType"}


def test_every_record_has_camel_case_keys_on_the_wire() -> None:
    records = [
        value for value in vars(messages).values()
        if isinstance(value, type) and issubclass(value, Message) and value is not Message
    ]
    assert len(records) >= 20
    for record in records:
        schema = record.model_json_schema(by_alias=True)
        assert all(key[0].islower() and "_" not in key for key in schema.get("properties", {})), record
