/**
 * Point-in-time recovery for real: a throwaway cluster archives its WAL, a
 * base backup is taken, transaction A commits, the time is noted, B commits;
 * recovering to the noted time brings back A and not B.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { findPgTool } from '../../src/ops/backup/pg-tools.js';
import { giveToPostgres, runAsPostgres } from '../../src/ops/postgres-user.js';
import { cliEnv, runCli } from '../support/cli.js';
import { describeOnServer } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { createThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';

async function query<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

async function addMember(url: string, email: string): Promise<void> {
  await query(
    url,
    `INSERT INTO users (email, password_hash, first_name, last_name) VALUES ('${email}', 'x', 'Amina', 'Otieno')`,
  );
}

describeOnServer('point-in-time recovery (db pitr)', () => {
  let root: string;
  let cluster: ThrowawayCluster;
  let recoveredData = '';
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'chamahub-pitr-'));
    await giveToPostgres(root);
    cluster = await createThrowawayCluster();
  });
  after(async () => {
    if (recoveredData) {
      const pgCtl = await findPgTool('pg_ctl');
      await runAsPostgres(pgCtl.path, ['-D', recoveredData, '-m', 'immediate', '-w', 'stop']).catch(
        () => undefined,
      );
    }
    await cluster?.remove();
    await rm(root, { recursive: true, force: true });
  });

  it('recovers to the moment between two transactions', async () => {
    const archive = path.join(root, 'wal-archive');
    const base = path.join(root, 'base');
    recoveredData = path.join(root, 'recovered');
    await query(cluster.url(), 'CREATE DATABASE chamahub');
    const url = cluster.url('chamahub');
    const env = cliEnv({ DATABASE_URL: url });
    assert.equal((await runCli(['db', 'migrate'], env)).code, 0);
    await runCli(['db', 'pitr', 'setup', '--archive-dir', archive], env).then((result) =>
      assert.match(result.stdout, /archive_mode = 'on'/),
    );
    await runAsPostgres('mkdir', [archive]);
    const applied = await runCli(['db', 'pitr', 'setup', '--archive-dir', archive, '--apply'], env);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /Restart PostgreSQL/);
    await cluster.stop();
    await cluster.start();
    const [mode] = await query<{ archive_mode: string }>(url, 'SHOW archive_mode');
    assert.equal(mode?.archive_mode, 'on');

    const backedUp = await runCli(['db', 'pitr', 'base-backup', '--out', base], env);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    assert.match(backedUp.stdout, /Base backup done/);

    await addMember(url, 'before@example.com');
    const [noted] = await query<{ at: string }>(url, 'SELECT now()::text AS at');
    await sleep(1500);
    await addMember(url, 'after@example.com');
    const [segment] = await query<{ wal: string }>(
      url,
      'SELECT pg_walfile_name(pg_switch_wal()) AS wal',
    );
    for (let attempt = 0; attempt < 100; attempt++) {
      const [archiver] = await query<{ last: string | null }>(
        url,
        'SELECT last_archived_wal AS last FROM pg_stat_archiver',
      );
      if (archiver?.last && archiver.last >= (segment?.wal ?? '')) break;
      await sleep(100);
    }

    const port = await freePort();
    const restored = await runCli(
      [
        'db',
        'pitr',
        'restore',
        '--base',
        base,
        '--archive-dir',
        archive,
        '--target-time',
        noted?.at ?? '',
        '--pgdata',
        recoveredData,
        '--port',
        String(port),
      ],
      env,
    );
    assert.equal(restored.code, 0, restored.stderr + restored.stdout);
    assert.match(restored.stdout, /Recovered to/);
    const emails = await query<{ email: string }>(
      `postgres://postgres@127.0.0.1:${port}/chamahub`,
      "SELECT email FROM users WHERE email IN ('before@example.com', 'after@example.com') ORDER BY email",
    );
    assert.deepEqual(
      emails.map((row) => row.email),
      ['before@example.com'],
    );
  });

  it('refuses a bad target time and a data directory in use', async () => {
    const result = await runCli(
      [
        'db',
        'pitr',
        'restore',
        '--base',
        root,
        '--archive-dir',
        root,
        '--target-time',
        'yesterday-ish',
        '--pgdata',
        path.join(root, 'x'),
      ],
      cliEnv({ DATABASE_URL: cluster.url() }),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is not a timestamp/);
    const embedded = await runCli(
      ['db', 'pitr', 'base-backup', '--out', path.join(root, 'y')],
      cliEnv({ CHAMAHUB_DATA_DIR: path.join(root, 'data') }),
    );
    assert.equal(embedded.code, 2);
    assert.match(embedded.stderr, /works on a PostgreSQL server/);
  });
});
