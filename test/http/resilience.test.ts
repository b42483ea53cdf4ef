import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.js';
import { loadConfig } from '../../src/config/config.js';
import {
  describeOnServer,
  pgbouncerEngine,
  serverEngine,
  type TestDatabase,
} from '../support/databases.js';
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

describeOnServer('when every pooled connection is busy', () => {
  let template: TestDatabase;
  let database: Database;
  let app: FastifyInstance;
  before(async () => {
    template = await serverEngine.create();
    const url = template.url ?? '';
    database = await openDatabase({
      engine: 'postgres',
      url,
      migrationUrl: url,
      poolMax: 1,
      connectTimeoutMs: 200,
      statementTimeoutMs: 1500,
    });
    app = await buildTestApp(database);
  });
  after(async () => {
    await app.close();
    await database.close();
    await template.close();
  });

  it('shows pool figures in readiness and sets the statement timeout on every connection', async () => {
    const ready = await app.inject({ method: 'GET', url: '/api/health/ready' });
    assert.equal(ready.statusCode, 200);
    const pool = ready.json<{
      pool: { max: number; total: number; idle: number; waiting: number };
    }>().pool;
    assert.equal(pool.max, 1);
    assert.equal(pool.waiting, 0);
    const timeout = await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(
      database.db,
    );
    assert.equal(timeout.rows[0]?.statement_timeout, '1500ms');
  });

  it('answers 503 database_busy after the acquire timeout, then serves again once a connection frees', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holder = database.db.transaction().execute(() => held);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const busy = await app.inject({ method: 'GET', url: '/api/chamas' });
    assert.equal(busy.statusCode, 503);
    assert.equal(errorCode(busy), 'database_busy');
    assert.equal(busy.headers['retry-after'], '1');
    assert.ok(Date.now() - started < 2_000, 'it did not hang');
    release();
    await holder;
    assert.equal((await app.inject({ method: 'GET', url: '/api/chamas' })).statusCode, 200);
  });
});

describe('behind PgBouncer in transaction pooling mode', { skip: pgbouncerEngine.skip }, () => {
  it('connects with the default configuration (no startup parameter PgBouncer refuses)', async () => {
    const probe = await pgbouncerEngine.create();
    try {
      const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: probe.url ?? '' });
      const database = await openDatabase(config.database);
      try {
        const result = await sql<{ one: number }>`SELECT 1 AS one`.execute(database.db);
        assert.equal(result.rows[0]?.one, 1);
      } finally {
        await database.close();
      }
    } finally {
      await probe.close();
    }
  });
});
