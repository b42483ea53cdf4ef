/**
 * Proof at scale: on the benchmark data set (seeded small), the statement
 * behind each hot route can use its intended index and scans none of the big
 * tables sequentially. Sequential scans are switched off for the check
 * (enable_seqscan = off): on tables this small the planner would rightly
 * prefer them, so what is proven is that a usable index exists and is chosen
 * whenever scanning stops being cheap.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { sql } from 'kysely';
import { explain } from '../../src/db/inspector/explain.js';
import { describeScans } from '../../src/db/inspector/scan-counts.js';
import { HOT_ROUTES, loadSample, traceRoute } from '../../src/ops/explain/hot-routes.js';
import { seedDatabase } from '../../src/ops/seed/seed.js';
import { describeEachEngine } from '../support/databases.js';

const BIG_TABLES = [
  'users',
  'chamas',
  'memberships',
  'contributions',
  'ledger_entries',
  'ledger_transactions',
  'accounts',
];

describeEachEngine('hot routes use their indexes on the benchmark data set', (database) => {
  before(async () => {
    await seedDatabase(database(), { scale: 0.05, seed: 7, force: true, log: () => undefined });
  });

  for (const route of HOT_ROUTES) {
    it(`${route.name} (${route.route}) uses ${route.intendedIndex}`, async () => {
      await database()
        .db.transaction()
        .execute(async (trx) => {
          await sql`SET LOCAL enable_seqscan = off`.execute(trx);
          const sample = await loadSample(trx);
          const { statements, scans } = await traceRoute(trx, route, sample);
          assert.ok(statements.length >= 1, 'the route runs a statement');
          const plans = [];
          for (const statement of statements) {
            plans.push(await explain(trx, statement.sql, statement.parameters));
          }
          const plan = plans.map((entry) => entry.plan).join('\n');
          // The counters see inside the functions behind B2 and B3; EXPLAIN does not.
          const seen = `index scans: ${describeScans(scans.indexScans)}\n${plan}`;
          assert.ok((scans.indexScans.get(route.intendedIndex) ?? 0) >= 1, seen);
          const scanned = [
            ...scans.sequentialScans.keys(),
            ...plans.flatMap((entry) => entry.sequentialScans.map((scan) => scan.table)),
          ];
          assert.deepEqual(
            scanned.filter((table) => BIG_TABLES.includes(table)),
            [],
            seen,
          );
        });
    });
  }
});
