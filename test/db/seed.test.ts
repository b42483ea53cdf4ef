import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { snapshotSchema, type SchemaSnapshot } from '../../src/db/catalog.js';
import { SEED_PASSWORD, SeedRefusedError, seedDatabase } from '../../src/ops/seed/seed.js';
import { buildTestApp } from '../support/api.js';
import { describeEachEngine } from '../support/databases.js';

const SCALE = 0.01;
const quiet = () => undefined;

describeEachEngine('seeding the benchmark data set', (database) => {
  let schemaBefore: SchemaSnapshot;
  let app: FastifyInstance;
  before(async () => {
    schemaBefore = await snapshotSchema(database().db);
    await seedDatabase(database(), { scale: SCALE, seed: 42, force: false, log: quiet });
    app = await buildTestApp(database());
  });
  after(async () => {
    await app.close();
  });

  const fingerprint = async () => {
    const result = await sql<{ fingerprint: string }>`
      SELECT md5(string_agg(c.reference || c.amount || c.member_id || c.created_at, ',' ORDER BY c.id)) ||
             md5((SELECT string_agg(u.email || u.phone || u.first_name, ',' ORDER BY u.id) FROM users u)) AS fingerprint
        FROM contributions c`.execute(database().db);
    return result.rows[0]?.fingerprint;
  };

  it('loads the contract shapes at scale', async () => {
    const counts = await sql<Record<string, string>>`
      SELECT (SELECT count(*) FROM users)::text AS users,
             (SELECT count(*) FROM chamas)::text AS chamas,
             (SELECT count(*) FROM memberships)::text AS memberships,
             (SELECT count(*) FROM contributions)::text AS contributions,
             (SELECT count(*) FROM accounts)::text AS accounts,
             (SELECT count(*) FROM users WHERE email = 'user7@example.com' AND id = 7)::text AS email_by_id,
             (SELECT count(*) FROM users WHERE phone !~ '^[+]2547[0-9]{8}$')::text AS bad_phones,
             (SELECT count(*) FROM chamas c WHERE NOT EXISTS (
                SELECT 1 FROM memberships m WHERE m.chama_id = c.id AND m.user_id = c.chair_id AND m.role = 'chair'))::text AS chairs_not_members,
             (SELECT min(amount) >= 10000 AND max(amount) <= 1000000 FROM contributions)::text AS amounts_in_range,
             (SELECT count(*) FROM contributions WHERE reference !~ '^[A-Z0-9]{10}$')::text AS bad_references`.execute(
      database().db,
    );
    const row = counts.rows[0]!;
    assert.equal(row.users, '200');
    assert.equal(row.chamas, '20');
    assert.ok(Number(row.memberships) >= 20 * 5 && Number(row.memberships) <= 20 * 55);
    assert.ok(
      Number(row.contributions) > 5_000 && Number(row.contributions) < 15_000,
      row.contributions,
    );
    assert.equal(row.accounts, String(2 * 200 + 2 * 20));
    assert.equal(row.email_by_id, '1');
    assert.equal(row.bad_phones, '0');
    assert.equal(row.chairs_not_members, '0');
    assert.equal(row.amounts_in_range, 'true');
    assert.equal(row.bad_references, '0');
  });

  it('leaves the ledger balanced and every chama wallet holding the sum of its contributions', async () => {
    const check = await sql<{
      unbalanced: string;
      drifted: string;
      wrong_chama_wallets: string;
      total: string;
    }>`
      SELECT (SELECT count(*) FROM (SELECT 1 FROM ledger_entries GROUP BY transaction_id HAVING sum(amount) <> 0) t)::text AS unbalanced,
             (SELECT count(*) FROM accounts a WHERE a.balance <> (SELECT coalesce(sum(amount), 0) FROM ledger_entries e WHERE e.account_id = a.id))::text AS drifted,
             (SELECT count(*) FROM accounts a WHERE a.kind = 'wallet' AND a.chama_id IS NOT NULL
                 AND a.balance <> (SELECT coalesce(sum(amount), 0) FROM contributions c WHERE c.chama_id = a.chama_id))::text AS wrong_chama_wallets,
             (SELECT sum(balance)::text FROM accounts) AS total`.execute(database().db);
    assert.deepEqual(check.rows[0], {
      unbalanced: '0',
      drifted: '0',
      wrong_chama_wallets: '0',
      total: '0',
    });
  });

  it('keeps the schema exactly as the migrations built it, triggers on', async () => {
    assert.deepEqual(await snapshotSchema(database().db), schemaBefore);
    const disabled = await sql<{ n: string }>`
      SELECT count(*)::text AS n FROM pg_trigger WHERE NOT tgisinternal AND tgenabled = 'D'`.execute(
      database().db,
    );
    assert.equal(disabled.rows[0]?.n, '0');
  });

  it('serves the seeded users with the shared password, and new rows get fresh ids', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'user3@example.com', password: SEED_PASSWORD },
    });
    assert.equal(login.statusCode, 200, login.body);
    const register = await app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: {
        email: 'newcomer@example.com',
        password: 'a-new-member-1',
        firstName: 'New',
        lastName: 'Comer',
      },
    });
    assert.equal(register.statusCode, 201, register.body);
    assert.equal(register.json<{ id: number }>().id, 201);
  });

  it('refuses to seed over existing users without --force, and with it gives the same data again', async () => {
    const before = await fingerprint();
    await assert.rejects(
      seedDatabase(database(), { scale: SCALE, seed: 42, force: false, log: quiet }),
      SeedRefusedError,
    );
    await seedDatabase(database(), { scale: SCALE, seed: 42, force: true, log: quiet });
    assert.equal(await fingerprint(), before, 'deterministic for a given seed');
    await seedDatabase(database(), { scale: SCALE, seed: 7, force: true, log: quiet });
    assert.notEqual(await fingerprint(), before, 'another seed gives other data');
  });
});
