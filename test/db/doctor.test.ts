import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { runDoctor, type DoctorReport } from '../../src/ops/doctor/doctor.js';
import { checkLedgerInvariants } from '../../src/ops/integrity/ledger-invariants.js';
import { addMember, createChama, createFundedUser, createUser } from '../support/factories.js';
import { describeEachEngine } from '../support/databases.js';

const SHIPPED = [
  '0001_initial_schema',
  '0002_idempotency_and_login_throttles',
  '0003_chama_member_count',
  '0004_hot_route_functions',
];
const machine = { ramBytes: 4 * 1024 ** 3, cores: 2, storage: 'ssd' as const };

function worst(report: DoctorReport, area: string): string[] {
  return report.findings
    .filter((finding) => finding.area === area && finding.severity !== 'ok')
    .map((finding) => `${finding.check}: ${finding.evidence}`);
}

describeEachEngine('db doctor: ChamaHub’s own checks, on both engines', (database) => {
  it('finds nothing wrong with a fresh, migrated database with money in it', async () => {
    await createFundedUser(database().db, 50_000n);
    const report = await runDoctor(database().db, {
      engine: database().engine,
      shippedMigrations: SHIPPED,
      machine,
      poolMax: 10,
    });
    assert.deepEqual(worst(report, 'indexes'), []);
    assert.deepEqual(worst(report, 'chamahub'), []);
    assert.deepEqual(
      report.findings.filter((f) => f.area === 'health' && f.severity !== 'ok'),
      [],
    );
    if (database().engine === 'pglite') {
      assert.ok(report.skipped.some((skip) => /embedded database/.test(skip.reason)));
      assert.equal(report.findings.filter((f) => f.area === 'settings').length, 0);
    }
  });

  it('finds a tampered balance, an unbalanced transaction and a negative wallet', async () => {
    const user = await createFundedUser(database().db, 10_000n);
    // What a careless manual fix would do: bypass ChamaHub's guards and edit the books.
    await sql`ALTER TABLE accounts DROP CONSTRAINT accounts_balance_sign`.execute(database().db);
    await sql`ALTER TABLE accounts DISABLE TRIGGER USER`.execute(database().db);
    await sql`ALTER TABLE ledger_entries DISABLE TRIGGER USER`.execute(database().db);
    try {
      await sql`UPDATE accounts SET balance = -1 WHERE id = ${user.walletId}`.execute(
        database().db,
      );
      await sql`UPDATE ledger_entries SET amount = amount + 1
                 WHERE id = (SELECT max(id) FROM ledger_entries)`.execute(database().db);
    } finally {
      await sql`ALTER TABLE accounts ENABLE TRIGGER USER`.execute(database().db);
      await sql`ALTER TABLE ledger_entries ENABLE TRIGGER USER`.execute(database().db);
    }
    const invariants = await checkLedgerInvariants(database().db);
    assert.deepEqual(
      invariants.map((invariant) => [invariant.rule, invariant.violations > 0]),
      [
        ['every ledger transaction sums to zero', true],
        ['every cached balance equals the sum of its entries', true],
        ['no wallet is negative', true],
        ["every chama's member count equals its active memberships", false],
      ],
    );
    const report = await runDoctor(database().db, {
      engine: database().engine,
      shippedMigrations: [...SHIPPED, '0005_not_yet_applied'],
      machine,
      poolMax: 10,
    });
    const critical = report.findings.filter((f) => f.severity === 'critical').map((f) => f.check);
    for (const check of [
      'migrations',
      'every ledger transaction sums to zero',
      'every cached balance equals the sum of its entries',
      'no wallet is negative',
    ]) {
      assert.ok(critical.includes(check), `${check} is critical; got ${critical.join(', ')}`);
    }
  });

  it("keeps each chama's member count as members join, are suspended, leave or move", async () => {
    const db = database().db;
    const [chair, second, third] = await Promise.all([1, 2, 3].map(() => createUser(db)));
    const chama = await createChama(db, chair!.id);
    const other = await createChama(db, chair!.id);
    await addMember(db, chama.id, second!.id);
    await addMember(db, chama.id, third!.id);
    const counts = async () => {
      const rows = await db
        .selectFrom('chamas')
        .select(['id', 'member_count'])
        .where('id', 'in', [chama.id, other.id])
        .orderBy('id')
        .execute();
      return rows.map((row) => row.member_count);
    };
    const changeMembership = (
      userId: bigint,
      change: { status?: 'suspended'; role?: 'treasurer'; chama_id?: bigint },
    ) => db.updateTable('memberships').set(change).where('user_id', '=', userId).execute();
    assert.deepEqual(await counts(), [3, 1]);
    await changeMembership(second!.id, { status: 'suspended' });
    assert.deepEqual(await counts(), [2, 1]);
    await changeMembership(third!.id, { role: 'treasurer' });
    assert.deepEqual(await counts(), [2, 1], 'a role change leaves the count alone');
    await changeMembership(third!.id, { chama_id: other.id });
    assert.deepEqual(await counts(), [1, 2]);
    await db.deleteFrom('memberships').where('user_id', '=', second!.id).execute();
    assert.deepEqual(await counts(), [1, 2], 'removing a suspended member changes nothing');

    await sql`UPDATE chamas SET member_count = 7 WHERE id = ${chama.id}`.execute(db);
    const drifted = (await checkLedgerInvariants(db)).find((invariant) =>
      invariant.rule.startsWith("every chama's member count"),
    );
    assert.deepEqual(drifted?.examples, [String(chama.id)]);
    await sql`UPDATE chamas SET member_count = 1 WHERE id = ${chama.id}`.execute(db);
  });
});
