import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { API_ENGINES, describeEachEngine } from '../support/databases.js';
import { buildTestApp } from '../support/api.js';

describeEachEngine(
  'the OpenAPI document and reference page',
  (database) => {
    let app: FastifyInstance;
    before(async () => {
      app = await buildTestApp(database());
    });
    after(async () => {
      await app.close();
    });

    it('documents every contract endpoint from the route schemas', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
      assert.equal(response.statusCode, 200);
      const document = response.json<{
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
      }>();
      assert.match(document.openapi, /^3\./);
      const expected: [string, string][] = [
        ['/api/auth/login', 'post'],
        ['/api/me', 'get'],
        ['/api/accounts/{accountId}', 'get'],
        ['/api/chamas', 'get'],
        ['/api/chamas/search', 'get'],
        ['/api/chamas/{chamaId}/members/{userId}/statement', 'get'],
        ['/api/chamas/{chamaId}/contributions', 'post'],
        ['/api/transfers', 'post'],
        ['/api/chamas/nearby', 'get'],
        ['/api/me/preferences', 'patch'],
      ];
      for (const [path, method] of expected) {
        assert.ok(document.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
      }
    });

    it('serves an interactive reference page', async () => {
      const page = await app.inject({ method: 'GET', url: '/api/docs/' });
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers['content-type']), /text\/html/);
      assert.match(page.body, /swagger/i);
    });
  },
  { engines: API_ENGINES },
);
