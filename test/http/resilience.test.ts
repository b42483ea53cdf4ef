import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database } from '../../src/db/database.js';
import { buildTestApp, errorCode } from '../support/api.js';

describe('when the database cannot be reached', () => {
  let database: Database;
  let app: FastifyInstance;
  before(async () => {
    const url = 'postgres://postgres@127.0.0.1:1/nowhere';
    database = await openDatabase({ engine: 'postgres', url, migrationUrl: url });
    app = await buildTestApp(database);
  });
  after(async () => {
    await app.close();
    await database.close();
  });

  it('answers 503 database_unavailable instead of crashing', async () => {
    const list = await app.inject({ method: 'GET', url: '/api/chamas' });
    assert.equal(list.statusCode, 503);
    assert.equal(errorCode(list), 'database_unavailable');
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'a@example.com', password: 'whatever-it-is' },
    });
    assert.equal(login.statusCode, 503);
  });

  it('reports not ready, while liveness stays up', async () => {
    const ready = await app.inject({ method: 'GET', url: '/api/health/ready' });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json<{ databaseReachable: boolean }>().databaseReachable, false);
    assert.equal((await app.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
  });
});
