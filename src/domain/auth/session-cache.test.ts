import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionCache } from './session-cache.js';

const user = (sessionId: bigint) => ({
  sessionId,
  userId: 1n,
  email: 'a@example.com',
  firstName: 'A',
  lastName: 'B',
  walletAccountId: 1n,
});

describe('the session cache', () => {
  it('serves an entry until its TTL or the session expiry, whichever is first', () => {
    let now = 1_000;
    const cache = new SessionCache(5_000, 100, () => now);
    cache.set('a', user(1n), new Date(100_000));
    cache.set('b', user(2n), new Date(3_000));
    now = 2_500;
    assert.equal(cache.get('a')?.sessionId, 1n);
    assert.equal(cache.get('b')?.sessionId, 2n);
    now = 3_000;
    assert.equal(cache.get('b'), undefined, 'the session itself expired');
    now = 6_000;
    assert.equal(cache.get('a'), undefined, 'the TTL ran out');
  });

  it('forgets a session on logout, stays bounded, and can be turned off', () => {
    const cache = new SessionCache(5_000, 2);
    cache.set('a', user(1n), new Date(Date.now() + 60_000));
    cache.evictSession(1n);
    assert.equal(cache.get('a'), undefined);
    for (const key of ['x', 'y', 'z']) cache.set(key, user(9n), new Date(Date.now() + 60_000));
    assert.equal(cache.get('x'), undefined, 'the oldest entry made room');
    assert.ok(cache.get('z'));
    const off = new SessionCache(0);
    off.set('a', user(1n), new Date(Date.now() + 60_000));
    assert.equal(off.get('a'), undefined);
  });
});
