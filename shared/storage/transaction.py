"""Entity-group transactions (Table Storage `$batch`) with a lean multipart codec.

`TableClient.submit_transaction` builds its `multipart/mixed` body and reads the answer through
azure-core's generic multipart support, which goes through Python's `email` package: every
sub-request becomes an `email.message.Message`, every part of the answer is parsed by the
`email` feed parser with its header registry. A backup chunk writes five rows per object in such
transactions, and profiling the devhost's worker during the 10 x 300 backup bench put 18% of its
CPU in that encoding and parsing (bench/README.md, "Fewer invocations and round trips per object").

The format itself is fixed and small (the Table service's "Performing entity group transactions":
one batch part holding one changeset, one `application/http` part per operation; the answer holds
one part per operation, or the one part of the operation that failed). So this module keeps the SDK
for everything else (the sub-requests with their EDM-typed entity bodies come from the SDK's
`TableBatchOperations`; the request goes through the table client's own pipeline, so its
authentication, retries and the storage meter apply) and writes and reads only the multipart text.
It relies on two internals of azure-data-tables (`TableBatchOperations` and `_decode_error`), so the
package is pinned and `tests/shared/test_transaction.py` compares this codec with the SDK's on
Azurite.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from email.utils import formatdate
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest
from azure.data.tables import RequestTooLargeError, TableClient, TableTransactionError
from azure.data.tables._error import _decode_error as _sdk_decode_error
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
    batch = TableBatchOperations(
        config=table._client._config,
        endpoint=f"{table.scheme}://{table._primary_hostname}",
        table_name=table.table_name,
        is_cosmos_endpoint=table._cosmos_endpoint,
    )
    for operation in operations:
        batch.add_operation(operation)
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
        content=encode(batch.requests, boundary, f"changeset_{uuid.uuid4()}"),
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


def encode(requests: Sequence[HttpRequest], boundary: str, changeset: str) -> bytes:
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
