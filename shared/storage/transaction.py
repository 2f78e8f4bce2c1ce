"""Entity-group transactions (Table Storage `$batch`) with a lean multipart codec.

`TableClient.submit_transaction` builds its `multipart/mixed` body and reads the answer through
azure-core's generic multipart support, which goes through Python's `email` package: every
sub-request becomes an `email.message.Message`, every part of the answer is parsed by the
`email` feed parser with its header registry. A backup chunk writes five rows per object in such
transactions, and profiling the devhost's worker during the 10 x 300 backup bench put 18% of its
CPU in that encoding and parsing (bench/README.md, "Fewer invocations and round trips per object").

The format itself is fixed and small (the Table service's "Performing entity group transactions":
one batch part holding one changeset, one `application/http` part per operation; the answer holds
one part per operation, or the one part of the operation that failed). So this module writes and
reads only the multipart text, and the request goes through the table client's own pipeline (its
authentication, retries and the storage meter apply). The sub-requests are built here too, for the
operations the app uses (create, upsert, update and delete, unconditional or on an ETag): the SDK's
`TableBatchOperations` builds each through its generated request builders, which took another 15%
of the worker's CPU in the 20 x 300 backup bench. Their entity bodies still come from the SDK's
EDM typing (`_add_entity_properties`), and any other operation goes through `TableBatchOperations`.
It relies on internals of azure-data-tables (`TableBatchOperations`, `_add_entity_properties`,
`_prepare_key`, `_decode_error`), so the package is pinned and `tests/shared/test_transaction.py`
compares the sub-requests with the SDK's and this codec's transactions with the SDK's on Azurite.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from email.utils import formatdate
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.data.tables import RequestTooLargeError, TableClient, TableTransactionError, UpdateMode
from azure.data.tables._error import _decode_error as _sdk_decode_error
from azure.data.tables._serialize import _add_entity_properties, _prepare_key
from azure.data.tables._table_batch import TableBatchOperations

Operation = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], dict[str, Any]]
"""An operation as `TableClient.submit_transaction` takes it: ("create" | "upsert" | "update" |
"delete", entity[, keyword arguments such as {"mode": UpdateMode.MERGE}])."""

_decode_error: Callable[..., HttpResponseError] = _sdk_decode_error
"""The SDK's reading of a storage error answer (code, message), for answers other than 202."""

_STATUS = re.compile(rb"\r\nHTTP/1\.1 (\d{3}) ")
"""An operation's answer in the multipart body. JSON never holds a raw CR or LF, so an entity or an
error body in a part cannot contain this line."""


def submit_transaction(table: TableClient, operations: Sequence[Operation]) -> None:
    """Run the operations (one partition, at most 100) as one transaction: all of them or none.

    Raises `TableTransactionError` (status and error code of the operation that failed, e.g. 409
    `EntityAlreadyExists`) as the SDK's `submit_transaction` does; `RequestTooLargeError` for a
    body over 4 MiB; other storage errors as `HttpResponseError`.
    """
    if not operations:
        return
    requests = sub_requests(table, operations)
    boundary = f"batch_{uuid.uuid4()}"
    request = HttpRequest(
        "POST",
        f"{table.scheme}://{table._primary_hostname}/$batch",
        headers={
            "x-ms-version": table.api_version,
            "DataServiceVersion": "3.0",
            "MaxDataServiceVersion": "3.0;NetFx",
            "Content-Type": f"multipart/mixed; boundary={boundary}",
            "Accept": "application/json",
        },
        content=encode(requests, boundary, f"changeset_{uuid.uuid4()}"),
    )
    # Streamed, as the SDK sends it: the pipeline would otherwise try to decode a multipart answer.
    response = table._client.send_request(request, stream=True)
    response.read()
    if response.status_code == 413:
        raise _decode_error(response, "The transaction request was too large", RequestTooLargeError)
    if response.status_code != 202:
        raise _decode_error(response)
    failed = first_failure(response.content, len(operations))
    if failed is not None:
        status, body = failed
        raise _transaction_error(status, body)


class SubRequest(Protocol):
    """What `encode` reads of a sub-request (an `HttpRequest` or a `LeanRequest`)."""

    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> Any: ...


class LeanRequest(NamedTuple):
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None


