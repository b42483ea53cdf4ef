import { sql } from 'kysely';
import type { Executor } from '../../db/transaction.js';

/** Opens the wallet and funding accounts of a new user or chama; returns the wallet's id. */
export async function openAccounts(
  db: Executor,
  owner: { userId: bigint } | { chamaId: bigint },
  currency = 'KES',
): Promise<bigint> {
  const user_id = 'userId' in owner ? owner.userId : null;
  const chama_id = 'chamaId' in owner ? owner.chamaId : null;
  const rows = await db
    .insertInto('accounts')
    .values([
      { user_id, chama_id, kind: 'wallet', currency },
      { user_id, chama_id, kind: 'funding', currency },
    ])
    .returning(['id', 'kind'])
    .execute();
  const wallet = rows.find((row) => row.kind === 'wallet');
  if (!wallet) throw new Error('wallet account was not created');
  return wallet.id;
}

export interface AccountForReader {
  readonly id: bigint;
  readonly balance: bigint;
  readonly currency: string;
  readonly readable: boolean;
}

/**
 * An account with whether `readerId` may see it: its owner, or an active
 * member of the chama that owns it. One statement.
 */
export async function findAccountForReader(
  db: Executor,
  accountId: bigint,
  readerId: bigint,
): Promise<AccountForReader | undefined> {
  return db
    .selectFrom('accounts as a')
    .select([
      'a.id',
      'a.balance',
      'a.currency',
      sql<boolean>`(a.user_id = ${readerId} OR EXISTS (
        SELECT 1 FROM memberships m
         WHERE m.chama_id = a.chama_id AND m.user_id = ${readerId} AND m.status = 'active'))`.as(
        'readable',
      ),
    ])
    .where('a.id', '=', accountId)
    .executeTakeFirst();
}

export interface LockedAccount {
  readonly id: bigint;
  readonly kind: 'wallet' | 'funding';
  readonly currency: string;
  readonly balance: bigint;
  /** The caller owns it, or is chair or treasurer of the chama that owns it. */
  readonly callerMayDebit: boolean;
}

/**
 * Locks the given accounts FOR UPDATE in ascending id order. Every money
 * movement locks in this one order, so two transfers in opposite directions
 * queue behind each other instead of deadlocking.
 */
export async function lockAccounts(
  db: Executor,
  accountIds: readonly bigint[],
  callerId: bigint,
): Promise<LockedAccount[]> {
  const rows = await db
    .selectFrom('accounts as a')
    .select([
      'a.id',
      'a.kind',
      'a.currency',
      'a.balance',
      sql<boolean>`(a.user_id = ${callerId} OR EXISTS (
        SELECT 1 FROM memberships m
         WHERE m.chama_id = a.chama_id AND m.user_id = ${callerId}
           AND m.status = 'active' AND m.role IN ('chair', 'treasurer')))`.as('caller_may_debit'),
    ])
    .where('a.id', 'in', [...accountIds])
    .orderBy('a.id')
    .forUpdate('a')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    currency: row.currency,
    balance: row.balance,
    callerMayDebit: row.caller_may_debit,
  }));
}
