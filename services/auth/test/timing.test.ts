import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthHarness, startAuth } from './harness.js';

let h: AuthHarness;
beforeAll(async () => {
  h = await startAuth({ LOGIN_MAX_ATTEMPTS: '1000', LOGIN_MAX_ATTEMPTS_PER_IP: '1000', LOGIN_MAX_FAILURES: '1000' });
});
afterAll(() => h.close());

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function timed(username: string): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await h.login(username, 'definitely-wrong');
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  expect(res.statusCode).toBe(401);
  return elapsed;
}

describe('login timing', () => {
  it('takes the same median time for a wrong password and an unknown user (within 10%)', async () => {
    const user = await h.addUser();
    for (let i = 0; i < 5; i++) await Promise.all([timed(user.username), timed('no_such_user')]);
    const wrong: number[] = [];
    const unknown: number[] = [];
    // Interleaved so drift in machine load affects both series alike.
    for (let i = 0; i < 61; i++) {
      if (i % 2) {
        wrong.push(await timed(user.username));
        unknown.push(await timed(`ghost_${i}`));
      } else {
        unknown.push(await timed(`ghost_${i}`));
        wrong.push(await timed(user.username));
      }
    }
    const [a, b] = [median(wrong), median(unknown)];
    expect(Math.abs(a - b) / Math.max(a, b), `wrong ${a.toFixed(2)} ms, unknown ${b.toFixed(2)} ms`).toBeLessThan(0.1);
  });
});
