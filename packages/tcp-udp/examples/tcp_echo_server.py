#!/usr/bin/env python3
"""A TCP echo server in standard-library Python 3, to grade with exercise 01-tcp-echo.

Every byte a client sends goes back to it unchanged. When the client half-closes (its FIN makes
recv() return b""), the server has already echoed everything, so it half-closes too with
shutdown(SHUT_WR): its FIN follows the last echo. One thread per client.

    PORT=7000 python3 examples/tcp_echo_server.py       # HOST defaults to 127.0.0.1
    SOCKETLAB_TARGET='cmd:python3 examples/tcp_echo_server.py' pnpm exec vitest run exercises/01-tcp-echo
"""

import os
import socket
import threading


def serve(conn: socket.socket) -> None:
    """Echo until the client's FIN, then send ours and close."""
    with conn:
        try:
            while True:
                data = conn.recv(65536)
                if not data:  # the client sent FIN: nothing more will come
                    break
                conn.sendall(data)  # blocks while the client is not reading: backpressure
            conn.shutdown(socket.SHUT_WR)  # our FIN, after the last echo
        except OSError:
            pass  # reset or vanished: this client only


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "7000"))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
        print(f"tcp echo server listening on {host}:{port}", flush=True)
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
