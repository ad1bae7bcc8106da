#!/usr/bin/env python3
"""The handshake server of exercise 01-handshake in standard-library Python 3 (asyncio, one thread).

Reads each connection's request head up to its empty line (and nothing after it), then answers
101 Switching Protocols with Sec-WebSocket-Accept and keeps the connection open, or refuses:
400 (or 426 with Sec-WebSocket-Version: 13 for a wrong version) with Connection: close, and
closes. Written from RFC 6455 §4.2.

    PORT=7000 python3 examples/handshake_server.py      # then: see exercises/01-handshake/README.md
    SOCKETLAB_TARGET='cmd:python3 examples/handshake_server.py' pnpm exec vitest run exercises/01-handshake
"""

import asyncio
import base64
import binascii
import hashlib
import os

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
MAX_HEAD_BYTES = 8 * 1024


def accept_key(key: str) -> str:
    """base64(SHA-1(key + GUID)), the key used as sent (RFC 6455 §1.3, §4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode("latin-1")).digest()).decode("ascii")


def has_token(value: str | None, token: str) -> bool:
    """Whether a comma-separated list holds `token`, case-insensitively (RFC 9110 §7.6.1, §7.8)."""
    return value is not None and token in (item.strip().lower() for item in value.split(","))


def is_valid_key(key: str | None) -> bool:
    """The base64 of exactly 16 bytes (RFC 6455 §4.2.1 item 5)."""
    if key is None or len(key) != 24:
        return False
    try:
        return len(base64.b64decode(key, validate=True)) == 16
    except binascii.Error:
        return False


def refusal(status: str, message: str, extra: str = "") -> bytes:
    body = message.encode("utf-8")
    return (
        f"HTTP/1.1 {status}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("latin-1") + body


def answer(head: str) -> tuple[bytes, bool]:
    """The response to a request head, and whether the connection stays open (a 101)."""
    headers: dict[str, str] = {}
    for line in head.split("\r\n")[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            return refusal("400 Bad Request", f"header line {line[:40]!r} has no ':'"), False
        key = name.strip().lower()  # names are case-insensitive (RFC 9110 §5.1)
        value = value.strip(" \t")  # the spaces around a value are not part of it (RFC 9110 §5.5)
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    if not has_token(headers.get("upgrade"), "websocket"):
        return refusal("400 Bad Request", "not an upgrade: expected Upgrade: websocket"), False
    if not has_token(headers.get("connection"), "upgrade"):
        return refusal("400 Bad Request", "expected Connection to list upgrade"), False
    key = headers.get("sec-websocket-key")
    if not is_valid_key(key):
        return refusal("400 Bad Request", "Sec-WebSocket-Key is not the base64 of 16 bytes"), False
    if headers.get("sec-websocket-version") != "13":
        extra = "Sec-WebSocket-Version: 13\r\n"
        return refusal("426 Upgrade Required", "this server speaks version 13", extra), False
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n"
    ).encode("latin-1"), True


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        try:
            # Up to and including the first CRLF CRLF, whatever the reads: the bytes after it
            # (frames) stay in the reader's buffer, unread.
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError:
            writer.write(refusal("400 Bad Request", f"the head is over {MAX_HEAD_BYTES} bytes"))
            return
        response, keep = answer(head[:-4].decode("latin-1"))
        writer.write(response)
        await writer.drain()
        if keep:
            while await reader.read(64 * 1024):
                pass  # frames come in exercise 02: discard them, and hold the connection until EOF
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main() -> None:
    port = int(os.environ.get("PORT", "7000"))
    server = await asyncio.start_server(serve, "127.0.0.1", port, limit=MAX_HEAD_BYTES)
    print(f"handshake server on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
