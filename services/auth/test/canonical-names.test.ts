import { AUTH_EVENTS_STREAM, loginAttemptsIpKey, loginAttemptsKey } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../src/domain/users.js';
import { type AuthHarness, startAuth } from './harness.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth({ LOGIN_MAX_ATTEMPTS: '1000', LOGIN_MAX_ATTEMPTS_PER_IP: '8', LOGIN_MAX_FAILURES: '3' });
});
afterAll(() => h.close());

const PASSWORD = 'correct-horse-battery';
let clients = 0;
const create = (username: string) => createUser({ pool: h.pool }, { username, password: PASSWORD, roles: ['user'] });

describe('one canonical form for every username', () => {
  it.each([
    ['ASCII capitals', 'Alice_cn', 'alice_cn', ['ALICE_CN', 'alice_cn']],
    ['fullwidth forms', '\uFF22ob_cn', 'bob_cn', ['BOB_CN', '\uFF42\uFF4F\uFF42_cn', '\uFF22\uFF2F\uFF22_cn']],
    ['U+212A KELVIN SIGN', '\u212Aate_cn', 'kate_cn', ['KATE_CN', '\u212AATE_cn']],
    ['U+017F LONG S', '\u017Fam_cn', 'sam_cn', ['SAM_CN', '\u017FAM_cn']],
    ['U+00DF SHARP S', 'stra\u00DFe_cn', 'strasse_cn', ['STRASSE_CN', 'stra\u1E9Ee_cn', 'STRA\u00DFE_cn']],
    ['U+0131 DOTLESS I', '\u0131van_cn', 'ivan_cn', ['IVAN_CN', '\u0131VAN_cn']],
  ])('%s: created once under its canonical name, logs in under every spelling', async (_n, name, canonical, logins) => {
    const user = await create(name);
    expect(user.username).toBe(canonical);
    await expect(create(canonical.toUpperCase())).rejects.toMatchObject({ code: 'user_exists' });
    for (const spelling of logins) {
      const res = await h.login(spelling, PASSWORD, { ip: `10.12.0.${++clients}` });
      expect({ spelling, status: res.statusCode }).toEqual({ spelling, status: 200 });
    }
    const events = (await h.events()).filter((e) => e.subject === user.id && e.type === 'auth.login.succeeded');
    expect(new Set(events.map((e) => e.username))).toEqual(new Set([canonical]));
    expect(await h.inspect.get(loginAttemptsKey(canonical))).toBe(String(logins.length));
  });

  it.each([
    ['U+0130 CAPITAL I WITH DOT', 'victim.\u0130'],
    ['final sigma', '\u03BF\u03B4\u03BF\u03C2'],
    ['capital sigma', '\u039F\u0394\u039F\u03A3'],
  ])('%s: a name whose canonical form is not ASCII is refused at creation', async (_n, name) => {
    await expect(create(name)).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('final and medial sigma count against one account', async () => {
    await h.login('\u039F\u0394\u039F\u03A3', 'wrong-password', { ip: '10.12.1.1' });
    await h.login('\u03BF\u03B4\u03BF\u03C2', 'wrong-password', { ip: '10.12.1.2' });
    expect(await h.inspect.get(loginAttemptsKey('\u03BF\u03B4\u03BF\u03C3'))).toBe('2');
  });

  it('a locked account stays locked under a case-folding variant (victim.\\u0130)', async () => {
    await create('victim.i');
    for (let i = 0; i < 3; i++) await h.login('victim.i', 'wrong-password', { ip: `10.13.0.${i}` });
    expect((await h.login('victim.i', PASSWORD, { ip: '10.13.1.1' })).statusCode).toBe(429);
    for (const variant of ['victim.\u0130', 'VICTIM.I', 'victim.\u0131', '\uFF56ictim.i']) {
      const res = await h.login(variant, PASSWORD, { ip: '10.13.1.2' });
      expect({ variant, status: res.statusCode }).not.toEqual({ variant, status: 200 });
    }
  });

  it('a username that spells an address never counts against that address', async () => {
    for (let i = 0; i < 9; i++) await h.login('ip:10.14.0.1', 'wrong-password', { ip: `10.14.1.${i}` });
    expect(await h.inspect.get(loginAttemptsIpKey('10.14.0.1'))).toBeNull();
    await create('bystander_cn');
    expect((await h.login('bystander_cn', PASSWORD, { ip: '10.14.0.1' })).statusCode).toBe(200);
  });

  it.each([
    ['a NUL byte', 'ali\u0000ce'],
    ['a control character', 'ali\u001bce'],
    ['a C1 control', 'ali\u0085ce'],
    ['a lone high surrogate', 'ali\uD800ce'],
    ['a lone low surrogate', '\uDC00alice'],
    ['a bidi override', 'ali\u202Ece'],
  ])('refuses %s in a username with 400, counting nothing and publishing nothing', async (_n, username) => {
    const before = await h.inspect.xlen(AUTH_EVENTS_STREAM);
    const res = await h.login(username, 'whatever-pw', { ip: '10.15.0.1' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'validation_failed', message: expect.stringContaining('username') });
    expect(await h.inspect.get(loginAttemptsIpKey('10.15.0.1'))).toBeNull();
    expect(await h.inspect.xlen(AUTH_EVENTS_STREAM)).toBe(before);
  });
});
