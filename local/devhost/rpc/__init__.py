"""The Functions host <-> worker protocol as the devhost speaks it: generated message classes and framing.

`function_rpc.proto` is the subset of the public FunctionRpc protocol the devhost uses;
`function_rpc_pb2` is generated from it (`make protos`). The Functions host carries these messages on a
gRPC stream; the devhost carries the same serialized messages on a socket pair, each prefixed with its
length (`framing`), which is all an in-process call of the worker library needs.
"""
