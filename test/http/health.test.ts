import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp } from '../support/api.js';
import { migrateToLatest } from '../../src/db/migrator/index.js';
import { describeEachEngine } from '../support/databases.js';

describeEachEngine(
  'health endpoints',
  (database) => {
    let app: FastifyInstance;
    before(async () => {
      app = await buildTestApp(database());
    });
    after(async () => {
      await app.close();
    });

    it('answers liveness without touching the database', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/health' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { status: 'ok' });
    });

    it('is not ready while migrations are pending, and ready once they are applied', async () => {
      const before = await app.inject({ method: 'GET', url: '/api/health/ready' });
      assert.equal(before.statusCode, 503);
      const body = before.json<{ status: string; pendingMigrations: string[] }>();
      assert.equal(body.status, 'not_ready');
      assert.ok(body.pendingMigrations.includes('0001_initial_schema'));

      await migrateToLatest(database().db);
      const afterMigrating = await app.inject({ method: 'GET', url: '/api/health/ready' });
      assert.equal(afterMigrating.statusCode, 200);
      assert.equal(afterMigrating.json<{ status: string }>().status, 'ready');
      assert.equal(afterMigrating.json<{ engine: string }>().engine, database().engine);
    });

    it('answers unknown routes with a 404 in the error shape', async () => {
      const response = await app.inject({ method: 'GET', url: '/api/nope' });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json<{ error: { code: string } }>().error.code, 'not_found');
    });
  },
  { migrated: false },
);
