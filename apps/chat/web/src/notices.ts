/**
 * The words a person reads for the server's refusals and notices (the codes of the contract), and
 * the message input's `/me` form. Pure; tested in test/browser/state.test.ts.
 */
import type { ChatErrorCode } from '../../src/contract.ts';

/** `title: reason`, or the reason alone (capitalised) when it already starts with the title. */
function titled(title: string, reason: string): string {
  if (reason.toLowerCase().startsWith(title.toLowerCase())) {
    return reason.charAt(0).toUpperCase() + reason.slice(1);
  }
  return reason === '' ? title : `${title}: ${reason}`;
}

/** A refusal or notice as the page shows it: a short title and the server's reason. */
export function describeRefusal(code: ChatErrorCode | string, reason: string): string {
  switch (code) {
    case 'REALTIME_ERR_RATE_LIMITED':
      return titled('Slow down', reason);
    case 'REALTIME_ERR_AUTH':
      return titled('Please sign in again', reason);
    case 'CHAT_ERR_SHUTDOWN':
      return titled('The server is shutting down', reason);
    case 'CHAT_ERR_UNAVAILABLE':
      return titled('The server cannot do that right now, try again', reason);
    case 'REALTIME_ERR_LIMIT':
      return titled('Limit reached', reason);
    case 'REALTIME_ERR_PAYLOAD':
      return titled('Not sent', reason);
    case 'REALTIME_ERR_NOT_MEMBER':
      return titled('Not in that room', reason);
    case 'REALTIME_ERR_ACK_TIMEOUT':
      return titled('No answer from the server', reason);
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
