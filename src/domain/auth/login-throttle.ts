import { sql } from 'kysely';
import type { Executor } from '../../db/transaction.js';

export interface ThrottleKeys {
  /** The lower-cased email being signed in to. */
  readonly account: string;
  /** The client's address. */
  readonly address: string;
}

export interface ThrottleLimits {
  readonly maxFailuresPerAccount: number;
  readonly maxFailuresPerAddress: number;
  readonly failureWindowMinutes: number;
}

export interface ThrottleState {
  readonly blocked: boolean;
  /** Seconds until the oldest counted failure leaves the window. */
  readonly retryAfterSeconds: number;
  /** Whether any failures are on record (a success then clears the account's). */
  readonly hasFailures: boolean;
}

/** Reads the failure counters for this account and address. One indexed statement. */
export async function readThrottle(
  db: Executor,
  keys: ThrottleKeys,
  limits: ThrottleLimits,
): Promise<ThrottleState> {
  const rows = await db
    .selectFrom('login_throttles')
    .select([
      'scope',
      'failures',
      sql<number>`ceil(extract(epoch FROM window_started_at + make_interval(mins => ${limits.failureWindowMinutes}) - now()))::int`.as(
        'seconds_left',
      ),
    ])
    .where((eb) =>
      eb.or([
        eb.and([eb('scope', '=', 'account'), eb('key', '=', keys.account)]),
        eb.and([eb('scope', '=', 'address'), eb('key', '=', keys.address)]),
      ]),
    )
    .execute();
  let blocked = false;
  let retryAfterSeconds = 0;
  let hasFailures = false;
  for (const row of rows) {
    if (row.seconds_left <= 0) continue;
    hasFailures = true;
    const limit =
      row.scope === 'account' ? limits.maxFailuresPerAccount : limits.maxFailuresPerAddress;
    if (row.failures >= limit) {
      blocked = true;
      retryAfterSeconds = Math.max(retryAfterSeconds, row.seconds_left);
    }
  }
  return { blocked, retryAfterSeconds, hasFailures };
}

/** Counts one failed sign-in against the account and the address; an expired window restarts. */
export async function recordFailure(
  db: Executor,
  keys: ThrottleKeys,
  limits: ThrottleLimits,
): Promise<void> {
  await sql`
    INSERT INTO login_throttles AS t (scope, key, failures)
    VALUES ('account', ${keys.account}, 1), ('address', ${keys.address}, 1)
    ON CONFLICT (scope, key) DO UPDATE SET
      failures = CASE WHEN t.window_started_at < now() - make_interval(mins => ${limits.failureWindowMinutes})
                      THEN 1 ELSE t.failures + 1 END,
      window_started_at = CASE WHEN t.window_started_at < now() - make_interval(mins => ${limits.failureWindowMinutes})
                               THEN now() ELSE t.window_started_at END`.execute(db);
}

export async function clearAccountFailures(db: Executor, account: string): Promise<void> {
  await db
    .deleteFrom('login_throttles')
    .where('scope', '=', 'account')
    .where('key', '=', account)
    .execute();
}
