import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHAT_NICK_PATTERN,
  chatLines,
  checkChatNick,
  decodeChatLine,
  parseChatInput,
} from '../../src/chat/protocol.ts';

describe('decodeChatLine', () => {
  it.each([
    ['hello', 'hello'],
    ['', ''],
    ['tab\there', 'tab\there'],
    ['caf\u00e9 \u2713', 'caf\u00e9 \u2713'],
    ['a\rb', 'a\ufffdb'],
    ['a lone CR at the end\r', 'a lone CR at the end\ufffd'],
    ['\u001b[31mred\u001b[0m', '\ufffd[31mred\ufffd[0m'],
    ['bell\u0007\u007f\u0085', 'bell\ufffd\ufffd\ufffd'],
  ])('decodes the line %j (as the line decoder hands it over) as %j', (input, text) => {
    expect(decodeChatLine(Buffer.from(input, 'utf8'))).toEqual({ ok: true, text });
  });

  it.each([
    [[0xff]],
    [[0xc3]], // a 2-byte sequence cut short
    [[0xed, 0xa0, 0x80]], // a UTF-16 surrogate encoded as UTF-8
    [[0xc0, 0xaf]], // an overlong '/'
  ])('rejects invalid UTF-8 %j', (bytes) => {
    const result = decodeChatLine(Uint8Array.from(bytes));
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/not valid UTF-8/);
  });

  it('never throws and never returns a control character other than tab', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const result = decodeChatLine(bytes);
        // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none remain
        if (result.ok) expect(result.text).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/);
      }),
      { seed: 20_261_122, numRuns: 500 },
    );
  });
});

describe('parseChatInput', () => {
  it.each([
    ['', { kind: 'empty' }],
    ['   \t', { kind: 'empty' }],
    ['hello there', { kind: 'message', text: 'hello there' }],
    ['//shrug', { kind: 'message', text: '/shrug' }],
    ['/nick alice', { kind: 'nick', name: 'alice' }],
    ['/NICK   bob  ', { kind: 'nick', name: 'bob' }],
    ['/nick', { kind: 'nick', name: '' }],
    ['/nick two words', { kind: 'nick', name: 'two words' }],
    ['/who', { kind: 'who' }],
    ['/help', { kind: 'help' }],
    ['/Quit', { kind: 'quit' }],
    ['/dance now', { kind: 'unknown-command', command: '/dance' }],
    ['/', { kind: 'unknown-command', command: '/' }],
  ] as const)('reads %j', (text, expected) => {
    expect(parseChatInput(text)).toEqual(expected);
  });
});

describe('checkChatNick', () => {
  it.each(['a', 'alice', 'Bob_2', 'x-y', 'a'.repeat(16)])('accepts %j', (nick) => {
    expect(checkChatNick(nick, ['someone'])).toBeUndefined();
  });

  it.each(['', 'a'.repeat(17), 'two words', 'caf\u00e9', 'semi;colon', '<b>'])(
    'rejects %j with the rule',
    (nick) => {
      expect(checkChatNick(nick, [])).toMatch(/^invalid nick .*1 to 16 letters, digits, _ or -$/);
    },
  );

  it('rejects a taken nick whatever its case', () => {
    expect(checkChatNick('ALICE', ['bob', 'alice'])).toBe('nick ALICE is taken: choose another');
  });

  it('agrees with its pattern', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (nick) => {
        expect(checkChatNick(nick, []) === undefined).toBe(CHAT_NICK_PATTERN.test(nick));
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('chatLines', () => {
  it('formats every server line with its prefix and a final newline', () => {
    expect(chatLines.message('al', 'hi')).toBe('<al> hi\n');
    expect(chatLines.joined('al')).toBe('* al joined\n');
    expect(chatLines.left('al')).toBe('* al left\n');
    expect(chatLines.left('al', 'line too long')).toBe('* al left (line too long)\n');
    expect(chatLines.renamed('guest1', 'al')).toBe('* guest1 is now al\n');
    expect(chatLines.who(['a', 'b'])).toBe('* online (2): a, b\n');
    expect(chatLines.error('no')).toBe('! no\n');
    expect(chatLines.welcome('guest1', 3)).toBe(
      '* welcome, you are guest1 (3 online); type /help for commands\n',
    );
    for (const line of chatLines.help().trimEnd().split('\n')) expect(line).toMatch(/^\* \//);
  });
});
