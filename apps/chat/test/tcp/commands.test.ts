import { roomChatLines } from '@socketlab/multiplexing';
import { describe, expect, it } from 'vitest';
import type { ChatUser } from '../../src/contract.ts';
import { type GatewayUserState, planLine } from '../../src/tcp/commands.ts';

const user = (id: string, nick: string): ChatUser => ({ id, nick, via: 'tcp' });
const state = (over: Partial<GatewayUserState> = {}): GatewayUserState => ({
  nick: 'guest1',
  room: 'lobby',
  members: [user('a', 'guest1'), user('b', 'alice')],
  takenNicks: ['alice'],
  ...over,
});

describe('planLine maps a line from nc to a contract request or an answer', () => {
  it.each([
    ['hello there', { kind: 'send', room: 'lobby', text: 'hello there', messageKind: 'text' }],
    ['//shrug', { kind: 'send', room: 'lobby', text: '/shrug', messageKind: 'text' }],
    ['/me waves', { kind: 'send', room: 'lobby', text: 'waves', messageKind: 'action' }],
    ['/join #dev', { kind: 'move', from: 'lobby', to: 'dev' }],
    ['/JOIN dev', { kind: 'move', from: 'lobby', to: 'dev' }],
    ['/nick bob', { kind: 'rename', nick: 'bob' }],
    ['/quit', { kind: 'quit' }],
    ['', { kind: 'none' }],
    ['   ', { kind: 'none' }],
    ['/pong', { kind: 'none' }],
  ])('plans %j', (line, step) => {
    expect(planLine(line, state())).toEqual(step);
  });

  it('sends to the room the user is in', () => {
    expect(planLine('hi', state({ room: 'dev' }))).toMatchObject({ kind: 'send', room: 'dev' });
  });

  it('brings a user back to the lobby on /leave, and refuses it in the lobby', () => {
    expect(planLine('/leave', state({ room: 'dev' }))).toEqual({
      kind: 'move',
      from: 'dev',
      to: 'lobby',
    });
    expect(planLine('/leave', state())).toEqual({
      kind: 'say',
      line: roomChatLines.error('you are in #lobby already'),
    });
  });

  it('answers /who from the members it knows, in stage 3 words', () => {
    expect(planLine('/who', state())).toEqual({
      kind: 'say',
      line: '* in #lobby (2): guest1, alice\n',
    });
  });

  it('answers /help with stage 3 help', () => {
    expect(planLine('/help', state())).toEqual({ kind: 'say', line: roomChatLines.help() });
  });

  it.each([
    ['/join bad room!', /^! invalid room "bad room!": use 1 to 32/],
    ['/join lobby', /^! you are already in #lobby\n$/],
    ['/me', /^! \/me needs some text/],
    ['/dance', /^! unknown command \/dance: type \/help\n$/],
    ['/nick no spaces', /^! invalid nick "no spaces"/],
    ['/nick ALICE', /^! nick ALICE is taken: choose another\n$/],
    ['/nick waytoolongnickname123', /^! invalid nick/],
  ])('refuses %j with an error line', (line, pattern) => {
    const step = planLine(line, state());
    expect(step.kind).toBe('say');
    expect(step.kind === 'say' && step.line).toMatch(pattern);
  });

  it('says "you are now" for the nick the user already has, without a new token', () => {
    expect(planLine('/nick guest1', state())).toEqual({
      kind: 'say',
      line: roomChatLines.youAreNow('guest1'),
    });
  });
});
