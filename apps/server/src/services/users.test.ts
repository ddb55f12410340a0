import { describe, expect, it } from 'vitest';
import type { AccessTokenClaims } from './access-tokens.js';
import { type User, UserCache } from './users.js';

const claims = (overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims => ({
  subject: 'ada',
  email: 'ada@example.com',
  role: 'user',
  ...overrides,
});
const userFor = (tuple: AccessTokenClaims, id = 'u1'): User => ({ id, ...tuple });

describe('UserCache', () => {
  it('answers only for the exact (subject, email, role) tuple', () => {
    const cache = new UserCache();
    cache.set(claims(), userFor(claims()));
    expect(cache.get(claims())).toEqual(userFor(claims()));
    expect(cache.get(claims({ email: 'new@example.com' }))).toBeUndefined();
    expect(cache.get(claims({ role: 'admin' }))).toBeUndefined();
    expect(cache.get(claims({ subject: 'bob' }))).toBeUndefined();
  });

  it('keeps tuples apart whatever characters the claims contain', () => {
    const cache = new UserCache();
    const one = claims({ subject: 'a', email: 'b\u0000c@d' });
    const two = claims({ subject: 'a\u0000b', email: 'c@d' });
    cache.set(one, userFor(one, 'first'));
    expect(cache.get(two)).toBeUndefined();
  });

  it('forgets an entry after the TTL', () => {
    let now = 1_000;
    const cache = new UserCache({ ttlMs: 30_000, now: () => now });
    cache.set(claims(), userFor(claims()));
    now += 29_999;
    expect(cache.get(claims())?.id).toBe('u1');
    now += 1;
    expect(cache.get(claims())).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('stays within maxEntries, dropping the oldest first', () => {
    const cache = new UserCache({ maxEntries: 3 });
    for (const subject of ['s1', 's2', 's3', 's4']) {
      cache.set(claims({ subject }), userFor(claims({ subject }), subject));
    }
    expect(cache.size).toBe(3);
    expect(cache.get(claims({ subject: 's1' }))).toBeUndefined();
    expect(cache.get(claims({ subject: 's4' }))?.id).toBe('s4');
  });

  it('a new lookup replaces the entry (a re-created row wins over the old id)', () => {
    const cache = new UserCache();
    cache.set(claims(), userFor(claims(), 'old'));
    cache.set(claims(), userFor(claims(), 'new'));
    expect(cache.get(claims())?.id).toBe('new');
    expect(cache.size).toBe(1);
  });
});
