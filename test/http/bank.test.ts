/**
 * A bank test in the style of Jepsen: many concurrent transfers in both
 * directions among a few wallets, some larger than the balance. Afterwards no
 * money was created or lost, no wallet is negative, every cached balance
 * equals its ledger entries, and no request failed with a 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { postLedgerTransaction } from '../../src/domain/ledger/ledger-repository.js';
import { describe } from 'node:test';
import {
  pgbouncerEngine,
  serverEngine,
  type TestDatabase,
  type TestEngine,
} from '../support/databases.js';
import { as, buildTestApp, registerUser, type TestUser } from '../support/api.js';

const WALLETS = 5;
const TRANSFERS = 400;
// Forty clients at a time keep every pooled connection and every wallet's row
// lock contended, while no request waits behind hundreds of others for longer
// than the pool's acquire timeout on a loaded CI machine.
const CLIENTS = 40;
const OPENING_CENTS = 100_000n; // 1,000.00 each

for (const engine of [serverEngine, pgbouncerEngine] as TestEngine[]) {
  describe(
    `the bank test: concurrent transfers keep the books exact [${engine.name}]`,
    { skip: engine.skip },
    () => {
      let database: TestDatabase;
      let app: FastifyInstance;
      let users: TestUser[];

      before(async () => {
        database = await engine.create();
        app = await buildTestApp(database);
        users = [];
        for (let i = 0; i < WALLETS; i++) users.push(await registerUser(app));
        for (const user of users) {
          const funding = await database.db
            .selectFrom('accounts')
            .select('id')
            .where('user_id', '=', BigInt(user.id))
            .where('kind', '=', 'funding')
            .executeTakeFirstOrThrow();
          await database.db.transaction().execute((trx) =>
            postLedgerTransaction(trx, {
              kind: 'deposit',
              entries: [
                { accountId: funding.id, amount: -OPENING_CENTS },
                { accountId: BigInt(user.walletAccountId), amount: OPENING_CENTS },
              ],
            }),
          );
        }
      });
      after(async () => {
        await app?.close();
        await database?.close();
      });

      const walletTotal = async () => {
        const result = await sql<{ total: string; negatives: string }>`
      SELECT sum(balance)::text AS total, count(*) FILTER (WHERE balance < 0)::text AS negatives
        FROM accounts WHERE kind = 'wallet' AND user_id IS NOT NULL`.execute(database.db);
        return result.rows[0];
      };

      it('talks to the database the way this suite says it does', async () => {
        const port = await sql<{ port: number }>`SELECT inet_server_port() AS port`.execute(
          database.db,
        );
        const urlPort = new URL(database.url ?? '').port || '5432';
        const behindPooler = urlPort !== String(port.rows[0]?.port);
        assert.equal(behindPooler, engine === pgbouncerEngine);
      });

      it('moves money concurrently in both directions without creating, losing or overdrawing', async () => {
        assert.equal((await walletTotal())?.total, String(OPENING_CENTS * BigInt(WALLETS)));
        let seed = 7;
        const random = (n: number) => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed % n;
        };
        const statuses = new Map<number, number>();
        const transfer = (i: number) => {
          const from = users[random(WALLETS)]!;
          let to = users[random(WALLETS)]!;
          if (to === from) to = users[(users.indexOf(from) + 1) % WALLETS]!;
          // 1.00 to 700.00: many exceed what the source holds at that moment.
          const amount = `${1 + random(700)}.${String(random(100)).padStart(2, '0')}`;
          return as(app, from, {
            method: 'POST',
            url: '/api/transfers',
            headers: { 'idempotency-key': `bank-${i}` },
            payload: {
              fromAccountId: from.walletAccountId,
              toAccountId: to.walletAccountId,
              amount,
            },
          }).then((response) => {
            statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
            if (response.statusCode >= 500) assert.fail(`${response.statusCode}: ${response.body}`);
          });
        };
        let next = 0;
        const client = async () => {
          while (next < TRANSFERS) await transfer(next++);
        };
        await Promise.all(Array.from({ length: CLIENTS }, client));

        const counted = [...statuses.entries()].sort();
        assert.deepEqual(
          counted.map(([status]) => status).filter((status) => status !== 201 && status !== 422),
          [],
          `only 201 and 422 expected: ${JSON.stringify(counted)}`,
        );
        assert.ok((statuses.get(201) ?? 0) > TRANSFERS / 4, JSON.stringify(counted));
        assert.ok((statuses.get(422) ?? 0) > 0, 'some transfers were larger than the balance');

        const totals = await walletTotal();
        assert.equal(
          totals?.total,
          String(OPENING_CENTS * BigInt(WALLETS)),
          'no money created or lost',
        );
        assert.equal(totals?.negatives, '0');
        const drift = await sql<{ id: bigint }>`
      SELECT a.id FROM accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
       GROUP BY a.id, a.balance HAVING a.balance <> coalesce(sum(e.amount), 0)`.execute(
          database.db,
        );
        assert.deepEqual(drift.rows, []);
        const transfers = await sql<{ n: string }>`
      SELECT count(*)::text AS n FROM ledger_transactions WHERE kind = 'transfer'`.execute(
          database.db,
        );
        assert.equal(
          transfers.rows[0]?.n,
          String(statuses.get(201)),
          'one ledger transaction per 201',
        );
      });

      it('moves money once when the same Idempotency-Key arrives many times at once', async () => {
        const [from, to] = [users[0]!, users[1]!];
        const before = await sql<{ n: string }>`
      SELECT count(*)::text AS n FROM ledger_transactions WHERE kind = 'transfer'`.execute(
          database.db,
        );
        const responses = await Promise.all(
          Array.from({ length: 20 }, () =>
            as(app, from, {
              method: 'POST',
              url: '/api/transfers',
              headers: { 'idempotency-key': 'same-key-at-once' },
              payload: {
                fromAccountId: from.walletAccountId,
                toAccountId: to.walletAccountId,
                amount: '0.01',
              },
            }),
          ),
        );
        const bodies = new Set(responses.map((response) => response.body));
        assert.deepEqual(
          responses.map((response) => response.statusCode).filter((status) => status !== 201),
          [],
        );
        assert.equal(bodies.size, 1, 'every response is the first one');
        const afterwards = await sql<{ n: string }>`
      SELECT count(*)::text AS n FROM ledger_transactions WHERE kind = 'transfer'`.execute(
          database.db,
        );
        assert.equal(Number(afterwards.rows[0]?.n) - Number(before.rows[0]?.n), 1);
      });
    },
  );
}
