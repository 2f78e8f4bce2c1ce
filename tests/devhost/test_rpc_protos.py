"""The generated protocol module is what its .proto gives with the pinned grpcio-tools (no stale copy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RPC = Path(__file__).resolve().parents[2] / "local" / "devhost" / "rpc"
GENERATED = ("function_rpc_pb2.py",)


def test_generated_messages_match_the_proto(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{RPC}", f"--python_out={tmp_path}",
         str(RPC / "function_rpc.proto")],
        check=True, capture_output=True,
    )
    for name in GENERATED:
        stale = f"run `make protos`: {name} is stale"
        assert (tmp_path / name).read_text() == (RPC / name).read_text(), stale


def test_field_numbers_are_the_protocols() -> None:
    """Spot checks against the public FunctionRpc protocol: a wrong number would garble every message."""
    from local.devhost.rpc import function_rpc_pb2 as protos

    def number(message: type, field: str) -> int:
        return int(message.DESCRIPTOR.fields_by_name[field].number)  # type: ignore[attr-defined]

    assert number(protos.StreamingMessage, "invocation_request") == 4
    assert number(protos.StreamingMessage, "rpc_log") == 2
    assert number(protos.StreamingMessage, "worker_init_request") == 17
    assert number(protos.StreamingMessage, "functions_metadata_request") == 29
    assert number(protos.StreamingMessage, "function_metadata_response") == 30
    assert number(protos.WorkerInitRequest, "function_app_directory") == 5
    assert number(protos.RpcFunctionMetadata, "raw_bindings") == 10
    assert number(protos.RpcFunctionMetadata, "function_id") == 13
    assert number(protos.TypedData, "json") == 2
    assert number(protos.RpcHttp, "params") == 10
    assert number(protos.RpcHttp, "query") == 15
    assert number(protos.StatusResult, "status") == 4
