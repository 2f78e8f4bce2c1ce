"""Length-prefixed StreamingMessages on an asyncio stream: a 4-byte big-endian length, then the message."""

from __future__ import annotations

import asyncio
import struct

from local.devhost.rpc.function_rpc_pb2 import StreamingMessage

_LENGTH = struct.Struct(">I")


def frame(message: StreamingMessage) -> bytes:
    body = message.SerializeToString()
    return _LENGTH.pack(len(body)) + body


async def read_message(reader: asyncio.StreamReader) -> StreamingMessage | None:
    """The next message, or None once the other side has closed the stream or gone away (a process that
    dies with unread data resets the connection instead of closing it)."""
    try:
        header = await reader.readexactly(_LENGTH.size)
        body = await reader.readexactly(_LENGTH.unpack(header)[0])
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    message = StreamingMessage()
    message.ParseFromString(body)
    return message
