/**
 * The reactor of src/reactor/ serving a real TCP echo server: one loop, one handler per
 * connection, and a reactor timer (not a Node timer) that prints what the loop did every 5 s.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/reactor-echo.ts [port]   (default 0: any)
 *   then, in another terminal: nc 127.0.0.1 <port>      (type lines; Ctrl-D ends; Ctrl-C here stops)
 *
 * Read it with lessons/reactor.md, "This package's reactor".
 */
import { listenReactorEcho } from '../src/index.ts';

const port = Number(process.argv[2] ?? 0);
const echo = await listenReactorEcho({ port, maxReadBytes: 4096 });
console.log(
  `reactor echo on 127.0.0.1:${echo.address.port}; try: nc 127.0.0.1 ${echo.address.port}`,
);

const report = (): void => {
  const { accepted, reads, bytes, backpressured } = echo.stats;
  console.log(
    `${echo.reactor.size - 1} open, ${accepted} accepted, ${reads} reads, ${bytes} bytes echoed, ` +
      `${backpressured} backpressure pauses`,
  );
  echo.reactor.setTimer(5_000, report); // the loop's own timer: its wait times out for it
};
echo.reactor.setTimer(5_000, report);

process.once('SIGINT', () => {
  void echo.close().then(() => console.log('stopped'));
});
await echo.done;
