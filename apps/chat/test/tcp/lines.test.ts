import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatUser } from '../../src/contract.ts';
import {
  cleanText,
  diffMembers,
  gatewayLines,
  renderMessage,
  renderNotice,
  renderPresence,
  renderRefusal,
} from '../../src/tcp/lines.ts';

const alice: ChatUser = { id: 'guest:a', nick: 'alice', via: 'web' };
const bob: ChatUser = { id: 'guest:b', nick: 'bob', via: 'tcp' };
const message = (text: string, kind: 'text' | 'action' = 'text'): ChatMessage => ({
  id: 'm1',
  room: 'dev',
  seq: 1,
  from: alice,
  kind,
  text,
  at: 0,
});

describe('server events rendered as stage 3 room chat lines', () => {
  it('renders a message as <nick> text and an action as * nick text', () => {
    expect(renderMessage(message('hello'))).toBe('<alice> hello\n');
    expect(renderMessage(message('waves', 'action'))).toBe('* alice waves\n');
  });

  it('renders presence as joined and left lines', () => {
    expect(renderPresence({ room: 'dev', user: alice, present: true })).toBe(
      '* alice joined #dev\n',
    );
    expect(renderPresence({ room: 'dev', user: alice, present: false })).toBe(
      '* alice left #dev\n',
    );
  });

  it('renders a notice as ! CODE reason and a refusal as ! reason', () => {
    expect(renderNotice({ code: 'REALTIME_ERR_RATE_LIMITED', reason: 'slow down' })).toBe(
      '! REALTIME_ERR_RATE_LIMITED slow down\n',
    );
    expect(
      renderRefusal({ ok: false, error: { code: 'REALTIME_ERR_LIMIT', reason: 'too long' } }),
    ).toBe('! too long\n');
  });

  it('replaces control characters from the page, so nobody fakes a line or sends escapes', () => {
    expect(renderMessage(message('hi\n<bob> fake\u001b[2J'))).toBe(
      '<alice> hi\ufffd<bob> fake\ufffd[2J\n',
    );
    expect(cleanText('tab\tkept')).toBe('tab\tkept');
    expect(cleanText('lone \ud800 surrogate')).toBe('lone \ufffd surrogate');
  });

  it('tells who came and went between two member lists', () => {
    expect(diffMembers([alice], [bob])).toEqual({ joined: [bob], left: [alice] });
    expect(diffMembers([alice, bob], [bob, alice])).toEqual({ joined: [], left: [] });
  });

  it('says how many messages were missed after a reconnect', () => {
    expect(gatewayLines.resumed('dev', 0)).toBe('* reconnected, back in #dev; 0 missed messages\n');
    expect(gatewayLines.resumed('dev', 1)).toBe('* reconnected, back in #dev; 1 missed message:\n');
  });
});