def sub_requests(table: TableClient, operations: Sequence[Operation]) -> Sequence[SubRequest]:
    """The transaction's sub-requests, as the SDK's `TableBatchOperations` would build them."""
    base = f"{table.scheme}://{table._primary_hostname}/{table.table_name}"
    keys = [(operation[1].get("PartitionKey"), operation[1].get("RowKey")) for operation in operations]
    if (
        not table._cosmos_endpoint
        and len({pk for pk, _ in keys}) == 1
        and None not in {k for ks in keys for k in ks}
    ):
        lean = [_lean(base, table.api_version, operation) for operation in operations]
        if None not in lean:
            return [request for request in lean if request is not None]
    batch = TableBatchOperations(  # anything else: the SDK's builders (and its errors)
        config=table._client._config,
        endpoint=f"{table.scheme}://{table._primary_hostname}",
        table_name=table.table_name,
        is_cosmos_endpoint=table._cosmos_endpoint,
    )
    for operation in operations:
        batch.add_operation(operation)
    return batch.requests


_MINIMAL = "application/json;odata=minimalmetadata"


def _lean(base: str, version: str, operation: Operation) -> LeanRequest | None:
    """One operation's sub-request, or None for one this module leaves to the SDK."""
    kind, entity = operation[0], operation[1]
    options: dict[str, Any] = dict(operation[2]) if len(operation) == 3 else {}
    mode = options.pop("mode", UpdateMode.MERGE)
    etag = options.pop("etag", None)
    condition = options.pop("match_condition", None) or MatchConditions.Unconditionally
    if options or (condition, bool(etag)) not in {
        (MatchConditions.Unconditionally, False),
        (MatchConditions.IfNotModified, True),
    }:
        return None
    headers = {"x-ms-version": version, "DataServiceVersion": "3.0"}
    if kind == "create":
        body = json.dumps(_add_entity_properties(entity)).encode()
        return LeanRequest("POST", base, _with_body(headers, body, _MINIMAL), body)
    try:
        address = f"{base}(PartitionKey='{_key(entity['PartitionKey'])}',RowKey='{_key(entity['RowKey'])}')"
    except (KeyError, TypeError):
        return None
    if_match = {"If-Match": etag or "*"}
    if kind == "delete":
        return LeanRequest("DELETE", address, {**headers, "Accept": _MINIMAL, **if_match}, None)
    if kind not in ("upsert", "update") or mode not in (UpdateMode.MERGE, UpdateMode.REPLACE):
        return None
    if kind == "upsert" and etag:
        return None
    body = json.dumps(_add_entity_properties(entity)).encode()
    method = "PATCH" if mode == UpdateMode.MERGE else "PUT"
    sent = _with_body(headers, body, "application/json")
    return LeanRequest(method, address, {**sent, **if_match} if kind == "update" else sent, body)


def _with_body(headers: dict[str, str], body: bytes, accept: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers, "Accept": accept}


def _key(value: Any) -> str:
    return quote(_prepare_key(value), safe="")


def encode(requests: Sequence[SubRequest], boundary: str, changeset: str) -> bytes:
    """The `$batch` body: one batch part holding one changeset with the requests in order."""
    date = formatdate(usegmt=True)
    parts = [f"--{boundary}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n".encode()]
    for index, request in enumerate(requests):
        content = request.content
        body = content.encode() if isinstance(content, str) else bytes(content or b"")
        headers = "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
        parts.append(
            (
                f"--{changeset}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
                f"Content-ID: {index}\r\n\r\n{request.method} {request.url} HTTP/1.1\r\n{headers}"
                f"x-ms-date: {date}\r\nDate: {date}\r\n\r\n"
            ).encode()
            + body
            + b"\r\n"
        )
    parts.append(f"--{changeset}--\r\n\r\n--{boundary}--\r\n".encode())
    return b"".join(parts)


def first_failure(answer: bytes, operations: int) -> tuple[int, bytes] | None:
    """(status, body) of the operation that failed, or None when every operation succeeded.

    A failed transaction answers one part, the failing operation's; a successful one answers one
    2xx part per operation (any other count is an answer this codec does not understand).
    """
    statuses = list(_STATUS.finditer(answer))
    for found in statuses:
        status = int(found.group(1))
        if not 200 <= status < 300:
            head_end = answer.find(b"\r\n\r\n", found.end())
            body_end = answer.find(b"\r\n--", head_end + 4)
            return status, answer[head_end + 4 : body_end if body_end >= 0 else len(answer)]
    if len(statuses) != operations:
        raise HttpResponseError(
            message=f"A transaction of {operations} operations was answered with {len(statuses)} parts."
        )
    return None


def _transaction_error(status: int, body: bytes) -> HttpResponseError:
    code, message = None, body.decode(errors="replace")
    try:
        error = json.loads(body)["odata.error"]
        code, message = error["code"], error["message"]["value"]
    except (ValueError, KeyError, TypeError):
        pass
    error_type = RequestTooLargeError if status == 413 else TableTransactionError
    failure = error_type(message=f"{message}\nErrorCode:{code}")
    failure.status_code = status
    setattr(failure, "error_code", code)  # noqa: B010 - as the SDK's _decode_error sets it
    return failure
