import { describe, expect, it } from 'vitest';
import { climbsOut } from '../src/routes/proxy/index.js';

describe('a proxied path that would leave its prefix at the upstream', () => {
  it.each(['/api/a/../b', '/api/..', '/api/a/%2E%2e/b', '/api/.%2e/x', '/api/a%2f..%2fb', '/api/a\\..\\b'])(
    'is refused: %s',
    (url) => expect(climbsOut(url)).toBe(true),
  );

  it.each(['/api/x', '/api/a..b', '/api/...', '/api/x?next=../y', '/api/%41'])('is forwarded: %s', (url) =>
    expect(climbsOut(url)).toBe(false),
  );
});
