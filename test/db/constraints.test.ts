import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { SqlState } from '../../src/db/sqlstate.js';
import { postLedgerTransaction } from '../../src/domain/ledger/ledger-repository.js';
import { describeEachEngine } from '../support/databases.js';
import {
  addMember,
  assertRefused,
  balanceOf,
  createChama,
  createFundedUser,
  createUser,
} from '../support/factories.js';

describeEachEngine('the schema refuses what the rules forbid', (database) => {
  const db = () => database().db;

  it('refuses a second account with the same email in another case', async () => {
    await createUser(db(), { email: 'Akinyi.Otieno@example.com' });
    await assertRefused(
      createUser(db(), { email: 'akinyi.otieno@EXAMPLE.com' }),
      SqlState.uniqueViolation,
      'users_email_lower_key',
    );
  });

  it('refuses a phone number that is not E.164, and a phone used twice', async () => {
    await assertRefused(
      createUser(db(), { phone: '0712345678' }),
      SqlState.checkViolation,
      'users_phone_e164',
    );
    await createUser(db(), { phone: '+254712345678' });
    await assertRefused(
      createUser(db(), { phone: '+254712345678' }),
      SqlState.uniqueViolation,
      'users_phone_key',
    );
    // Many users may have no phone at all.
    await createUser(db());
    await createUser(db());
  });

  it('gives new users default preferences', async () => {
    const user = await createUser(db());
    const row = await db()
      .selectFrom('users')
      .select('preferences')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row.preferences, {
      theme: 'light',
      language: 'en',
      notifications: { email: true, sms: false },
    });
  });

  it('refuses a second chair in one chama', async () => {
    const chair = await createUser(db());
    const other = await createUser(db());
    const chama = await createChama(db(), chair.id);
    await assertRefused(
      addMember(db(), chama.id, other.id, 'chair'),
      SqlState.uniqueViolation,
      'memberships_one_chair_per_chama',
    );
    await addMember(db(), chama.id, other.id, 'treasurer');
  });

  it('refuses the same member twice in one chama', async () => {
    const chair = await createUser(db());
    const chama = await createChama(db(), chair.id);
    await assertRefused(
      addMember(db(), chama.id, chair.id),
      SqlState.uniqueViolation,
      'memberships_chama_user_key',
    );
  });

  it('refuses, at commit, a chama whose chair is not a member', async () => {
    const chair = await createUser(db());
    await assertRefused(
      db().insertInto('chamas').values({ name: 'Harambee Thika', chair_id: chair.id }).execute(),
      SqlState.foreignKeyViolation,
      'chamas_chair_is_member',
    );
  });

  it('refuses a contribution from someone who is not a member of the chama', async () => {
    const chair = await createUser(db());
    const chama = await createChama(db(), chair.id);
    const stranger = await createUser(db());
    await assertRefused(
      db()
        .transaction()
        .execute(async (trx) => {
          const { id: transactionId } = await postLedgerTransaction(trx, {
            kind: 'contribution',
            entries: [
              { accountId: chama.fundingId, amount: -50_000n },
              { accountId: chama.walletId, amount: 50_000n },
            ],
          });
          await trx
            .insertInto('contributions')
            .values({
              chama_id: chama.id,
              member_id: stranger.id,
              amount: 50_000n,
              method: 'mpesa',
              reference: 'QJK3X5T8LM',
              ledger_transaction_id: transactionId,
            })
            .execute();
        }),
      SqlState.foreignKeyViolation,
      'contributions_member_fk',
    );
    // Nothing of the refused contribution remains, not even its ledger half.
    assert.equal(await balanceOf(db(), chama.walletId), 0n);
  });

  it('refuses a contribution of zero and a reference used twice', async () => {
    const chair = await createUser(db());
    const chama = await createChama(db(), chair.id);
    const contribute = (amount: bigint, reference: string) =>
      db()
        .transaction()
        .execute(async (trx) => {
          const { id: transactionId } = await postLedgerTransaction(trx, {
            kind: 'contribution',
            entries: [
              { accountId: chama.fundingId, amount: -(amount || 1n) },
              { accountId: chama.walletId, amount: amount || 1n },
            ],
          });
          await trx
            .insertInto('contributions')
            .values({
              chama_id: chama.id,
              member_id: chair.id,
              amount,
              method: 'cash',
              reference,
              ledger_transaction_id: transactionId,
            })
            .execute();
        });
    await assertRefused(
      contribute(0n, 'CASH000001'),
      SqlState.checkViolation,
      'contributions_amount_positive',
    );
    await contribute(1_500_00n, 'CASH000002');
    await assertRefused(
      contribute(1_500_00n, 'CASH000002'),
      SqlState.uniqueViolation,
      'contributions_reference_key',
    );
    assert.equal(await balanceOf(db(), chama.walletId), 1_500_00n);
  });

  it('refuses, at commit, a ledger transaction whose entries do not sum to zero', async () => {
    const payer = await createFundedUser(db(), 10_000_00n);
    const payee = await createFundedUser(db(), 0n);
    await assertRefused(
      db()
        .transaction()
        .execute((trx) =>
          postLedgerTransaction(trx, {
            kind: 'transfer',
            entries: [
              { accountId: payer.walletId, amount: -100_00n },
              { accountId: payee.walletId, amount: 99_00n },
            ],
          }),
        ),
      SqlState.checkViolation,
      'ledger_transaction_balanced',
    );
    await assertRefused(
      db()
        .transaction()
        .execute((trx) =>
          postLedgerTransaction(trx, {
            kind: 'transfer',
            entries: [{ accountId: payee.walletId, amount: 100_00n }],
          }),
        ),
      SqlState.checkViolation,
      'ledger_transaction_balanced',
    );
    assert.equal(await balanceOf(db(), payer.walletId), 10_000_00n);
    assert.equal(await balanceOf(db(), payee.walletId), 0n);
  });

  it('refuses a transfer that would take a wallet below zero, and moves nothing', async () => {
    const payer = await createFundedUser(db(), 100_00n);
    const payee = await createFundedUser(db(), 0n);
    await assertRefused(
      db()
        .transaction()
        .execute((trx) =>
          postLedgerTransaction(trx, {
            kind: 'transfer',
            entries: [
              { accountId: payee.walletId, amount: 100_01n },
              { accountId: payer.walletId, amount: -100_01n },
            ],
          }),
        ),
      SqlState.checkViolation,
      'accounts_balance_sign',
    );
    assert.equal(await balanceOf(db(), payer.walletId), 100_00n);
    assert.equal(await balanceOf(db(), payee.walletId), 0n);
  });

  it('refuses any change to a balance that does not come from a ledger entry', async () => {
    const user = await createFundedUser(db(), 100_00n);
    await assertRefused(
      sql`UPDATE accounts SET balance = balance + 1000000 WHERE id = ${user.walletId}`.execute(
        db(),
      ),
      SqlState.checkViolation,
      'accounts_balance_from_ledger',
    );
    await assertRefused(
      sql`INSERT INTO accounts (user_id, kind, balance) VALUES (${user.id}, 'wallet', 5)`.execute(
        db(),
      ),
      SqlState.checkViolation,
      'accounts_balance_from_ledger',
    );
    assert.equal(await balanceOf(db(), user.walletId), 100_00n);
  });

  it('refuses to update, delete or truncate ledger history', async () => {
    const user = await createFundedUser(db(), 100_00n);
    const entry = await db()
      .selectFrom('ledger_entries')
      .select(['id', 'transaction_id'])
      .where('account_id', '=', user.walletId)
      .executeTakeFirstOrThrow();
    await assertRefused(
      sql`UPDATE ledger_entries SET amount = 1 WHERE id = ${entry.id}`.execute(db()),
      SqlState.integrityConstraintViolation,
    );
    await assertRefused(
      sql`DELETE FROM ledger_entries WHERE id = ${entry.id}`.execute(db()),
      SqlState.integrityConstraintViolation,
    );
    await assertRefused(
      sql`TRUNCATE ledger_entries CASCADE`.execute(db()),
      SqlState.integrityConstraintViolation,
    );
    await assertRefused(
      sql`DELETE FROM ledger_transactions WHERE id = ${entry.transaction_id}`.execute(db()),
      SqlState.integrityConstraintViolation,
    );
    assert.equal(await balanceOf(db(), user.walletId), 100_00n);
  });

  it('keeps every cached balance equal to the sum of its ledger entries', async () => {
    const alice = await createFundedUser(db(), 500_00n);
    const bob = await createFundedUser(db(), 200_00n);
    for (const [from, to, cents] of [
      [alice, bob, 120_50n],
      [bob, alice, 20_25n],
      [alice, bob, 1n],
    ] as const) {
      await db()
        .transaction()
        .execute((trx) =>
          postLedgerTransaction(trx, {
            kind: 'transfer',
            entries: [
              { accountId: from.walletId, amount: -cents },
              { accountId: to.walletId, amount: cents },
            ],
          }),
        );
    }
    assert.equal(await balanceOf(db(), alice.walletId), 500_00n - 120_50n + 20_25n - 1n);
    assert.equal(await balanceOf(db(), bob.walletId), 200_00n + 120_50n - 20_25n + 1n);
    const drift = await sql<{ id: bigint }>`
      SELECT a.id FROM accounts a
        LEFT JOIN ledger_entries e ON e.account_id = a.id
       GROUP BY a.id, a.balance
      HAVING a.balance <> coalesce(sum(e.amount), 0)`.execute(db());
    assert.deepEqual(drift.rows, []);
    const total = await sql<{ total: string }>`
      SELECT coalesce(sum(balance), 0)::text AS total FROM accounts`.execute(db());
    assert.equal(total.rows[0]?.total, '0', 'money is neither created nor destroyed');
  });
});
