#!/usr/bin/env python3
"""The WebSocket echo server of exercise 04-echo-server in standard-library Python 3 (asyncio).

For each connection: the opening handshake (the request head up to its empty line, answered
with 101 and Sec-WebSocket-Accept), then frames, read from the connection's own stream: text
and binary frames are sent back unmasked with the shortest length form, a ping is answered
with a pong carrying the same payload, and a close with a close carrying the same code, after
which the server closes the TCP connection. Written from RFC 6455 §4.2, §5 and §7.1.1.

    PORT=7000 python3 examples/echo_server.py      # then, in a browser's console:
                                                   # new WebSocket('ws://127.0.0.1:7000/')
    SOCKETLAB_TARGET='cmd:python3 examples/echo_server.py' pnpm exec vitest run exercises/04-echo-server
"""

import asyncio
import base64
import binascii
import hashlib
import os
import struct

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
MAX_HEAD_BYTES = 8 * 1024
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024  # a header may announce 2^63 bytes: refuse big frames first

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class Refused(Exception):
    """A request head that is not a valid upgrade: the HTTP answer to send, then close."""


def accept_key(key: str) -> str:
    """base64(SHA-1(key + GUID)), the key used as sent (RFC 6455 §1.3, §4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode("latin-1")).digest()).decode("ascii")


def has_token(value: str | None, token: str) -> bool:
    """Whether a comma-separated list holds `token`, case-insensitively (RFC 9110 §7.6.1)."""
    return value is not None and token in (item.strip().lower() for item in value.split(","))


def upgrade_answer(head: str) -> bytes:
    """The 101 for a valid upgrade request head; raises Refused otherwise (exercise 01)."""
    headers: dict[str, str] = {}
    for line in head.split("\r\n")[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise Refused("400 Bad Request")
        headers[name.strip().lower()] = value.strip(" \t")
    key = headers.get("sec-websocket-key", "")
    try:
        key_ok = len(key) == 24 and len(base64.b64decode(key, validate=True)) == 16
    except binascii.Error:
        key_ok = False
    if not (
        has_token(headers.get("upgrade"), "websocket")
        and has_token(headers.get("connection"), "upgrade")
        and key_ok
    ):
        raise Refused("400 Bad Request")
    if headers.get("sec-websocket-version") != "13":
        raise Refused("426 Upgrade Required\r\nSec-WebSocket-Version: 13")
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
    ).encode("latin-1")


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """A server's frame: FIN, the opcode, no mask, the shortest length form (RFC 6455 §5.2)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The next frame from the stream, unmasked: (opcode, payload). readexactly waits for
    however many TCP segments a frame takes, and leaves the next frame's bytes in the buffer."""
    b0, b1 = await reader.readexactly(2)
    length = b1 & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    if length > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a frame of {length} bytes is over the limit")
    key = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
    payload = await reader.readexactly(length)
    # Unmask with THIS frame's key (§5.3): byte i ^ key[i % 4], done as one big integer XOR.
    mask = (key * (length // 4 + 1))[:length]
    unmasked = (int.from_bytes(payload, "big") ^ int.from_bytes(mask, "big")).to_bytes(length, "big")
    return b0 & 0x0F, unmasked


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        try:
            head = await reader.readuntil(b"\r\n\r\n")  # the bytes after it stay in `reader`
            writer.write(upgrade_answer(head[:-4].decode("latin-1")))
        except Refused as refused:
            writer.write(f"HTTP/1.1 {refused}\r\nConnection: close\r\n\r\n".encode("latin-1"))
            return
        except asyncio.LimitOverrunError:
            writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
            return
        while True:
            opcode, payload = await read_frame(reader)
            if opcode in (TEXT, BINARY):
                writer.write(encode_frame(opcode, payload))
            elif opcode == PING:
                writer.write(encode_frame(PONG, payload))
            elif opcode == CLOSE:
                writer.write(encode_frame(CLOSE, payload[:2]))  # echo the code (§5.5.1)
                return  # the server closes TCP first (§7.1.1): `finally` below
            await writer.drain()  # backpressure: wait while the client is not reading
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass  # this client vanished or misbehaved: close it, and only it
    finally:
        writer.close()


async def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "7000"))
    server = await asyncio.start_server(serve, host, port, limit=MAX_HEAD_BYTES)
    print(f"echo server on ws://{host}:{port}/", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
