/**
 * The words a person reads for the server's refusals and notices (the codes of the contract), and
 * the message input's `/me` form. Pure; tested in test/browser/state.test.ts.
 */
import type { ChatErrorCode } from '../../src/contract.ts';

/** A refusal or notice as the page shows it: a short title and the server's reason. */
export function describeRefusal(code: ChatErrorCode | string, reason: string): string {
  switch (code) {
    case 'REALTIME_ERR_RATE_LIMITED':
      return `Slow down: ${reason}`;
    case 'REALTIME_ERR_AUTH':
      return `Please sign in again: ${reason}`;
    case 'CHAT_ERR_SHUTDOWN':
      return `The server is shutting down: ${reason}`;
    case 'REALTIME_ERR_LIMIT':
      return `Limit reached: ${reason}`;
    case 'REALTIME_ERR_PAYLOAD':
      return `Not sent: ${reason}`;
    case 'REALTIME_ERR_NOT_MEMBER':
      return `Not in that room: ${reason}`;
    default:
      return reason;
  }
}

/** What the message input sends: `/me waves` is an action, anything else text. */
export function parseComposed(
  input: string,
): { text: string; kind: 'text' | 'action' } | undefined {
  const text = input.trim();
  if (text === '') return undefined;
  const action = /^\/me\s+(.+)$/s.exec(text);
  if (action?.[1] !== undefined) return { text: action[1].trim(), kind: 'action' };
  return { text, kind: 'text' };
}
