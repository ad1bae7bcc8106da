import { onTestFinished } from 'vitest';
import {
  isModuleTarget,
  resolveTarget,
  type ServerUnderTest,
  type StartedServer,
  startServerUnderTest,
  type Target,
} from './target.ts';
import { failOnUncaught } from './uncaught.ts';
import { WireClient } from './wire.ts';

/** Options of {@link startGradedServer}. */
export interface GradedServerOptions {
  /**
   * When the server runs in the test's process, an error it throws from the event loop (an
   * `'error'` event nobody listens for) fails the test with this hint. Without it, such an error
   * is left to the test runner.
   */
  uncaughtHint?: string;
  /** @default resolveTarget() */
  target?: Target;
}

/**
 * The one way a wire-level spec starts what it grades, inside a test: {@link startServerUnderTest}
 * (the solution, the learner's exercise, a command or an address), closed when the test finishes.
 * @example
 * const server = await startGradedServer<Exercise>(import.meta.url, (mod) => mod.startEchoServer(0));
 * const client = await connectGraded(server);
 */
export async function startGradedServer<T>(
  specUrl: string,
  start: (module: T) => Promise<StartedServer>,
  { uncaughtHint, target = resolveTarget() }: GradedServerOptions = {},
): Promise<ServerUnderTest> {
  if (uncaughtHint !== undefined && isModuleTarget(target)) failOnUncaught(uncaughtHint);
  const server = await startServerUnderTest(specUrl, start, target);
  onTestFinished(() => server.close());
  return server;
}

/** A {@link WireClient} connected to the graded server, closed when the test finishes. */
export async function connectGraded(server: {
  readonly host: string;
  readonly port: number;
}): Promise<WireClient> {
  const client = await WireClient.connect(server.host, server.port);
  onTestFinished(() => client.close());
  return client;
}
