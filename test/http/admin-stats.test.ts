import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { collectStats } from '../../src/ops/monitoring/stats.js';
import { buildTestApp, registerUser } from '../support/api.js';
import { describeEachEngine } from '../support/databases.js';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';

describeEachEngine('database statistics (db stats and GET /api/admin/db/stats)', (database) => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildTestApp(database(), { ADMIN_TOKEN });
    for (let i = 0; i < 3; i++) await registerUser(app);
    await sql`ANALYZE users`.execute(database().db);
  });
  after(async () => {
    await app.close();
  });

  it('reports sizes, row estimates, connections and the cache hit rate of the live database', async () => {
    const stats = await collectStats(database().db, database().engine, database().pool);
    assert.ok(stats.databaseBytes > 1_000_000, `database size ${stats.databaseBytes}`);
    const users = stats.tables.find((table) => table.table === 'users');
    assert.ok(users, 'the users table is listed');
    assert.equal(users.estimatedRows, 3);
    assert.ok(users.indexBytes > 0 && users.totalBytes >= users.tableBytes + users.indexBytes);
    assert.ok(stats.connections.total >= 1);
    assert.ok(stats.connections.max >= stats.connections.total);
    assert.ok(stats.cacheHitRate !== null && stats.cacheHitRate > 0 && stats.cacheHitRate <= 1);
    assert.ok(stats.indexes.some((index) => index.index === 'users_pkey'));
  });

  it('says plainly why slow statements are not shown when pg_stat_statements is missing', async () => {
    const stats = await collectStats(database().db, database().engine);
    assert.equal(stats.statements.available, false);
    if (!stats.statements.available) {
      assert.match(
        stats.statements.reason,
        database().engine === 'pglite'
          ? /not available on the embedded database/
          : /shared_preload_libraries.*CREATE EXTENSION pg_stat_statements/,
      );
    }
  });

  it('serves the same figures to an admin only', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/api/admin/db/stats' });
    assert.equal(anonymous.statusCode, 401);
    const member = await registerUser(app);
    const asMember = await app.inject({
      method: 'GET',
      url: '/api/admin/db/stats',
      headers: { authorization: `Bearer ${member.token}` },
    });
    assert.equal(asMember.statusCode, 401);
    const asAdmin = await app.inject({
      method: 'GET',
      url: '/api/admin/db/stats',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(asAdmin.statusCode, 200, asAdmin.body);
    const body = asAdmin.json<{ engine: string; tables: { table: string }[]; pool?: unknown }>();
    assert.equal(body.engine, database().engine);
    assert.ok(body.tables.some((table) => table.table === 'contributions'));
    assert.equal(body.pool !== undefined, database().engine === 'postgres');
  });

  it('keeps the admin endpoints off when ADMIN_TOKEN is not set', async () => {
    const withoutToken = await buildTestApp(database());
    try {
      const response = await withoutToken.inject({
        method: 'GET',
        url: '/api/admin/db/stats',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(response.statusCode, 403);
      assert.equal(response.json<{ error: { code: string } }>().error.code, 'admin_disabled');
    } finally {
      await withoutToken.close();
    }
  });
});
