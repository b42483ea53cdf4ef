import type { AuthenticatedUser } from './session-repository.js';

interface Entry {
  readonly user: AuthenticatedUser;
  readonly until: number;
}

/**
 * Recently validated sessions, by token hash, for a few seconds. Every
 * authenticated request otherwise pays a database round trip before doing
 * its own work. Logout evicts at once on this instance; on other instances a
 * revoked or expired token lives at most `ttlMs` longer. A TTL of 0 turns the
 * cache off.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(tokenHash: string): AuthenticatedUser | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry.user;
  }

  set(tokenHash: string, user: AuthenticatedUser, sessionExpiresAt: Date): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(tokenHash, {
      user,
      until: Math.min(this.now() + this.ttlMs, sessionExpiresAt.getTime()),
    });
  }

  evictSession(sessionId: bigint): void {
    for (const [key, entry] of this.entries) {
      if (entry.user.sessionId === sessionId) this.entries.delete(key);
    }
  }
}
