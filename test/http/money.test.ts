import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { formatCents, parseAmount } from '../../src/domain/money.js';
import { depositToWallet } from '../support/factories.js';
import { API_ENGINES, describeEachEngine } from '../support/databases.js';
import {
  addMemberVia,
  as,
  buildTestApp,
  createChamaVia,
  errorCode,
  newReference,
  registerUser,
  type TestChama,
  type TestUser,
} from '../support/api.js';

interface StatementBody {
  items: {
    id: number;
    amount: string;
    runningBalance: string;
    createdAt: string;
    reference: string;
  }[];
  nextCursor: string | null;
}

describeEachEngine(
  'money: contributions, statements, balances and transfers',
  (database) => {
    let app: FastifyInstance;
    let chair: TestUser;
    let treasurer: TestUser;
    let member: TestUser;
    let other: TestUser;
    let stranger: TestUser;
    let chama: TestChama;
    let otherChama: TestChama;

    const deposit = (user: TestUser, amount: string) =>
      depositToWallet(database().db, user, parseAmount(amount));

    const contribute = (
      caller: TestUser,
      chamaId: number,
      body: Record<string, unknown>,
      key?: string,
    ) =>
      as(app, caller, {
        method: 'POST',
        url: `/api/chamas/${chamaId}/contributions`,
        payload: body,
        ...(key ? { headers: { 'idempotency-key': key } } : {}),
      });

    const transfer = (caller: TestUser, body: Record<string, unknown>, key: string | undefined) =>
      as(app, caller, {
        method: 'POST',
        url: '/api/transfers',
        payload: body,
        ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
      });

    const balance = async (caller: TestUser, accountId: number) =>
      (await as(app, caller, { method: 'GET', url: `/api/accounts/${accountId}` })).json<{
        balance: string;
      }>().balance;

    before(async () => {
      app = await buildTestApp(database());
      [chair, treasurer, member, other, stranger] = await Promise.all([
        registerUser(app),
        registerUser(app),
        registerUser(app),
        registerUser(app),
        registerUser(app),
      ]);
      chama = await createChamaVia(app, chair);
      otherChama = await createChamaVia(app, stranger);
      await addMemberVia(app, chair, chama.id, treasurer, 'treasurer');
      await addMemberVia(app, chair, chama.id, member);
      await addMemberVia(app, chair, chama.id, other);
    });
    after(async () => {
      await app.close();
    });

    it('records a contribution and credits the chama wallet (contract B4)', async () => {
      const reference = newReference();
      const response = await contribute(treasurer, chama.id, {
        memberId: member.id,
        amount: '1500.00',
        method: 'mpesa',
        reference,
      });
      assert.equal(response.statusCode, 201, response.body);
      const body = response.json<Record<string, unknown>>();
      assert.deepEqual(
        { ...body, id: 0, createdAt: '' },
        {
          id: 0,
          chamaId: chama.id,
          memberId: member.id,
          amount: '1500.00',
          method: 'mpesa',
          reference,
          createdAt: '',
        },
      );
      assert.equal(await balance(member, chama.walletAccountId), '1500.00');
    });

    it('lets a member record for themself but not for someone else; strangers get 403', async () => {
      const own = await contribute(member, chama.id, {
        memberId: member.id,
        amount: '100',
        method: 'cash',
        reference: newReference(),
      });
      assert.equal(own.statusCode, 201);
      const forOther = await contribute(member, chama.id, {
        memberId: other.id,
        amount: '100',
        method: 'cash',
        reference: newReference(),
      });
      assert.equal(forOther.statusCode, 403);
      assert.equal(errorCode(forOther), 'role_not_allowed');
      const byStranger = await contribute(stranger, chama.id, {
        memberId: stranger.id,
        amount: '100',
        method: 'cash',
        reference: newReference(),
      });
      assert.equal(byStranger.statusCode, 403);
      const forNonMember = await contribute(chair, chama.id, {
        memberId: stranger.id,
        amount: '100',
        method: 'cash',
        reference: newReference(),
      });
      assert.equal(forNonMember.statusCode, 422);
      assert.equal(errorCode(forNonMember), 'member_not_active');
      const missingChama = await contribute(chair, 999999, {
        memberId: chair.id,
        amount: '100',
        method: 'cash',
        reference: newReference(),
      });
      assert.equal(missingChama.statusCode, 404);
    });

    it('refuses a reference used before with 409 and moves nothing', async () => {
      const reference = newReference();
      const first = await contribute(chair, chama.id, {
        memberId: chair.id,
        amount: '10.00',
        method: 'bank',
        reference,
      });
      assert.equal(first.statusCode, 201);
      const before = await balance(chair, chama.walletAccountId);
      const again = await contribute(chair, chama.id, {
        memberId: other.id,
        amount: '20.00',
        method: 'bank',
        reference,
      });
      assert.equal(again.statusCode, 409);
      assert.equal(errorCode(again), 'duplicate_reference');
      assert.equal(await balance(chair, chama.walletAccountId), before);
    });

    it('answers 404 for a chama that does not exist and 422 for a deactivated one, writing nothing', async () => {
      const contributions = async () =>
        (
          await sql<{ n: string }>`SELECT count(*)::text AS n FROM contributions`.execute(
            database().db,
          )
        ).rows[0]?.n;
      const before = await contributions();
      const missing = await contribute(chair, 2_000_000_000, {
        memberId: chair.id,
        amount: '10.00',
        method: 'cash',
        reference: newReference(),
      });
      assert.equal(missing.statusCode, 404);
      assert.equal(errorCode(missing), 'chama_not_found');

      const closing = await createChamaVia(app, chair);
      const deactivated = await as(app, chair, {
        method: 'POST',
        url: `/api/chamas/${closing.id}/deactivate`,
      });
      assert.equal(deactivated.statusCode, 200, deactivated.body);
      const late = await contribute(chair, closing.id, {
        memberId: chair.id,
        amount: '10.00',
        method: 'cash',
        reference: newReference(),
      });
      assert.equal(late.statusCode, 422);
      assert.equal(errorCode(late), 'chama_inactive');
      assert.equal(await balance(chair, closing.walletAccountId), '0.00');
      assert.equal(await contributions(), before);
    });

    it('records once under an Idempotency-Key and replays the receipt', async () => {
      const group = await createChamaVia(app, chair);
      await addMemberVia(app, chair, group.id, member);
      const key = `contribution-${newReference()}`;
      const body = {
        memberId: member.id,
        amount: '25.50',
        method: 'mpesa',
        reference: newReference(),
      };
      const before = await balance(member, group.walletAccountId);
      const first = await contribute(member, group.id, body, key);
      assert.equal(first.statusCode, 201, first.body);
      const again = await contribute(member, group.id, body, key);
      assert.equal(again.statusCode, 201, again.body);
      assert.deepEqual(again.json(), first.json());
      assert.equal(
        await balance(member, group.walletAccountId),
        formatCents(parseAmount(before) + parseAmount('25.50')),
      );
      const refusedKey = `contribution-${newReference()}`;
      const refused = await contribute(
        member,
        group.id,
        { ...body, memberId: chair.id },
        refusedKey,
      );
      assert.equal(refused.statusCode, 403);
      const refusedAgain = await contribute(
        member,
        group.id,
        { ...body, memberId: chair.id },
        refusedKey,
      );
      assert.equal(refusedAgain.statusCode, 403);
      assert.equal(errorCode(refusedAgain), 'role_not_allowed');
    });

    it('refuses amounts that are not positive two-place decimals', async () => {
      const before = await balance(chair, chama.walletAccountId);
      for (const amount of [
        '0',
        '0.00',
        '-5.00',
        '1.001',
        '1e3',
        '',
        ' 1',
        '99999999999999.00',
        1500,
        null,
      ]) {
        const response = await contribute(chair, chama.id, {
          memberId: chair.id,
          amount,
          method: 'cash',
          reference: newReference(),
        });
        assert.equal(response.statusCode, 400, `${JSON.stringify(amount)}: ${response.body}`);
      }
      for (const body of [
        { memberId: chair.id, amount: '1.00', method: 'cheque', reference: newReference() },
        { memberId: chair.id, amount: '1.00', method: 'cash', reference: 'x' },
        { memberId: 'me', amount: '1.00', method: 'cash', reference: newReference() },
        { memberId: chair.id, amount: '1.00', method: 'cash' },
      ]) {
        const response = await contribute(chair, chama.id, body);
        assert.equal(response.statusCode, 400, JSON.stringify(body));
      }
      assert.equal(await balance(chair, chama.walletAccountId), before);
    });

    it('gives running balances that are right on every page (contract B3)', async () => {
      const amounts = ['10.00', '20.50', '0.25', '300.00', '45.05', '5.20', '1000.00'];
      for (const amount of amounts) {
        const response = await contribute(chair, chama.id, {
          memberId: other.id,
          amount,
          method: 'mpesa',
          reference: newReference(),
        });
        assert.equal(response.statusCode, 201);
      }
      const pages: StatementBody['items'][] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/chamas/${chama.id}/members/${other.id}/statement?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
        const response = await as(app, member, { method: 'GET', url });
        assert.equal(response.statusCode, 200, response.body);
        const body: StatementBody = response.json<StatementBody>();
        pages.push(body.items);
        cursor = body.nextCursor;
      } while (cursor);
      assert.deepEqual(
        pages.map((page) => page.length),
        [3, 3, 1],
      );
      const rows = pages.flat();
      assert.deepEqual(
        rows.map((row) => row.amount),
        [...amounts].reverse(),
      );
      // Recompute each running balance directly from the rows, oldest first.
      let total = 0n;
      for (const row of [...rows].reverse()) {
        total += parseAmount(row.amount);
        assert.equal(row.runningBalance, formatCents(total), `row ${row.id}`);
      }
      assert.equal(rows[0]?.runningBalance, '1381.00');
    });

    it('pages through contributions written in the same millisecond without skipping any', async () => {
      const saver = await registerUser(app);
      await addMemberVia(app, chair, chama.id, saver);
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const response = await contribute(saver, chama.id, {
          memberId: saver.id,
          amount: '10.00',
          method: 'cash',
          reference: newReference(),
        });
        assert.equal(response.statusCode, 201, response.body);
        ids.push(response.json<{ id: number }>().id);
      }
      // Newest first is ids[1], ids[0], ids[2]: a cursor cut to milliseconds
      // after ids[1] would have skipped the other two.
      const micros = ['400', '456', '100'];
      for (const [index, id] of ids.entries()) {
        await sql`UPDATE contributions
                     SET created_at = ${`2026-03-01T08:15:30.123${micros[index]}Z`}::timestamptz
                   WHERE id = ${id}`.execute(database().db);
      }
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/api/chamas/${chama.id}/members/${saver.id}/statement?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const body: StatementBody = (await as(app, saver, { method: 'GET', url })).json();
        seen.push(...body.items.map((item) => item.id));
        cursor = body.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, [ids[1], ids[0], ids[2]]);
    });

    it('shows statements to members only, and refuses a garbage cursor', async () => {
      for (const url of [
        `/api/chamas/${chama.id}/members/${member.id}/statement`,
        `/api/chamas/${chama.id}/statement`,
        `/api/chamas/${chama.id}/contributors/top`,
        `/api/chamas/${chama.id}/members`,
      ]) {
        const response = await as(app, stranger, { method: 'GET', url });
        assert.equal(response.statusCode, 403, url);
      }
      const garbage = await as(app, member, {
        method: 'GET',
        url: `/api/chamas/${chama.id}/members/${member.id}/statement?cursor=AAAA`,
      });
      assert.equal(garbage.statusCode, 400);
      assert.equal(errorCode(garbage), 'invalid_cursor');
      const missing = await as(app, member, { method: 'GET', url: `/api/chamas/999999/statement` });
      assert.equal(missing.statusCode, 404);
    });

    it("gives the chama's statement with its running total", async () => {
      const response = await as(app, other, {
        method: 'GET',
        url: `/api/chamas/${chama.id}/statement?limit=200`,
      });
      assert.equal(response.statusCode, 200);
      const items = response.json<{
        items: { amount: string; runningBalance: string; memberName: string }[];
      }>().items;
      assert.equal(items[0]?.runningBalance, await balance(chair, chama.walletAccountId));
      assert.ok(items.every((item) => item.memberName.length > 0));
    });

    it('ranks top contributors with RANK() for a period', async () => {
      const response = await as(app, member, {
        method: 'GET',
        url: `/api/chamas/${chama.id}/contributors/top?limit=3`,
      });
      assert.equal(response.statusCode, 200, response.body);
      const items = response.json<{ items: { rank: number; memberId: number; total: string }[] }>()
        .items;
      assert.deepEqual(
        items.map((item) => [item.rank, item.memberId, item.total]),
        [
          [1, member.id, '1600.00'],
          [2, other.id, '1381.00'],
          [3, chair.id, '10.00'],
        ],
      );
      const future = await as(app, member, {
        method: 'GET',
        url: `/api/chamas/${chama.id}/contributors/top?from=2090-01-01T00:00:00Z&to=2091-01-01T00:00:00Z`,
      });
      assert.deepEqual(future.json<{ items: unknown[] }>().items, []);
      const backwards = await as(app, member, {
        method: 'GET',
        url: `/api/chamas/${chama.id}/contributors/top?from=2091-01-01T00:00:00Z&to=2090-01-01T00:00:00Z`,
      });
      assert.equal(backwards.statusCode, 400);
    });

    it('shows a balance to its owner and a chama wallet to its members only (contract A)', async () => {
      const own = await as(app, member, {
        method: 'GET',
        url: `/api/accounts/${member.walletAccountId}`,
      });
      assert.equal(own.statusCode, 200);
      assert.deepEqual(own.json(), {
        id: member.walletAccountId,
        balance: '0.00',
        currency: 'KES',
      });
      assert.equal(
        (await as(app, stranger, { method: 'GET', url: `/api/accounts/${member.walletAccountId}` }))
          .statusCode,
        403,
      );
      assert.equal(
        (await as(app, member, { method: 'GET', url: `/api/accounts/${chama.walletAccountId}` }))
          .statusCode,
        200,
      );
      assert.equal(
        (await as(app, stranger, { method: 'GET', url: `/api/accounts/${chama.walletAccountId}` }))
          .statusCode,
        403,
      );
      assert.equal(
        (
          await as(app, member, {
            method: 'GET',
            url: `/api/accounts/${otherChama.walletAccountId}`,
          })
        ).statusCode,
        403,
      );
      assert.equal(
        (await as(app, member, { method: 'GET', url: '/api/accounts/999999' })).statusCode,
        404,
      );
      assert.equal(
        (await as(app, member, { method: 'GET', url: '/api/accounts/abc' })).statusCode,
        400,
      );
    });

    it('moves money atomically, and refuses an overdraft with 422 moving nothing (contract B5)', async () => {
      await deposit(member, '100.00');
      const moved = await transfer(
        member,
        {
          fromAccountId: member.walletAccountId,
          toAccountId: other.walletAccountId,
          amount: '40.25',
        },
        'k-move-1',
      );
      assert.equal(moved.statusCode, 201, moved.body);
      assert.deepEqual(
        { ...moved.json<Record<string, unknown>>(), id: 0, createdAt: '' },
        {
          id: 0,
          fromAccountId: member.walletAccountId,
          toAccountId: other.walletAccountId,
          amount: '40.25',
          currency: 'KES',
          createdAt: '',
        },
      );
      assert.equal(await balance(member, member.walletAccountId), '59.75');
      assert.equal(await balance(other, other.walletAccountId), '40.25');

      const overdraft = await transfer(
        member,
        {
          fromAccountId: member.walletAccountId,
          toAccountId: other.walletAccountId,
          amount: '59.76',
        },
        'k-move-2',
      );
      assert.equal(overdraft.statusCode, 422);
      assert.equal(errorCode(overdraft), 'insufficient_funds');
      assert.equal(await balance(member, member.walletAccountId), '59.75');
      assert.equal(await balance(other, other.walletAccountId), '40.25');
    });

    it('replays the first result for a repeated Idempotency-Key and moves nothing again', async () => {
      const body = {
        fromAccountId: member.walletAccountId,
        toAccountId: other.walletAccountId,
        amount: '5.00',
      };
      const first = await transfer(member, body, 'k-replay');
      assert.equal(first.statusCode, 201);
      const second = await transfer(
        member,
        {
          amount: '5.00',
          toAccountId: other.walletAccountId,
          fromAccountId: member.walletAccountId,
        },
        'k-replay',
      );
      assert.equal(second.statusCode, 201);
      assert.equal(second.headers['idempotent-replayed'], 'true');
      assert.deepEqual(second.json(), first.json());
      assert.equal(await balance(member, member.walletAccountId), '54.75');

      const different = await transfer(member, { ...body, amount: '6.00' }, 'k-replay');
      assert.equal(different.statusCode, 409);
      assert.equal(errorCode(different), 'idempotency_key_reused');

      // A refusal is stored too: the retry gets the same 422 even after funds arrive.
      const refused = await transfer(member, { ...body, amount: '1000.00' }, 'k-refused');
      assert.equal(refused.statusCode, 422);
      await deposit(member, '2000.00');
      const retried = await transfer(member, { ...body, amount: '1000.00' }, 'k-refused');
      assert.equal(retried.statusCode, 422);
      assert.equal(errorCode(retried), 'insufficient_funds');

      // Keys are per user: another user's same key is a new request.
      await deposit(other, '1.00');
      const othersKey = await transfer(
        other,
        {
          fromAccountId: other.walletAccountId,
          toAccountId: member.walletAccountId,
          amount: '1.00',
        },
        'k-replay',
      );
      assert.equal(othersKey.statusCode, 201);
    });

    it('refuses transfers that are not the caller’s to make', async () => {
      const missingKey = await transfer(
        member,
        {
          fromAccountId: member.walletAccountId,
          toAccountId: other.walletAccountId,
          amount: '1.00',
        },
        undefined,
      );
      assert.equal(missingKey.statusCode, 400);
      const notMine = await transfer(
        stranger,
        {
          fromAccountId: member.walletAccountId,
          toAccountId: stranger.walletAccountId,
          amount: '1.00',
        },
        'k-theft',
      );
      assert.equal(notMine.statusCode, 403);
      const chamaByMember = await transfer(
        member,
        {
          fromAccountId: chama.walletAccountId,
          toAccountId: member.walletAccountId,
          amount: '1.00',
        },
        'k-chama-member',
      );
      assert.equal(chamaByMember.statusCode, 403);
      const same = await transfer(
        member,
        {
          fromAccountId: member.walletAccountId,
          toAccountId: member.walletAccountId,
          amount: '1.00',
        },
        'k-same',
      );
      assert.equal(same.statusCode, 400);
      const toFunding = await database()
        .db.selectFrom('accounts')
        .select('id')
        .where('user_id', '=', BigInt(other.id))
        .where('kind', '=', 'funding')
        .executeTakeFirstOrThrow();
      const intoFunding = await transfer(
        member,
        {
          fromAccountId: member.walletAccountId,
          toAccountId: Number(toFunding.id),
          amount: '1.00',
        },
        'k-funding',
      );
      assert.equal(intoFunding.statusCode, 422);
      const nowhere = await transfer(
        member,
        { fromAccountId: member.walletAccountId, toAccountId: 999999, amount: '1.00' },
        'k-nowhere',
      );
      assert.equal(nowhere.statusCode, 404);
    });

    it('lets the treasurer pay out of the chama wallet', async () => {
      const before = parseAmount(await balance(treasurer, chama.walletAccountId));
      const payout = await transfer(
        treasurer,
        {
          fromAccountId: chama.walletAccountId,
          toAccountId: member.walletAccountId,
          amount: '500.00',
        },
        'k-payout',
      );
      assert.equal(payout.statusCode, 201, payout.body);
      assert.equal(await balance(treasurer, chama.walletAccountId), formatCents(before - 50000n));
    });

    it('leaves the ledger balanced and every cached balance equal to its entries', async () => {
      const drift = await sql<{ id: bigint }>`
      SELECT a.id FROM accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
       GROUP BY a.id, a.balance HAVING a.balance <> coalesce(sum(e.amount), 0)`.execute(
        database().db,
      );
      assert.deepEqual(drift.rows, []);
      const unbalanced = await sql<{ transaction_id: bigint }>`
      SELECT transaction_id FROM ledger_entries GROUP BY transaction_id HAVING sum(amount) <> 0`.execute(
        database().db,
      );
      assert.deepEqual(unbalanced.rows, []);
    });
  },
  { engines: API_ENGINES },
);
