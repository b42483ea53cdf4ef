import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, StoredOutcome } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import { conflict, DomainError } from '../errors.js';

export interface IdempotentRequest {
  readonly userId: bigint;
  readonly key: string;
  /** A digest of the method, route and body. */
  readonly fingerprint: string;
}

export interface IdempotentResult<T> {
  readonly value: T;
  /** True when this is the stored outcome of an earlier request with the key. */
  readonly replayed: boolean;
}

/**
 * Idempotency keys, following Stripe. The key is claimed inside the same
 * transaction as the money movement, so either both happen or neither. A
 * concurrent request with the same key waits on the claim's unique index and
 * then replays the outcome the first one stored. A refusal (say, insufficient
 * funds) is stored too, so a retry gets the same answer.
 */
export class IdempotencyService {
  constructor(private readonly db: Kysely<DB>) {}

  async run<T>(
    request: IdempotentRequest | undefined,
    work: (trx: Transaction<DB>) => Promise<T>,
  ): Promise<IdempotentResult<T>> {
    if (!request) return { value: await inTransaction(this.db, work), replayed: false };
    try {
      return await inTransaction(this.db, async (trx) => {
        const stored = await this.claim(trx, request);
        if (stored) return { value: replay<T>(stored), replayed: true };
        const value = await work(trx);
        await trx
          .updateTable('idempotency_keys')
          .set({ outcome: JSON.stringify({ ok: value }) })
          .where('user_id', '=', request.userId)
          .where('key', '=', request.key)
          .execute();
        return { value, replayed: false };
      });
    } catch (error) {
      if (
        error instanceof DomainError &&
        error.code !== 'idempotency_key_reused' &&
        !replayedRefusals.has(error)
      ) {
        await this.storeRefusal(request, error);
      }
      throw error;
    }
  }

  /** Deletes outcomes older than the retention period; returns how many. */
  async purge(retentionHours: number): Promise<number> {
    const result = await this.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<', sql<Date>`now() - make_interval(hours => ${retentionHours})`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Claims the key, or returns the outcome already stored under it. */
  private async claim(
    trx: Transaction<DB>,
    request: IdempotentRequest,
  ): Promise<StoredOutcome | undefined> {
    const claimed = await trx
      .insertInto('idempotency_keys')
      .values({
        user_id: request.userId,
        key: request.key,
        request_fingerprint: request.fingerprint,
        outcome: JSON.stringify({ ok: null }),
      })
      .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (claimed) return undefined;
    const existing = await trx
      .selectFrom('idempotency_keys')
      .select(['request_fingerprint', 'outcome'])
      .where('user_id', '=', request.userId)
      .where('key', '=', request.key)
      .executeTakeFirstOrThrow();
    if (existing.request_fingerprint !== request.fingerprint) {
      throw conflict(
        'idempotency_key_reused',
        'This Idempotency-Key was already used for a different request',
      );
    }
    return existing.outcome;
  }

  private async storeRefusal(request: IdempotentRequest, error: DomainError): Promise<void> {
    const outcome: StoredOutcome = {
      error: { kind: error.kind, code: error.code, message: error.message },
    };
    await this.db
      .insertInto('idempotency_keys')
      .values({
        user_id: request.userId,
        key: request.key,
        request_fingerprint: request.fingerprint,
        outcome: JSON.stringify(outcome),
      })
      .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
      .execute();
  }
}

const replayedRefusals = new WeakSet<DomainError>();

function replay<T>(outcome: StoredOutcome): T {
  if ('error' in outcome) {
    const { kind, code, message } = outcome.error;
    const refusal = new DomainError(kind as DomainError['kind'], code, message);
    replayedRefusals.add(refusal);
    throw refusal;
  }
  return outcome.ok as T;
}
