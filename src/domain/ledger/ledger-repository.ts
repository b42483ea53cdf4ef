import type { Kysely, Transaction } from 'kysely';
import type { DB, LedgerTransactionKind } from '../../db/schema.js';
import type { Cents } from '../money.js';

export interface LedgerEntryInput {
  readonly accountId: bigint;
  /** Positive credits the account, negative debits it. */
  readonly amount: Cents;
}

export interface PostTransactionInput {
  readonly kind: LedgerTransactionKind;
  readonly entries: readonly LedgerEntryInput[];
  readonly createdBy?: bigint;
  readonly idempotencyKey?: string;
}

/**
 * Writes one ledger transaction and its entries. Call it inside a database
 * transaction: the entries' sum is checked at commit, and the triggers move
 * the cached balances (refusing to take a wallet below zero).
 */
export async function postLedgerTransaction(
  trx: Transaction<DB> | Kysely<DB>,
  input: PostTransactionInput,
): Promise<bigint> {
  const { id } = await trx
    .insertInto('ledger_transactions')
    .values({
      kind: input.kind,
      created_by: input.createdBy ?? null,
      idempotency_key: input.idempotencyKey ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // Debits first, in account order: a debit that would overdraw fails before
  // anything is credited, and concurrent postings lock accounts in one order.
  const ordered = [...input.entries].sort(
    (a, b) => Number(a.amount > 0n) - Number(b.amount > 0n) || compare(a.accountId, b.accountId),
  );
  await trx
    .insertInto('ledger_entries')
    .values(
      ordered.map((entry) => ({
        transaction_id: id,
        account_id: entry.accountId,
        amount: entry.amount,
      })),
    )
    .execute();
  return id;
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
