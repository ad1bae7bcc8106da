import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pollUntil, tempDir, withTimeout } from '@socketlab/testkit';
import { describe, expect, it } from 'vitest';
import {
  makeTree,
  PROCESS_WAIT_MS,
  runSender,
  type SpawnedReceiver,
  spawnReceiver,
} from './helpers/cli.ts';

/** The fingerprint a receiver prints, a line after its code (which spawnReceiver waits for). */
const printedFingerprint = (receiver: SpawnedReceiver): Promise<string> =>
  pollUntil(
    () => /^tls fingerprint: (SHA256:\S{43})/m.exec(receiver.stdout())?.[1],
    `the receiver's fingerprint (it printed: ${receiver.stdout()})`,
    { ms: PROCESS_WAIT_MS },
  );

describe('socketlab-ft over TLS, the certificate pinned as SSH pins host keys', () => {
  it(
    'sends with the printed fingerprint, refuses another, and remembers a first-seen one',
    async () => {
      const base = await tempDir('ft-tls-');
      const [dst, receiverHome, senderHome, src] = ['dst', 'rhome', 'shome', 'src'].map((d) =>
        path.join(base, d),
      );
      await makeTree(base, { 'src/a.txt': 'secret\n' }, ['dst', 'rhome', 'shome']);
      const file = path.join(src as string, 'a.txt');
      const receiver = await spawnReceiver(dst as string, ['--tls', '--keep'], {
        SOCKETLAB_FT_HOME: receiverHome as string,
      });
      const fingerprint = await printedFingerprint(receiver);
      expect(receiver.stdout()).toMatch(/new certificate, kept in/);
      const to = `127.0.0.1:${receiver.port}`;
      const env = { SOCKETLAB_FT_HOME: senderHome as string };

      const wrong = await runSender(
        [file, to, '--code', receiver.code, '--fingerprint', `SHA256:${'A'.repeat(43)}`],
        env,
      );
      expect(wrong.code).toBe(1);
      expect(wrong.err).toMatch(
        /shows the certificate SHA256:\S+, not SHA256:A+ .*\[FT_ERR_FINGERPRINT\]/,
      );
      expect(await readdir(dst as string)).toEqual([]);

      const pinned = await runSender(
        [file, to, '--code', receiver.code, '--fingerprint', fingerprint],
        env,
      );
      expect(pinned.code, pinned.err).toBe(0);
      expect(pinned.out).toMatch(/over TLS: code accepted/);
      expect(await readFile(path.join(dst as string, 'a.txt'), 'utf8')).toBe('secret\n');
      // A pinned fingerprint is remembered: the next --tls needs no --fingerprint.
      expect(await readFile(path.join(senderHome as string, 'known_hosts'), 'utf8')).toBe(
        `127.0.0.1 ${fingerprint}\n`,
      );
      const remembered = await runSender([file, to, '--code', receiver.code, '--tls'], env);
      expect(remembered.code, remembered.err).toBe(0);
      expect(remembered.out).toMatch(/1 already there/);
      receiver.child.kill('SIGINT');
      await withTimeout(receiver.exited, 'the receiver stops on SIGINT', PROCESS_WAIT_MS);

      // Another receiver on that host (another certificate): refused against known_hosts.
      const impostor = await spawnReceiver(dst as string, ['--tls'], {
        SOCKETLAB_FT_HOME: path.join(base, 'other'),
      });
      expect(await printedFingerprint(impostor)).not.toBe(fingerprint);
      const refused = await runSender(
        [file, `127.0.0.1:${impostor.port}`, '--code', impostor.code, '--tls'],
        env,
      );
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/remembered in .*known_hosts.*\[FT_ERR_FINGERPRINT\]/);

      // A sender with no known_hosts entry trusts on first use, and says so.
      const fresh = await runSender(
        [file, `127.0.0.1:${impostor.port}`, '--code', impostor.code, '--tls'],
        {
          SOCKETLAB_FT_HOME: path.join(base, 'fresh'),
        },
      );
      expect(fresh.code, fresh.err).toBe(0);
      expect(fresh.out).toMatch(
        /new receiver 127\.0\.0\.1: its fingerprint SHA256:\S+ is now remembered/,
      );
    },
    PROCESS_WAIT_MS * 6,
  );
});
