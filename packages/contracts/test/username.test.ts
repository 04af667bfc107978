import { canonicalUsername, isCanonicalUsername, UsernameInputSchema } from '@gatehouse/contracts';
import { Value } from '@sinclair/typebox/value';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('canonicalUsername', () => {
  it.each([
    ['ALICE', 'alice'],
    ['\uFF21\uFF2C\uFF29\uFF23\uFF25', 'alice'],
    ['\u212Aate', 'kate'],
    ['\u017Fam', 'sam'],
    ['stra\u00DFe', 'strasse'],
    ['STRASSE', 'strasse'],
    ['\u0131van', 'ivan'],
    ['victim.\u0130', 'victim.i\u0307'],
    ['\u039F\u0394\u039F\u03A3', '\u03BF\u03B4\u03BF\u03C3'],
    ['\u03BF\u03B4\u03BF\u03C2', '\u03BF\u03B4\u03BF\u03C3'],
    ['\uD835\uDC00lice', 'alice'],
  ])('%j becomes %j', (input, canonical) => {
    expect(canonicalUsername(input)).toBe(canonical);
  });

  it('is stable: the canonical form of a canonical form is itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 24 }), (s) => {
        const once = canonicalUsername(s);
        expect(canonicalUsername(once)).toBe(once);
      }),
      { seed: 13, numRuns: 20000 },
    );
  });

  it('is stable for every code point', () => {
    const unstable: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const once = canonicalUsername(String.fromCodePoint(cp));
      if (canonicalUsername(once) !== once) unstable.push(cp);
    }
    expect(unstable).toEqual([]);
  });

  it('only ASCII names in canonical form can be stored', () => {
    expect(isCanonicalUsername('alice.b@example-1_x')).toBe(true);
    for (const bad of ['Alice', 'victim.i\u0307', '', 'a'.repeat(65), 'a b', 'ali\u0000ce']) {
      expect(isCanonicalUsername(bad)).toBe(false);
    }
  });
});

describe('UsernameInputSchema', () => {
  const ajv = new Ajv({ unicodeRegExp: true });
  const ajvCheck = ajv.compile(UsernameInputSchema);
  const refused = ['a\u0000b', 'a\u001Fb', 'a\u007Fb', 'a\u0085b', '\uD800', 'x\uDC00', 'a\u202Eb', 'a\u200Db'];
  const accepted = ['alice', 'victim.\u0130', '\uD835\uDC00lice', '\u03BF\u03B4\u03BF\u03C2', 'stra\u00DFe'];

  it.each(refused)('refuses %j with and without the u flag', (name) => {
    expect(ajvCheck(name)).toBe(false);
    expect(Value.Check(UsernameInputSchema, name)).toBe(false);
  });

  it.each(accepted)('accepts %j with and without the u flag', (name) => {
    expect(ajvCheck(name)).toBe(true);
    expect(Value.Check(UsernameInputSchema, name)).toBe(true);
  });
});
