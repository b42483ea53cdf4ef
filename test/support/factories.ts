/** Small factories that write rows straight into a test database. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AccountKind, DB, MembershipRole } from '../../src/db/schema.js';
import { postLedgerTransaction } from '../../src/domain/ledger/ledger-repository.js';

const unique = () => randomBytes(5).toString('hex');

export interface UserRow {
  readonly id: bigint;
  readonly email: string;
}

export async function createUser(
  db: Kysely<DB>,
  overrides: Partial<{ email: string; phone: string | null; firstName: string }> = {},
): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({
      email: overrides.email ?? `member-${unique()}@example.com`,
      phone: overrides.phone ?? null,
      first_name: overrides.firstName ?? 'Wanjiku',
      last_name: 'Kamau',
      password_hash: 'not-a-real-hash',
    })
    .returning(['id', 'email'])
    .executeTakeFirstOrThrow();
}

export interface ChamaRow {
  readonly id: bigint;
  readonly walletId: bigint;
  readonly fundingId: bigint;
}

/** A chama with its chair as a member and its two accounts. */
export async function createChama(
  db: Kysely<DB>,
  chairId: bigint,
  overrides: Partial<{ name: string; description: string; tags: string[] }> = {},
): Promise<ChamaRow> {
  return db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('chamas')
      .values({
        name: overrides.name ?? `Umoja ${unique()}`,
        description: overrides.description ?? 'A savings group',
        tags: overrides.tags ?? ['savings'],
        chair_id: chairId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('memberships')
      .values({ chama_id: id, user_id: chairId, role: 'chair' })
      .execute();
    const walletId = await openAccount(trx, { chamaId: id }, 'wallet');
    const fundingId = await openAccount(trx, { chamaId: id }, 'funding');
    return { id, walletId, fundingId };
  });
}

export async function addMember(
  db: Kysely<DB>,
  chamaId: bigint,
  userId: bigint,
  role: MembershipRole = 'member',
): Promise<void> {
  await db.insertInto('memberships').values({ chama_id: chamaId, user_id: userId, role }).execute();
}

export async function openAccount(
  db: Kysely<DB>,
  owner: { userId: bigint } | { chamaId: bigint },
  kind: AccountKind,
): Promise<bigint> {
  const { id } = await db
    .insertInto('accounts')
    .values({
      kind,
      user_id: 'userId' in owner ? owner.userId : null,
      chama_id: 'chamaId' in owner ? owner.chamaId : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** A user with a wallet holding `cents`, deposited through the ledger. */
export async function createFundedUser(
  db: Kysely<DB>,
  cents: bigint,
): Promise<UserRow & { walletId: bigint; fundingId: bigint }> {
  const user = await createUser(db);
  const walletId = await openAccount(db, { userId: user.id }, 'wallet');
  const fundingId = await openAccount(db, { userId: user.id }, 'funding');
  if (cents > 0n) {
    await db.transaction().execute((trx) =>
      postLedgerTransaction(trx, {
        kind: 'deposit',
        entries: [
          { accountId: fundingId, amount: -cents },
          { accountId: walletId, amount: cents },
        ],
      }),
    );
  }
  return { ...user, walletId, fundingId };
}

export async function balanceOf(db: Kysely<DB>, accountId: bigint): Promise<bigint> {
  const row = await db
    .selectFrom('accounts')
    .select('balance')
    .where('id', '=', accountId)
    .executeTakeFirstOrThrow();
  return row.balance;
}

/**
 * Asserts that `work` is refused by the database with `sqlState`, and, when
 * given, by the named constraint.
 */
export async function assertRefused(
  work: Promise<unknown>,
  sqlState: string,
  constraint?: string,
): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    const { code, constraint: actual } = error as { code?: string; constraint?: string };
    assert.equal(code, sqlState, `expected SQLSTATE ${sqlState}: ${String(error)}`);
    if (constraint !== undefined) assert.equal(actual, constraint);
    return true;
  });
}

/** Puts money in a user's wallet the way an M-Pesa top-up would: funding account to wallet. */
export async function depositToWallet(
  db: Kysely<DB>,
  user: { id: number | bigint; walletAccountId: number | bigint },
  cents: bigint,
): Promise<void> {
  const funding = await db
    .selectFrom('accounts')
    .select('id')
    .where('user_id', '=', BigInt(user.id))
    .where('kind', '=', 'funding')
    .executeTakeFirstOrThrow();
  await db.transaction().execute((trx) =>
    postLedgerTransaction(trx, {
      kind: 'deposit',
      entries: [
        { accountId: funding.id, amount: -cents },
        { accountId: BigInt(user.walletAccountId), amount: cents },
      ],
    }),
  );
}
