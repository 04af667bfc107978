import { EVENT_FIELD } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { sortEntries } from '../src/consumers/stream-entries.js';
import { fullEvent } from './helpers.js';

const entry = (id: string, payload: string): [string, string[]] => [id, [EVENT_FIELD, payload]];
const withUsername = (escaped: string) =>
  JSON.stringify(fullEvent({ type: 'auth.login.failed', username: 'placeholder' })).replace(
    '"placeholder"',
    `"${escaped}"`,
  );

describe('sorting stream entries', () => {
  it('dead-letters text PostgreSQL cannot store as hashed, however it is escaped', () => {
    const sorted = sortEntries(
      [
        entry('1-1', withUsername('eve\\ud800')),
        entry('1-2', withUsername('eve\\u0000')),
        entry('1-3', withUsername('eve\\ud83d\\ude00')),
        entry('1-4', withUsername('eve😀')),
        entry('1-5', withUsername('\\u0065ve')),
      ],
      { maxDeliveries: 5 },
    );
    expect(sorted.deadLetters.map((d) => [d.streamId, d.reason])).toEqual([
      ['1-1', 'unstorable envelope: contains a lone surrogate'],
      ['1-2', 'unstorable envelope: contains a NUL character'],
    ]);
    expect(sorted.events.map((e) => e.event.username)).toEqual(['eve😀', 'eve😀', 'eve']);
    expect(sorted.ids).toEqual(['1-1', '1-2', '1-3', '1-4', '1-5']);
  });
});
