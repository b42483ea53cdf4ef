import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  describeOnServer,
  pgbouncerEngine,
  SERVER_URL,
  serverEngine,
  type TestDatabase,
} from '../support/databases.js';
import { cliEnv, exitOf, runCli, startCli, waitForOutput } from '../support/cli.js';

const LISTENING = /ChamaHub listening on (http:\/\/\S+) \(database: ([^)]+)\)/;

describe('chamahub serve on the embedded database', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'chamahub-serve-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('migrates, serves a ready API, refuses a second process on the folder, and stops cleanly', async () => {
    const env = cliEnv({ CHAMAHUB_DATA_DIR: dataDir, PORT: '0' });
    const server = startCli(['serve'], env);
    try {
      const [, address = '', location = ''] = await waitForOutput(server, LISTENING);
      assert.match(location, /^PGlite in /);
      const ready = await fetch(`${address}/api/health/ready`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { engine: string }).engine, 'pglite');

      const second = await runCli(['db', 'migrate'], env);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /in use by another ChamaHub process/);
    } finally {
      server.kill('SIGTERM');
    }
    assert.equal(await exitOf(server), 0);
    assert.equal(existsSync(path.join(dataDir, 'chamahub.lock')), false);

    // The data survived the restart: nothing left to migrate.
    const again = await runCli(['db', 'migrate'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Nothing to do: the database is already there/);
  });

  it('reports every configuration mistake at once and exits 2', async () => {
    const result = await runCli(
      ['serve'],
      cliEnv({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://localhost/x' }),
    );
    assert.equal(result.code, 2);
    for (const name of ['PORT', 'LOG_LEVEL', 'DATABASE_URL'])
      assert.match(result.stderr, new RegExp(name));
  });

  it('explains an unreachable database server and exits 1', async () => {
    const result = await runCli(
      ['db', 'migrate'],
      cliEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot reach the database/);
  });

  it('prints help for every command', async () => {
    for (const args of [
      ['--help'],
      ['serve', '--help'],
      ['db', '--help'],
      ['db', 'migrate', '--help'],
    ]) {
      const result = await runCli(args, cliEnv({}));
      assert.equal(result.code, 0);
      assert.match(result.stdout, /Usage: chamahub/);
    }
  });
});

describeOnServer('chamahub serve on a PostgreSQL server', () => {
  let database: TestDatabase;
  before(async () => {
    database = await serverEngine.create({ migrated: false });
  });
  after(async () => {
    await database.close();
  });

  it('migrates the server database and serves a ready API', async () => {
    const server = startCli(['serve'], cliEnv({ DATABASE_URL: database.url ?? '', PORT: '0' }));
    try {
      const [, address = '', location = ''] = await waitForOutput(server, LISTENING);
      assert.match(location, /^PostgreSQL at /);
      const ready = await fetch(`${address}/api/health/ready`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { engine: string }).engine, 'postgres');
    } finally {
      server.kill('SIGTERM');
    }
    assert.equal(await exitOf(server), 0);
  });
});

describeOnServer('chamahub serve stops gracefully', () => {
  let database: TestDatabase;
  before(async () => {
    database = await serverEngine.create();
  });
  after(async () => {
    await database.close();
  });

  it('finishes a request in flight on SIGTERM, closes the pool and exits 0', async () => {
    const server = startCli(['serve'], cliEnv({ DATABASE_URL: database.url ?? '', PORT: '0' }));
    const [, address = ''] = await waitForOutput(server, LISTENING);
    // Hold a lock so the next request waits inside the database.
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE chamas IN ACCESS EXCLUSIVE MODE');
    const inFlight = fetch(`${address}/api/chamas`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await locker.query('ROLLBACK');
    await locker.end();
    const response = await inFlight;
    assert.equal(response.status, 200);
    const stoppedAt = Date.now();
    assert.equal(await exitOf(server), 0);
    assert.ok(Date.now() - stoppedAt < 5_000, 'it did not wait for the shutdown bound');
  });
});

describe('chamahub behind PgBouncer', { skip: pgbouncerEngine.skip }, () => {
  let database: TestDatabase;
  before(async () => {
    database = await pgbouncerEngine.create({ migrated: false });
  });
  after(async () => {
    await database.close();
  });

  it('refuses to migrate through the pooler, naming the fix', async () => {
    const refused = await runCli(['db', 'migrate'], cliEnv({ DATABASE_URL: database.url ?? '' }));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /goes through a connection pooler.*MIGRATION_DATABASE_URL/);
  });

  it('detects the pooler, migrates over the direct URL and serves through PgBouncer', async () => {
    const directUrl = new URL(database.url ?? '');
    directUrl.port = new URL(SERVER_URL).port || '5432';
    const server = startCli(
      ['serve'],
      cliEnv({
        DATABASE_URL: database.url ?? '',
        MIGRATION_DATABASE_URL: directUrl.toString(),
        PORT: '0',
      }),
    );
    try {
      const [, address = ''] = await waitForOutput(
        server,
        /Connection pooler detected: [^\n]* in front of PostgreSQL[\s\S]*ChamaHub listening on (http:\/\/\S+)/,
      );
      const ready = await fetch(`${address}/api/health/ready`);
      assert.equal(ready.status, 200);
    } finally {
      server.kill('SIGTERM');
    }
    assert.equal(await exitOf(server), 0);
  });
});

describe('chamahub serve with BACKUP_SCHEDULE', () => {
  it('backs up, verifies and prunes on the schedule while it serves', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'chamahub-serve-backups-'));
    const env = cliEnv({
      CHAMAHUB_DATA_DIR: path.join(root, 'data'),
      BACKUP_DIR: path.join(root, 'backups'),
      BACKUP_SCHEDULE: '*/2 * * * * *',
      PORT: '0',
      LOG_LEVEL: 'info',
    });
    const server = startCli(['serve'], env);
    try {
      const [, address = ''] = await waitForOutput(server, LISTENING);
      await waitForOutput(
        server,
        /backup: verified \S+\.sql: checksum, row counts and ledger rules hold/,
        60_000,
      );
      await waitForOutput(server, /backup: pruned \d+, kept \d+/, 30_000);
      assert.equal((await fetch(`${address}/api/health/ready`)).status, 200, 'still serving');
    } finally {
      server.kill('SIGTERM');
      assert.equal(await exitOf(server), 0);
      await rm(root, { recursive: true, force: true });
    }
  });
});
