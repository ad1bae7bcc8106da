#!/usr/bin/env bash
# Shows Node's hidden reactor: runs a tiny TCP echo server under strace while one client
# connects, sends "hello", reads the echo and closes, then prints the server's system calls from
# the moment it listens. Read it with lessons/reactor.md, "Watching Node's loop with strace".
#
#   bash examples/strace-server.sh                 # epoll_pwait, epoll_ctl, accept4, read, write …
#   TRACE=epoll_wait,epoll_ctl,accept4 bash examples/strace-server.sh   # the issue's original set
#
# Needs Linux, strace and node. The server listens on 127.0.0.1, port 0 (the kernel chooses),
# and exits by itself once its client has gone.
set -euo pipefail

command -v strace >/dev/null || { echo "strace not found (apt-get install strace)" >&2; exit 1; }
trace_set="${TRACE:-epoll_wait,epoll_pwait,epoll_pwait2,epoll_ctl,accept4,read,write,shutdown,close}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/server.js" <<'JS'
const net = require('node:net');
const server = net.createServer((socket) => {
  socket.on('data', (chunk) => socket.write(chunk));
  socket.on('end', () => {
    socket.end();
    server.close(); // one client, then exit: the trace ends by itself
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
JS

strace -f -e trace="$trace_set" -o "$work/trace.txt" node "$work/server.js" >"$work/port.txt" &
tracer=$!

port=""
for _ in $(seq 1 100); do # at most 10 s for the server to listen
  port="$(head -n 1 "$work/port.txt" 2>/dev/null || true)"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "the server did not start listening" >&2; kill "$tracer"; exit 1; }

node -e "
const s = require('node:net').connect($port, '127.0.0.1', () => s.write('hello\n'));
s.on('data', (d) => { process.stdout.write('client got: ' + d); s.end(); });
s.setTimeout(5000, () => { console.error('no echo'); process.exit(1); });
"
wait "$tracer"

echo "--- server system calls since it printed its port ($trace_set)"
# Skip start-up (loading node, reading files): print from the line where the port is written,
# or everything when write is not traced.
marker="write(1, \"$port"
if grep -qF "$marker" "$work/trace.txt"; then
  awk -v m="$marker" 'found && !/exited with|resumed>$/ { print } index($0, m) { found = 1 }' "$work/trace.txt"
else
  grep -v -e 'exited with' -e 'resumed>$' "$work/trace.txt"
fi
