import { sql } from 'kysely';
import type { Executor } from '../../db/transaction.js';

/** Creates a session and stamps the user's last sign-in, in one statement. */
export async function insertSession(
  db: Executor,
  userId: bigint,
  tokenHash: Uint8Array,
  ttlHours: number,
): Promise<void> {
  await sql`
    WITH touched AS (
      UPDATE users SET last_login_at = now() WHERE id = ${userId} RETURNING id
    )
    INSERT INTO sessions (user_id, token_hash, expires_at)
    SELECT id, ${tokenHash}, now() + make_interval(hours => ${ttlHours}) FROM touched`.execute(db);
}

export interface AuthenticatedUser {
  readonly sessionId: bigint;
  readonly userId: bigint;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly walletAccountId: bigint | null;
}

export interface LiveSession {
  readonly user: AuthenticatedUser;
  readonly expiresAt: Date;
}

/**
 * The one lookup behind every authenticated request: a live session of an
 * active user, with what GET /api/me needs. Served by sessions_token_hash_idx.
 */
export async function findSessionUser(
  db: Executor,
  tokenHash: Uint8Array,
): Promise<LiveSession | undefined> {
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('accounts as w', (join) =>
      join.onRef('w.user_id', '=', 'u.id').on('w.kind', '=', 'wallet'),
    )
    .select([
      's.id as session_id',
      'u.id as user_id',
      'u.email',
      'u.first_name',
      'u.last_name',
      'w.id as wallet_account_id',
      's.expires_at',
    ])
    .where('s.token_hash', '=', tokenHash)
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', sql<Date>`now()`)
    .where('u.is_active', '=', true)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    user: {
      sessionId: row.session_id,
      userId: row.user_id,
      email: row.email,
      firstName: row.first_name,
      lastName: row.last_name,
      walletAccountId: row.wallet_account_id,
    },
    expiresAt: row.expires_at,
  };
}

export async function revokeSession(db: Executor, sessionId: bigint): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: sql<Date>`now()` })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
}
