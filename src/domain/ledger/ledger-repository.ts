import { sql } from 'kysely';
import type { LedgerTransactionKind } from '../../db/schema.js';
import type { Executor } from '../../db/transaction.js';
import type { Cents } from '../money.js';

export interface LedgerEntryInput {
  readonly accountId: bigint;
  /** Positive credits the account, negative debits it. */
  readonly amount: Cents;
}

export interface PostTransactionInput {
  readonly kind: LedgerTransactionKind;
  readonly entries: readonly LedgerEntryInput[];
  readonly createdBy?: bigint | undefined;
  readonly idempotencyKey?: string | undefined;
}

export interface PostedTransaction {
  readonly id: bigint;
  readonly createdAt: Date;
}

/**
 * Writes one ledger transaction and its entries in a single statement. Call
 * it inside a database transaction: the entries' sum is checked at commit,
 * and the triggers move the cached balances (refusing to take a wallet below
 * zero).
 */
export async function postLedgerTransaction(
  db: Executor,
  input: PostTransactionInput,
): Promise<PostedTransaction> {
  // Debits first, then by account: a debit that would overdraw fails before
  // anything is credited, and balances are updated in one order everywhere.
  const ordered = [...input.entries].sort(
    (a, b) => Number(a.amount > 0n) - Number(b.amount > 0n) || compare(a.accountId, b.accountId),
  );
  const values = sql.join(
    ordered.map(
      (entry, position) => sql`(${position}, ${entry.accountId}::bigint, ${entry.amount}::bigint)`,
    ),
  );
  const result = await sql<{ id: bigint; created_at: Date }>`
    WITH tx AS (
      INSERT INTO ledger_transactions (kind, created_by, idempotency_key)
      VALUES (${input.kind}, ${input.createdBy ?? null}, ${input.idempotencyKey ?? null})
      RETURNING id, created_at
    ), entries AS (
      INSERT INTO ledger_entries (transaction_id, account_id, amount, created_at)
      SELECT tx.id, v.account_id, v.amount, tx.created_at
        FROM tx, (VALUES ${values}) AS v(position, account_id, amount)
       ORDER BY v.position
    )
    SELECT id, created_at FROM tx`.execute(db);
  const row = result.rows[0];
  if (!row) throw new Error('the ledger transaction was not written');
  return { id: row.id, createdAt: row.created_at };
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
