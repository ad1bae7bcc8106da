#!/usr/bin/env python3
"""A concurrent line echo server in standard-library Python 3, to grade with exercise 06.

Every line a client sends (bytes up to and including b"\\n") goes back to that client unchanged.
asyncio serves all clients at once on one thread, with an event loop, like Node does.

    PORT=7000 python3 examples/echo_server.py         # HOST defaults to 127.0.0.1
    SOCKETLAB_TARGET='cmd:python3 examples/echo_server.py' pnpm exec vitest run exercises/06-concurrent-echo
"""

import asyncio
import os
import signal

MAX_LINE_BYTES = 64 * 1024  # a longer line gets its client told why, then disconnected


async def echo_lines(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Serves one client: echo each line until it half-closes, then close our side too."""
    try:
        while True:
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as eof:  # the client sent FIN
                if eof.partial:  # an unfinished last line: echo it as it came
                    writer.write(eof.partial)
                break
            except asyncio.LimitOverrunError:  # a line longer than MAX_LINE_BYTES
                writer.write(f"ERR line too long: max {MAX_LINE_BYTES} bytes\n".encode())
                break
            writer.write(line)
            await writer.drain()  # backpressure: wait while the client is not reading
        await writer.drain()
    except (ConnectionError, OSError):
        pass  # this client reset or vanished; the others are unaffected
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "7000"))
    server = await asyncio.start_server(echo_lines, host, port, limit=MAX_LINE_BYTES)
    print(f"echo server listening on {host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
