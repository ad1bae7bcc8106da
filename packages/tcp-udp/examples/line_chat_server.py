#!/usr/bin/env python3
"""The line chat of exercise 04-line-chat in standard-library Python 3 (asyncio, one thread).

A client's first line is its nick; each later line goes to every other client as "nick: text";
joins and leaves are announced as "* nick joined" and "* nick left".

    PORT=7000 python3 examples/line_chat_server.py      # then: nc 127.0.0.1 7000, twice
    SOCKETLAB_TARGET='cmd:python3 examples/line_chat_server.py' pnpm exec vitest run exercises/04-line-chat
"""

import asyncio
import os

MAX_LINE_BYTES = 16 * 1024
members: dict[asyncio.StreamWriter, str] = {}  # only clients that have sent their nick


def broadcast(sender: asyncio.StreamWriter, text: str) -> None:
    for writer in members:
        if writer is not sender:
            writer.write(text.encode("utf-8"))  # buffered; a client that never reads is not handled here


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    nick = None
    try:
        while True:
            line = await reader.readuntil(b"\n")  # raises IncompleteReadError at the client's FIN
            text = line.decode("utf-8", errors="replace").rstrip("\n").removesuffix("\r")
            if nick is None:
                nick = text
                broadcast(writer, f"* {nick} joined\n")
                members[writer] = nick
            else:
                broadcast(writer, f"{nick}: {text}\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, OSError):
        pass  # FIN, a line too long, or a reset: this client leaves
    finally:
        if members.pop(writer, None) is not None:
            broadcast(writer, f"* {nick} left\n")
        writer.close()


async def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "7000"))
    server = await asyncio.start_server(serve, host, port, limit=MAX_LINE_BYTES)
    print(f"line chat listening on {host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
