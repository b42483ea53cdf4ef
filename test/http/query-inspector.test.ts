import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { normalizeSql } from '../../src/db/inspector/normalize.js';
import { buildTestApp, createChamaVia, registerUser } from '../support/api.js';
import { describeEachEngine } from '../support/databases.js';

/** Log lines the app wrote, parsed. */
function collectLogs(): { stream: PassThrough; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describeEachEngine(
  'query inspector: capture, N+1 and duplicate detection, slow-query log',
  (database) => {
    let app: FastifyInstance;
    let lenient: FastifyInstance;
    let logs: ReturnType<typeof collectLogs>;
    before(async () => {
      app = await buildTestApp(database(), { LOG_LEVEL: 'warn', SLOW_QUERY_MS: '40' });
      logs = collectLogs();
      lenient = await buildTestApp(
        database(),
        { LOG_LEVEL: 'warn', SLOW_QUERY_MS: '40' },
        { allowQueryProblems: 'this suite runs N+1 loops on purpose', logStream: logs.stream },
      );
      // A careless handler: one query per chama instead of one join (the guide's N+1).
      for (const target of [app, lenient]) {
        target.get('/test/chamas-with-members', async () => {
          const chamas = await database().db.selectFrom('chamas').select(['id', 'name']).execute();
          const result = [];
          for (const chama of chamas) {
            const members = await database()
              .db.selectFrom('memberships')
              .select('user_id')
              .where('chama_id', '=', chama.id)
              .execute();
            result.push({ ...chama, members: members.length });
          }
          return result.length;
        });
        target.get('/test/twice', async () => {
          await database().db.selectFrom('users').select('id').where('id', '=', 1n).execute();
          await database().db.selectFrom('users').select('id').where('id', '=', 1n).execute();
          return 'ok';
        });
        target.get('/test/slow', async () => {
          await sql`SELECT pg_sleep(0.06)`.execute(database().db);
          return 'ok';
        });
      }
      const chair = await registerUser(app);
      for (let i = 0; i < 6; i++) await createChamaVia(app, chair);
    });
    after(async () => {
      await app.close();
      await lenient.close();
    });

    it('fails the test that runs an N+1 loop, naming the repeated SQL', async () => {
      await assert.rejects(
        app.inject({ method: 'GET', url: '/test/chamas-with-members' }),
        /GET \/test\/chamas-with-members ran problem SQL: N\+1: the same statement ran 6 times: select "user_id" from "memberships" where "chama_id" = \?/,
      );
    });

    it('fails on the same statement with the same parameters twice', async () => {
      await assert.rejects(
        app.inject({ method: 'GET', url: '/test/twice' }),
        /duplicate: the same statement with the same parameters ran 2 times/,
      );
    });

    it('logs the problem with the route when a test allows it', async () => {
      const response = await lenient.inject({ method: 'GET', url: '/test/chamas-with-members' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['x-query-count'], '7');
      const warning = logs.lines().find((line) => line.msg === 'query problems');
      assert.ok(warning, 'a warning was logged');
      assert.equal(warning.route, 'GET /test/chamas-with-members');
      assert.match(String(warning.problems), /N\+1: the same statement ran 6 times/);
    });

    it('logs statements slower than SLOW_QUERY_MS with the request id, route and normalized SQL', async () => {
      const response = await lenient.inject({ method: 'GET', url: '/test/slow' });
      assert.equal(response.statusCode, 200);
      const slow = logs.lines().find((line) => line.msg === 'slow query');
      assert.ok(slow, 'a slow query was logged');
      assert.equal(slow.route, 'GET /test/slow');
      assert.equal(slow.sql, 'SELECT pg_sleep(?)');
      assert.ok(typeof slow.requestId === 'string' && Number(slow.durationMs) >= 40);
      const fast = logs
        .lines()
        .filter((line) => line.msg === 'slow query' && line.route !== 'GET /test/slow');
      assert.deepEqual(fast, [], 'fast statements are not logged');
    });

    it('keeps every statement of a request for the inspector, with rows and transaction', async () => {
      const user = await registerUser(lenient);
      assert.ok(user.id > 0);
      const registration = lenient.inspector
        .list()
        .find((request) => request.url === '/api/auth/register');
      assert.ok(registration, 'the registration is in the inspector');
      const kinds = registration.statements.map((statement) =>
        statement.sql.split(' ')[0]?.toLowerCase(),
      );
      assert.equal(kinds[0], 'begin');
      assert.equal(kinds.at(-1), 'commit');
      const insert = registration.statements.find((statement) =>
        /^insert into "users"/.test(statement.sql),
      );
      assert.ok(
        insert && insert.rows === 1 && insert.transaction === 1 && insert.parameters.length > 0,
      );
      assert.ok(registration.statements.every((statement) => statement.durationMs >= 0));
    });

    it('normalizes statements so that values do not matter', () => {
      assert.equal(
        normalizeSql("select * from users where id = 42 and email = 'a@b.c' and x in ($1, $2, $3)"),
        'select * from users where id = ? and email = ? and x in (?, …)',
      );
    });
  },
);

describeEachEngine('query inspector modes', (database) => {
  it('captures nothing when off, but still counts for the headers', async () => {
    const app = await buildTestApp(database(), { QUERY_INSPECTOR: 'off' });
    try {
      const response = await app.inject({ method: 'GET', url: '/api/chamas' });
      assert.equal(response.headers['x-query-count'], '1');
      assert.equal(app.inspector.list().length, 0);
    } finally {
      await app.close();
    }
  });

  it('captures about the sampled share', async () => {
    const app = await buildTestApp(database(), {
      QUERY_INSPECTOR: 'sample',
      QUERY_INSPECTOR_SAMPLE_RATE: '0.5',
    });
    try {
      for (let i = 0; i < 200; i++) await app.inject({ method: 'GET', url: '/api/health' });
      const kept = app.inspector.list().length;
      assert.ok(kept > 50 && kept < 150, `kept ${kept} of 200`);
    } finally {
      await app.close();
    }
  });
});
