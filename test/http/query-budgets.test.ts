/**
 * Every route declares its query budget next to it (config.queryBudget), and
 * runs the same number of statements whatever the size of the data: each
 * route is exercised in a small chama world and in one several times bigger.
 * A loop that adds a statement per row fails here (and, on five rows, trips
 * the N+1 detector in every other test).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { depositToWallet } from '../support/factories.js';
import {
  addMemberVia,
  as,
  buildTestApp,
  createChamaVia,
  newReference,
  PASSWORD,
  registerUser,
  type TestUser,
} from '../support/api.js';
import { describeEachEngine } from '../support/databases.js';

const ADMIN_TOKEN = 'admin-token-for-budget-tests-0123456789';

type Counts = Map<string, number>;

async function exercise(
  app: FastifyInstance,
  size: number,
  db: Parameters<typeof depositToWallet>[0],
): Promise<Counts> {
  const counts: Counts = new Map();
  const record = (route: string, response: LightMyRequestResponse) => {
    assert.ok(response.statusCode < 400, `${route}: ${response.statusCode} ${response.body}`);
    counts.set(route, Number(response.headers['x-query-count']));
    return response;
  };
  const chair = await registerUser(app);
  const members: TestUser[] = [];
  const chamas = [];
  for (let c = 0; c < size; c++) {
    chamas.push(
      await createChamaVia(app, chair, {
        tags: ['savings', 'women'],
        meetingLocation: { lat: -1.28 + c / 100, lng: 36.82 },
      }),
    );
  }
  const chama = chamas[0] ?? (await createChamaVia(app, chair));
  for (let m = 0; m < size * 2; m++) {
    const member = await registerUser(app);
    await addMemberVia(app, chair, chama.id, member);
    members.push(member);
  }
  const member = members[0] as TestUser;
  await depositToWallet(db, chair, 1_000_000n);
  for (let k = 0; k < size * 2; k++) {
    await as(app, chair, {
      method: 'POST',
      url: `/api/chamas/${chama.id}/contributions`,
      payload: { memberId: chair.id, amount: '10.00', method: 'mpesa', reference: newReference() },
    });
  }
  // Warm every session, so each count below is the route's own statements.
  for (const user of [chair, member]) await as(app, user, { method: 'GET', url: '/api/me' });

  const registered = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: {
      email: `budget-${Date.now()}-${size}@example.com`,
      password: PASSWORD,
      firstName: 'Njeri',
      lastName: 'Kariuki',
    },
  });
  record('POST /api/auth/register', registered);
  const login = record(
    'POST /api/auth/login',
    await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: chair.email, password: PASSWORD },
    }),
  );
  const fresh = { ...chair, token: login.json<{ token: string }>().token };
  record('GET /api/me', await as(app, chair, { method: 'GET', url: '/api/me' }));
  record(
    'GET /api/me/preferences',
    await as(app, chair, { method: 'GET', url: '/api/me/preferences' }),
  );
  record(
    'PATCH /api/me/preferences',
    await as(app, chair, {
      method: 'PATCH',
      url: '/api/me/preferences',
      payload: { notifications: { sms: true } },
    }),
  );
  record('GET /api/me/chamas', await as(app, chair, { method: 'GET', url: '/api/me/chamas' }));
  record(
    'GET /api/chamas',
    await app.inject({ method: 'GET', url: '/api/chamas?limit=50&tag=women' }),
  );
  record(
    'GET /api/chamas/search',
    await app.inject({ method: 'GET', url: '/api/chamas/search?q=umoja' }),
  );
  record(
    'GET /api/chamas/nearby',
    await app.inject({ method: 'GET', url: '/api/chamas/nearby?lat=-1.28&lng=36.82' }),
  );
  const created = record(
    'POST /api/chamas',
    await as(app, chair, {
      method: 'POST',
      url: '/api/chamas',
      payload: { name: `Budget ${size} ${Date.now()}` },
    }),
  );
  const createdId = created.json<{ id: number }>().id;
  record(
    'GET /api/chamas/:chamaId',
    await as(app, chair, { method: 'GET', url: `/api/chamas/${chama.id}` }),
  );
  record(
    'PATCH /api/chamas/:chamaId',
    await as(app, chair, {
      method: 'PATCH',
      url: `/api/chamas/${chama.id}`,
      payload: { description: 'Updated' },
    }),
  );
  record(
    'GET /api/chamas/:chamaId/members',
    await as(app, chair, { method: 'GET', url: `/api/chamas/${chama.id}/members` }),
  );
  const newcomer = await registerUser(app);
  record(
    'POST /api/chamas/:chamaId/members',
    await as(app, chair, {
      method: 'POST',
      url: `/api/chamas/${chama.id}/members`,
      payload: { email: newcomer.email },
    }),
  );
  record(
    'PATCH /api/chamas/:chamaId/members/:userId',
    await as(app, chair, {
      method: 'PATCH',
      url: `/api/chamas/${chama.id}/members/${newcomer.id}`,
      payload: { role: 'secretary' },
    }),
  );
  record(
    'DELETE /api/chamas/:chamaId/members/:userId',
    await as(app, chair, {
      method: 'DELETE',
      url: `/api/chamas/${chama.id}/members/${newcomer.id}`,
    }),
  );
  record(
    'POST /api/chamas/:chamaId/contributions',
    await as(app, chair, {
      method: 'POST',
      url: `/api/chamas/${chama.id}/contributions`,
      payload: { memberId: chair.id, amount: '25.00', method: 'cash', reference: newReference() },
    }),
  );
  record(
    'GET /api/chamas/:chamaId/members/:userId/statement',
    await as(app, chair, {
      method: 'GET',
      url: `/api/chamas/${chama.id}/members/${chair.id}/statement?limit=50`,
    }),
  );
  record(
    'GET /api/chamas/:chamaId/statement',
    await as(app, chair, { method: 'GET', url: `/api/chamas/${chama.id}/statement` }),
  );
  record(
    'GET /api/chamas/:chamaId/contributors/top',
    await as(app, chair, { method: 'GET', url: `/api/chamas/${chama.id}/contributors/top` }),
  );
  record(
    'GET /api/accounts/:accountId',
    await as(app, chair, { method: 'GET', url: `/api/accounts/${chair.walletAccountId}` }),
  );
  record(
    'POST /api/transfers',
    await as(app, chair, {
      method: 'POST',
      url: '/api/transfers',
      headers: { 'idempotency-key': `budget-${size}-${Date.now()}` },
      payload: {
        fromAccountId: chair.walletAccountId,
        toAccountId: member.walletAccountId,
        amount: '5.00',
      },
    }),
  );
  record(
    'POST /api/chamas/:chamaId/deactivate',
    await as(app, chair, { method: 'POST', url: `/api/chamas/${createdId}/deactivate` }),
  );
  record(
    'POST /api/auth/logout',
    await as(app, fresh, { method: 'POST', url: '/api/auth/logout' }),
  );
  record('GET /api/health', await app.inject({ method: 'GET', url: '/api/health' }));
  record('GET /api/health/ready', await app.inject({ method: 'GET', url: '/api/health/ready' }));
  record(
    'GET /api/admin/users/notify',
    await app.inject({
      method: 'GET',
      url: '/api/admin/users/notify?channel=sms',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }),
  );
  record(
    'GET /api/admin/db/stats',
    await app.inject({
      method: 'GET',
      url: '/api/admin/db/stats',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }),
  );
  return counts;
}

describeEachEngine('query budgets: every route, two data sizes', (database) => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildTestApp(database(), { ADMIN_TOKEN });
  });
  after(async () => {
    await app.close();
  });

  it('runs the same statements, within budget, for a small and a bigger world', async () => {
    const small = await exercise(app, 2, database().db);
    const big = await exercise(app, 7, database().db);
    const problems: string[] = [];
    const routes = [...app.inspector.routes].filter(
      ([route]) =>
        route.includes(' /api/') &&
        !route.includes('/api/docs') &&
        !route.endsWith('/api/openapi.json'),
    );
    assert.ok(routes.length >= 25, `found ${routes.length} routes`);
    for (const [route, budget] of routes) {
      if (budget === undefined) problems.push(`${route} declares no queryBudget`);
      if (!small.has(route)) problems.push(`${route} is not exercised by this test`);
      const counts = [small.get(route), big.get(route)];
      if (counts[0] !== counts[1])
        problems.push(`${route}: ${counts[0]} statements small, ${counts[1]} big`);
      if (budget !== undefined && (counts[1] ?? 0) > budget)
        problems.push(`${route}: ${counts[1]} statements, budget ${budget}`);
    }
    assert.deepEqual(problems, [], [...small].map(([route, n]) => `${route}=${n}`).join('\n'));
  });
});
