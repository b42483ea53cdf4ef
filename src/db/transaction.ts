import { setTimeout as sleep } from 'node:timers/promises';
import type { IsolationLevel, Kysely, Transaction } from 'kysely';
import type { DB } from './schema.js';
import { isDatabaseError, SqlState } from './sqlstate.js';

export type Executor = Kysely<DB> | Transaction<DB>;

const RETRYABLE = new Set<string>([SqlState.serializationFailure, SqlState.deadlockDetected]);

/**
 * Runs `work` in one database transaction. A serialization failure or a
 * deadlock means PostgreSQL rolled the whole transaction back and it is safe
 * to run again, so it is retried here (with jitter) and never reaches a client.
 */
export async function inTransaction<T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
  options: { isolation?: IsolationLevel; attempts?: number } = {},
): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    try {
      let builder = db.transaction();
      if (options.isolation) builder = builder.setIsolationLevel(options.isolation);
      return await builder.execute(work);
    } catch (error) {
      if (attempt >= attempts || !isDatabaseError(error) || !RETRYABLE.has(error.code)) throw error;
      await sleep(Math.random() * 5 * attempt);
    }
  }
}
