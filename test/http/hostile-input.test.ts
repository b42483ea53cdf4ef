/**
 * No request a user can send on purpose may produce a 500. Every route gets
 * a battery of malformed ids, queries, bodies and headers.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { API_ENGINES, describeEachEngine } from '../support/databases.js';
import { as, buildTestApp, createChamaVia, registerUser, type TestUser } from '../support/api.js';

const ODD_VALUES: unknown[] = [
  null,
  true,
  -1,
  0,
  1.5,
  '',
  ' ',
  "'; DROP TABLE users; --",
  '\u0000',
  'x'.repeat(10_000),
  [],
  {},
  { $gt: '' },
];

describeEachEngine(
  'hostile input never causes a 500',
  (database) => {
    let app: FastifyInstance;
    let user: TestUser;
    let chamaId: number;
    before(async () => {
      app = await buildTestApp(database());
      user = await registerUser(app);
      chamaId = (await createChamaVia(app, user)).id;
    });
    after(async () => {
      await app.close();
    });

    const routes = () => [
      ['POST', '/api/auth/register'],
      ['POST', '/api/auth/login'],
      ['PATCH', '/api/me/preferences'],
      ['POST', '/api/chamas'],
      ['PATCH', `/api/chamas/${chamaId}`],
      ['POST', `/api/chamas/${chamaId}/members`],
      ['PATCH', `/api/chamas/${chamaId}/members/${user.id}`],
      ['POST', `/api/chamas/${chamaId}/contributions`],
      ['POST', '/api/transfers'],
    ];

    it('survives odd JSON bodies on every write route', async () => {
      for (const [method, url] of routes()) {
        for (const value of ODD_VALUES) {
          for (const payload of [
            value,
            { amount: value, memberId: value, email: value, name: value, role: value },
          ]) {
            const response = await as(app, user, {
              method: method!,
              url: url!,
              payload: JSON.stringify(payload),
              headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
            });
            assert.ok(
              response.statusCode < 500,
              `${method} ${url} ${JSON.stringify(payload)?.slice(0, 80)}: ${response.statusCode} ${response.body}`,
            );
          }
        }
      }
    });

    it('survives numbers JavaScript cannot hold exactly', async () => {
      for (const [method, url] of routes()) {
        const response = await as(app, user, {
          method: method!,
          url: url!,
          payload:
            '{"amount": 1e309, "memberId": 9007199254740993, "fromAccountId": -0, "toAccountId": 1e2}',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'k' },
        });
        assert.ok(
          response.statusCode < 500,
          `${method} ${url}: ${response.statusCode} ${response.body}`,
        );
      }
    });

    it('survives odd ids, query strings, content types and headers', async () => {
      const urls = [
        '/api/chamas/0',
        '/api/chamas/-1',
        '/api/chamas/1e3',
        '/api/chamas/99999999999999999999999',
        '/api/chamas/%00',
        `/api/chamas/${chamaId}/members/abc/statement`,
        `/api/chamas/${chamaId}/members/${user.id}/statement?limit=-1`,
        `/api/chamas/${chamaId}/members/${user.id}/statement?cursor=${'A'.repeat(300)}`,
        `/api/chamas/${chamaId}/contributors/top?from=not-a-date`,
        '/api/chamas/search?q=' + encodeURIComponent('!!! ((( & | <-> :*'),
        '/api/chamas/search?q=' + encodeURIComponent('"unterminated'),
        '/api/chamas/nearby?lat=NaN&lng=Infinity',
        '/api/accounts/18446744073709551616',
        '/api/chamas?limit=50&limit=60',
      ];
      for (const url of urls) {
        const response = await as(app, user, { method: 'GET', url });
        assert.ok(response.statusCode < 500, `${url}: ${response.statusCode} ${response.body}`);
      }
      const asText = await as(app, user, {
        method: 'POST',
        url: '/api/transfers',
        payload: 'amount=1',
        headers: { 'content-type': 'text/plain', 'idempotency-key': 'k' },
      });
      assert.equal(asText.statusCode, 400);
      const huge = await as(app, user, {
        method: 'POST',
        url: '/api/chamas',
        payload: JSON.stringify({ name: 'x', description: 'y'.repeat(100_000) }),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(huge.statusCode, 413);
      const longKey = await as(app, user, {
        method: 'POST',
        url: '/api/transfers',
        payload: { fromAccountId: 1, toAccountId: 2, amount: '1.00' },
        headers: { 'idempotency-key': 'k'.repeat(1000) },
      });
      assert.equal(longKey.statusCode, 400);
    });
  },
  { engines: API_ENGINES },
);
