import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { API_ENGINES, describeEachEngine } from '../support/databases.js';
import { as, buildTestApp, createChamaVia, registerUser, type TestUser } from '../support/api.js';

describeEachEngine(
  'statements per request',
  (database) => {
    let app: FastifyInstance;
    let user: TestUser;
    before(async () => {
      app = await buildTestApp(database());
      user = await registerUser(app);
      for (let i = 0; i < 3; i++) await createChamaVia(app, user);
    });
    after(async () => {
      await app.close();
    });

    const count = (response: { headers: Record<string, unknown> }) =>
      Number(response.headers['x-query-count']);

    it('reports the count and database time on every response', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/chamas?limit=1' });
      assert.equal(count(response), 1);
      assert.match(
        String(response.headers['server-timing']),
        /^db;dur=\d+\.\d\d;desc="1 statements"$/,
      );
    });

    it('runs one statement for the chama list (B1) whatever the page size', async () => {
      for (const limit of [1, 2, 50, 100]) {
        assert.equal(
          count(await app.inject({ method: 'GET', url: `/api/chamas?limit=${limit}` })),
          1,
          `limit=${limit}`,
        );
      }
      assert.equal(
        count(await app.inject({ method: 'GET', url: '/api/chamas/search?q=umoja' })),
        1,
      );
    });

    it('authenticates with one indexed lookup, then serves the session from its cache', async () => {
      const fresh = await registerUser(app);
      assert.equal(
        count(await as(app, fresh, { method: 'GET', url: '/api/me' })),
        1,
        'cold: the session lookup',
      );
      assert.equal(
        count(await as(app, fresh, { method: 'GET', url: '/api/me' })),
        0,
        'warm: from the cache',
      );
    });

    it('runs one statement for A and for B3 once the session is cached', async () => {
      await as(app, user, { method: 'GET', url: '/api/me' });
      assert.equal(
        count(await as(app, user, { method: 'GET', url: `/api/accounts/${user.walletAccountId}` })),
        1,
      );
      for (const limit of [1, 50, 200]) {
        const url = `/api/chamas/1/members/${user.id}/statement?limit=${limit}`;
        assert.equal(count(await as(app, user, { method: 'GET', url })), 1, url);
      }
    });
  },
  { engines: API_ENGINES },
);
