/**
 * A line chat on your machine: start it, then join from two or more terminals with netcat.
 *
 *   pnpm exec tsx --conditions=@socketlab/source examples/chat.ts [port]
 *   nc 127.0.0.1 7000          # in another terminal (Debian: -N to close when stdin ends)
 *
 * Ctrl+C stops it gracefully: everyone is told, their connections get a FIN.
 */
import { listenLineChat } from '../src/index.ts';

const port = Number(process.argv[2] ?? process.env.PORT ?? 7000);
const chat = await listenLineChat({
  host: '127.0.0.1',
  port,
  maxConnections: 32,
  maxLineBytes: 1024,
});
const at = chat.address.port;
console.log(`line chat listening on 127.0.0.1:${at}`);
console.log(`join from other terminals with:  nc 127.0.0.1 ${at}`);
console.log('then type a line and press Enter; /help lists the commands; Ctrl+C stops the server');

process.once('SIGINT', () => {
  console.log(`\nclosing (online: ${chat.nicks().join(', ') || 'nobody'})`);
  chat.close().then(
    () => console.log('closed'),
    (error: unknown) => console.error('close failed:', error),
  );
});
