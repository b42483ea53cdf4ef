import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { cliEnv, runCli } from '../support/cli.js';
import { describeOnServer, serverEngine, type TestDatabase } from '../support/databases.js';
import { createThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';

describeOnServer('db explain on the benchmark data set', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    database = await serverEngine.create();
    env = cliEnv({ DATABASE_URL: database.url ?? '' });
    const seeded = await runCli(['db', 'seed', '--scale', '0.05'], env);
    assert.equal(seeded.code, 0, seeded.stderr);
  });
  after(async () => {
    await database.close();
  });

  it('names a sequential scan on a large table, and exits 1', async () => {
    const result = await runCli(
      ['db', 'explain', 'SELECT * FROM contributions WHERE amount > 100'],
      env,
    );
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^Seq Scan on contributions/m);
    assert.match(
      result.stdout,
      /^SEQUENTIAL SCAN on large table contributions \(~[\d,]+ rows\): add an index/m,
    );
  });

  it('explains what a named route runs, with its parameters', async () => {
    const result = await runCli(['db', 'explain', '--route', 'B3'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^B3: GET \/api\/chamas\/:chamaId\/members\/:userId\/statement runs 1 statement\(s\)/m,
    );
    assert.match(result.stdout, /parameters: \["\d+","\d+"/);
    assert.match(result.stdout, /^Function Scan on member_statement/m);
    assert.match(result.stdout, /^ {2}indexes: .*contributions_member_statement_idx ×1/m);
    assert.match(result.stdout, /^ {2}sequential: none$/m);
    assert.match(result.stdout, /^OK: no sequential scan on a large table/m);
    const unknown = await runCli(['db', 'explain', '--route', 'B9'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /choose one of B1, B2, B3, login, nearby, tags, preferences/);
  });

  it('runs --analyze in a transaction that is rolled back', async () => {
    const before = await database.db
      .selectFrom('contributions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    const result = await runCli(['db', 'explain', '--analyze', 'DELETE FROM contributions'], env);
    assert.match(result.stdout, /actual time=/);
    assert.ok(Number(before.n) > 1000);
    const after = await database.db
      .selectFrom('contributions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(after.n, before.n);
  });
});

describeOnServer('db top with pg_stat_statements', () => {
  let cluster: ThrowawayCluster;
  before(async () => {
    cluster = await createThrowawayCluster({ shared_preload_libraries: 'pg_stat_statements' });
  });
  after(async () => {
    await cluster?.remove();
  });

  it('says how to enable the extension when it is missing, then lists the heaviest statements', async () => {
    const missing = await runCli(['db', 'top'], cliEnv({ DATABASE_URL: cluster.url() }));
    assert.equal(missing.code, 1);
    assert.match(missing.stdout, /CREATE EXTENSION pg_stat_statements/);

    const client = new pg.Client({ connectionString: cluster.url() });
    await client.connect();
    await client.query('CREATE EXTENSION pg_stat_statements');
    await client.query('CREATE TABLE harambee (id int)');
    for (let i = 0; i < 20; i++)
      await client.query('INSERT INTO harambee SELECT generate_series(1, 1000)');
    await client.end();

    const listed = await runCli(
      ['db', 'top', '--limit', '5'],
      cliEnv({ DATABASE_URL: cluster.url() }),
    );
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /calls\s+total ms\s+mean ms\s+rows\s+cache hit\s+statement/);
    assert.match(
      listed.stdout,
      /^\s+20\s+[\d.]+\s+[\d.]+\s+20,000\s+[\d.]+ %\s+INSERT INTO harambee SELECT generate_series\(\$1, \$2\)/m,
    );
  });
});

describe('db top on the embedded database', () => {
  it('says plainly that it is not available there', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'chamahub-top-'));
    try {
      const result = await runCli(['db', 'top'], cliEnv({ CHAMAHUB_DATA_DIR: dir }));
      assert.equal(result.code, 1);
      assert.match(result.stdout, /not available on the embedded database \(PGlite\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
