import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuthConfig } from '../../config/config.js';
import type { DB } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/sqlstate.js';
import { inTransaction } from '../../db/transaction.js';
import { conflict, RateLimitedError, unauthenticated } from '../errors.js';
import { openAccounts } from '../ledger/account-repository.js';
import { hashPassword, verifyPassword } from '../users/password.js';
import { findUserForLogin, insertUser } from '../users/user-repository.js';
import { clearAccountFailures, readThrottle, recordFailure } from './login-throttle.js';
import { SessionCache } from './session-cache.js';
import {
  findSessionUser,
  insertSession,
  revokeSession,
  type AuthenticatedUser,
} from './session-repository.js';

export interface Registration {
  readonly email: string;
  readonly password: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly phone?: string | undefined;
}

export interface RegisteredUser {
  readonly id: bigint;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly phone: string | null;
  readonly walletAccountId: bigint;
}

export class AuthService {
  private readonly sessions: SessionCache;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly config: AuthConfig,
  ) {
    this.sessions = new SessionCache(config.sessionCacheTtlMs);
  }

  /** Creates the user and opens their wallet, in one transaction. */
  async register(input: Registration): Promise<RegisteredUser> {
    const passwordHash = await hashPassword(input.password);
    try {
      return await inTransaction(this.db, async (trx) => {
        const user = await insertUser(trx, {
          email: input.email,
          phone: input.phone ?? null,
          firstName: input.firstName,
          lastName: input.lastName,
          passwordHash,
        });
        const walletAccountId = await openAccounts(trx, { userId: user.id });
        return {
          id: user.id,
          email: user.email,
          firstName: user.first_name,
          lastName: user.last_name,
          phone: user.phone,
          walletAccountId,
        };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_lower_key')) {
        throw conflict('email_taken', 'An account with this email already exists');
      }
      if (isUniqueViolation(error, 'users_phone_key')) {
        throw conflict('phone_taken', 'An account with this phone number already exists');
      }
      throw error;
    }
  }

  /**
   * Signs in and returns a new bearer token. Failures count against the
   * account and the client address; past the limit sign-ins are refused for
   * the rest of the window. A successful sign-in is never delayed.
   */
  async login(email: string, password: string, address: string): Promise<string> {
    const keys = { account: email.toLowerCase(), address };
    const throttle = await readThrottle(this.db, keys, this.config);
    if (throttle.blocked) {
      throw new RateLimitedError(
        'too_many_attempts',
        `Too many failed sign-ins; try again in ${throttle.retryAfterSeconds} seconds`,
        throttle.retryAfterSeconds,
      );
    }
    const user = await findUserForLogin(this.db, email);
    const passwordMatches = await verifyPassword(user?.password_hash, password);
    if (!user || !passwordMatches || !user.is_active) {
      await recordFailure(this.db, keys, this.config);
      throw unauthenticated('invalid_credentials', 'Wrong email or password');
    }
    const token = randomBytes(32).toString('base64url');
    await insertSession(this.db, user.id, hashToken(token), this.config.sessionTtlHours);
    if (throttle.hasFailures) await clearAccountFailures(this.db, keys.account);
    return token;
  }

  async authenticate(token: string): Promise<AuthenticatedUser | undefined> {
    const tokenHash = hashToken(token);
    const key = Buffer.from(tokenHash).toString('base64');
    const cached = this.sessions.get(key);
    if (cached) return cached;
    const live = await findSessionUser(this.db, tokenHash);
    if (live) this.sessions.set(key, live.user, live.expiresAt);
    return live?.user;
  }

  async logout(sessionId: bigint): Promise<void> {
    this.sessions.evictSession(sessionId);
    await revokeSession(this.db, sessionId);
  }
}

/** Only a SHA-256 of each token is stored: a leaked sessions table signs nobody in. */
export function hashToken(token: string): Uint8Array {
  return createHash('sha256').update(token).digest();
}
