import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isValidTopicFilter,
  isValidTopicName,
  MAX_TOPIC_BYTES,
  matchTopic,
} from '../../src/mqtt/index.ts';

describe('matchTopic (MQTT §4.7)', () => {
  it.each([
    ['sensors/kitchen/temp', 'sensors/kitchen/temp', true],
    ['sensors/+/temp', 'sensors/kitchen/temp', true],
    ['sensors/+/temp', 'sensors/kitchen/humidity', false],
    ['sensors/+/temp', 'sensors/kitchen/oven/temp', false],
    ['sensors/+', 'sensors', false],
    ['sensors/#', 'sensors', true], // '#' also matches the parent level
    ['sensors/#', 'sensors/kitchen/oven/temp', true],
    ['#', 'anything/at/all', true],
    ['+/+', '/finance', true], // an empty first level is still a level
    ['+', '/finance', false],
    ['sensors/+/+', 'sensors/a/', true],
    ['#', '$SYS/broker/uptime', false], // wildcards at the start never match $ topics
    ['+/broker/uptime', '$SYS/broker/uptime', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
    ['Sensors/#', 'sensors/a', false], // case-sensitive
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(matchTopic(filter, topic)).toBe(expected);
  });

  it('never matches with an invalid filter or topic name', () => {
    expect(matchTopic('sensors/#/temp', 'sensors/a/temp')).toBe(false);
    expect(matchTopic('sensors/+', 'sensors/+')).toBe(false);
  });

  it('a filter without wildcards matches exactly itself', () => {
    const level = fc.stringMatching(/^[a-z0-9]{0,4}$/);
    fc.assert(
      fc.property(
        fc.array(level, { minLength: 1, maxLength: 5 }),
        fc.array(level, { minLength: 1, maxLength: 5 }),
        (a, b) => {
          const topicA = a.join('/');
          const topicB = b.join('/');
          fc.pre(topicA.length > 0 && topicB.length > 0);
          expect(matchTopic(topicA, topicB)).toBe(topicA === topicB);
          expect(matchTopic('#', topicA)).toBe(true);
          expect(matchTopic(a.map(() => '+').join('/'), topicA)).toBe(true);
        },
      ),
      { seed: 20261204 },
    );
  });
});

describe('topic names and filters', () => {
  it.each([
    ['a/+/c', true],
    ['a/#', true],
    ['#', true],
    ['+', true],
    ['a/b#', false],
    ['a/#/c', false],
    ['a+/b', false],
    ['', false],
    ['a\u0000b', false],
  ])('filter %j is valid: %s', (filter, expected) => {
    expect(isValidTopicFilter(filter)).toBe(expected);
  });

  it.each([
    ['a/b/c', true],
    ['/', true],
    ['a/+', false],
    ['a/#', false],
    ['', false],
  ])('name %j is valid: %s', (name, expected) => {
    expect(isValidTopicName(name)).toBe(expected);
  });

  it('counts the 65,535-byte limit in UTF-8 bytes, not characters', () => {
    expect(isValidTopicName('é'.repeat(MAX_TOPIC_BYTES / 2 - 1))).toBe(true);
    expect(isValidTopicName('é'.repeat(MAX_TOPIC_BYTES / 2 + 1))).toBe(false);
  });
});
