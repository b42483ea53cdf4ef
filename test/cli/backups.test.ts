import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openDatabase, type Database } from '../../src/db/database.js';
import { checksumOf, readManifest, type Manifest } from '../../src/ops/backup/manifest.js';
import { cliEnv, runCli, startCli, waitForOutput, exitOf } from '../support/cli.js';
import {
  databaseUrl,
  describeOnServer,
  SERVER_URL,
  serverEngine,
  withAdmin,
  type TestDatabase,
} from '../support/databases.js';
import { balances, fingerprint } from '../support/fingerprint.js';

async function onUrl<T>(url: string, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ engine: 'postgres', url, migrationUrl: url });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

async function onFolder<T>(dataDir: string, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await openDatabase({ engine: 'pglite', dataDir });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

function backupPathFrom(stdout: string): string {
  const match = /Backed up \d+ tables in [\d.]+ s: (\S+) /.exec(stdout);
  assert.ok(match?.[1], stdout);
  return match[1];
}

describeOnServer('backups on the server', () => {
  let source: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let original: Record<string, string>;
  let originalBalances: string;
  const created: string[] = [];
  before(async () => {
    source = await serverEngine.create();
    dir = await mkdtemp(path.join(tmpdir(), 'chamahub-backups-'));
    env = cliEnv({ DATABASE_URL: source.url ?? '', BACKUP_DIR: dir });
    const seeded = await runCli(['db', 'seed', '--scale', '0.005'], env);
    assert.equal(seeded.code, 0, seeded.stderr);
    original = await fingerprint(source.db);
    originalBalances = await balances(source.db);
  });
  after(async () => {
    await source.close();
    await withAdmin(async (client) => {
      for (const name of created)
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
    await rm(dir, { recursive: true, force: true });
  });

  for (const format of ['custom', 'plain', 'directory'] as const) {
    it(`round-trips a ${format} backup into a new database: every row and balance identical`, async () => {
      const backedUp = await runCli(['db', 'backup', '--format', format, '--jobs', '2'], env);
      assert.equal(backedUp.code, 0, backedUp.stderr);
      assert.match(backedUp.stdout, /contributions: [\d,]+ rows/);
      const manifest = await readManifest(backupPathFrom(backedUp.stdout));
      assert.equal(manifest.format, format);
      assert.equal(manifest.latestMigration, '0004_hot_route_functions');
      assert.equal(`${manifest.rowCounts.users} rows`, original.users?.split(',')[0]);
      assert.match(manifest.serverVersion, /^15\./);

      const name = `chamahub_restored_${format}_${process.pid}`;
      created.push(name);
      const restored = await runCli(['db', 'restore', manifest.path, '--new-db', name], env);
      assert.equal(restored.code, 0, restored.stderr);
      await onUrl(databaseUrl(SERVER_URL, name), async (database) => {
        assert.deepEqual(await fingerprint(database.db), original);
        assert.equal(await balances(database.db), originalBalances);
      });
    });
  }

  it('backs up chosen tables only', async () => {
    const backedUp = await runCli(
      ['db', 'backup', '--tables', 'users,sessions', '--format', 'plain'],
      env,
    );
    assert.equal(backedUp.code, 0, backedUp.stderr);
    const manifest = await readManifest(backupPathFrom(backedUp.stdout));
    assert.deepEqual(manifest.tables, ['users', 'sessions']);
    assert.deepEqual(Object.keys(manifest.rowCounts).sort(), ['sessions', 'users']);
    const name = `chamahub_restored_tables_${process.pid}`;
    created.push(name);
    assert.equal((await runCli(['db', 'restore', manifest.path, '--new-db', name], env)).code, 0);
    await onUrl(databaseUrl(SERVER_URL, name), async (database) => {
      const restored = await fingerprint(database.db);
      assert.deepEqual(Object.keys(restored).sort(), ['sessions', 'users']);
      assert.equal(restored.users, original.users);
    });
    const wrong = await runCli(['db', 'backup', '--tables', 'users,loans'], env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /no table named loans/);
  });

  it('refuses to restore over a database that holds data, unless --clean', async () => {
    const manifests = (await readdir(dir)).filter((name) => name.endsWith('.dump'));
    const backupPath = path.join(dir, manifests[0] ?? '');
    const refused = await runCli(['db', 'restore', backupPath], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not empty .* --new-db, or pass --clean/);
    assert.deepEqual(await fingerprint(source.db), original, 'nothing changed');
    const cleaned = await runCli(['db', 'restore', backupPath, '--clean'], env);
    assert.equal(cleaned.code, 0, cleaned.stderr);
    assert.match(cleaned.stdout, /--clean: dropping the \d+ tables and sequences/);
    assert.deepEqual(await fingerprint(source.db), original);
  });

  it('verifies a good backup, and catches a flipped byte', async () => {
    const backedUp = await runCli(['db', 'backup'], env);
    const backupPath = backupPathFrom(backedUp.stdout);
    const good = await runCli(['db', 'backups', 'verify', backupPath], env);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /Row counts: all 11 tables match\.\nLedger rules: hold\./);
    assert.match(good.stdout, /PASS/);
    assert.equal((await readManifest(backupPath)).verification?.ok, true);

    const bytes = await readFile(backupPath);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    await writeFile(backupPath, bytes);
    const corrupted = await runCli(['db', 'backups', 'verify', backupPath], env);
    assert.equal(corrupted.code, 1);
    assert.match(corrupted.stdout, /checksum mismatch/);
    assert.match(corrupted.stdout, /FAIL: do not rely on this backup/);
    const listed = await runCli(['db', 'backups', 'list'], env);
    assert.match(
      listed.stdout,
      new RegExp(`${path.basename(backupPath)}.*VERIFY FAILED: checksum mismatch`),
    );
  });

  it('catches a backup whose ledger does not add up, even with a matching checksum', async () => {
    const backedUp = await runCli(['db', 'backup', '--format', 'plain'], env);
    const backupPath = backupPathFrom(backedUp.stdout);
    const dump = await readFile(backupPath, 'utf8');
    // Raise one wallet's cached balance by 1,000.00 in the dump itself.
    const tampered = raiseFirstWalletBalance(dump, 100_000n);
    assert.notEqual(tampered, dump, 'the dump has a wallet row to tamper with');
    await writeFile(backupPath, tampered);
    const manifest = await readManifest(backupPath);
    const { sha256, sizeBytes } = await checksumOf(backupPath);
    await writeFile(
      `${backupPath}.manifest.json`,
      JSON.stringify({ ...manifest, sha256, sizeBytes } satisfies Manifest),
    );
    const verified = await runCli(['db', 'backups', 'verify', backupPath], env);
    assert.equal(verified.code, 1);
    assert.match(
      verified.stdout,
      /every cached balance equals the sum of its entries: 1 violation/,
    );
  });

  it('says exactly what to install when pg_dump is older than the server', async () => {
    const bin = path.join(dir, 'old-client');
    await mkdir(bin);
    await writeFile(path.join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 13.16"\n');
    await chmod(path.join(bin, 'pg_dump'), 0o755);
    const result = await runCli(['db', 'backup'], { ...env, CHAMAHUB_PG_BIN_DIR: bin });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /pg_dump 13 cannot work with a PostgreSQL 15 server: install the version 15 client \(apt-get install postgresql-client-15/,
    );
  });

  it('runs the scheduled routine: backup, verify, prune, one log line each', async () => {
    const once = await runCli(['db', 'backups', 'schedule', '--now'], {
      ...env,
      BACKUP_KEEP_LAST: '2',
      BACKUP_KEEP_DAYS: '1',
    });
    assert.equal(once.code, 0, once.stderr);
    assert.match(
      once.stdout,
      /backup: wrote \S+\.dump[\s\S]*backup: verified[\s\S]*backup: pruned/,
    );
    const child = startCli(['db', 'backups', 'schedule'], {
      ...env,
      BACKUP_SCHEDULE: '*/2 * * * * *',
    });
    try {
      await waitForOutput(child, /backup: scheduled "\*\/2 \* \* \* \* \*"/);
      await waitForOutput(child, /backup: pruned/, 60_000);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exitOf(child), 0);
    }
  });

  it('prunes by the retention policy', async () => {
    const before = (await readdir(dir)).filter((name) => name.endsWith('.manifest.json'));
    // Age every backup but the newest by 40 days.
    const manifests = await Promise.all(before.map((name) => readManifest(path.join(dir, name))));
    manifests.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const manifest of manifests.slice(1)) {
      const old = new Date(Date.parse(manifest.createdAt) - 40 * 86_400_000).toISOString();
      await writeFile(
        `${manifest.path}.manifest.json`,
        JSON.stringify({ ...manifest, createdAt: old }),
      );
    }
    const dry = await runCli(['db', 'backups', 'prune', '--keep-last', '1', '--dry-run'], env);
    assert.match(dry.stdout, /would remove/);
    assert.equal(
      (await readdir(dir)).filter((name) => name.endsWith('.manifest.json')).length,
      before.length,
    );
    const pruned = await runCli(['db', 'backups', 'prune', '--keep-last', '1'], env);
    assert.equal(pruned.code, 0, pruned.stderr);
    const left = (await readdir(dir)).filter((name) => name.endsWith('.manifest.json'));
    const verifiedKept = manifests.find((manifest) => manifest.verification?.ok);
    assert.ok(left.length >= 1 && left.length <= 2, left.join());
    if (verifiedKept)
      assert.ok(
        left.includes(`${verifiedKept.name}.manifest.json`),
        'the newest verified backup stays',
      );
  });
});

describe('backups of the embedded database', () => {
  let dir: string;
  let dataDir: string;
  let original: Record<string, string>;
  let originalBalances: string;
  let backupPath: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chamahub-embedded-backups-'));
    dataDir = path.join(dir, 'data');
    const env = cliEnv({ CHAMAHUB_DATA_DIR: dataDir, BACKUP_DIR: path.join(dir, 'backups') });
    const seeded = await runCli(['db', 'seed', '--scale', '0.005'], env);
    assert.equal(seeded.code, 0, seeded.stderr);
    await onFolder(dataDir, async (database) => {
      original = await fingerprint(database.db);
      originalBalances = await balances(database.db);
    });
    const backedUp = await runCli(['db', 'backup'], env);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    backupPath = backupPathFrom(backedUp.stdout);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('restores into a new embedded database with every row and balance identical, and verifies', async () => {
    const otherDir = path.join(dir, 'restored');
    const env = cliEnv({ CHAMAHUB_DATA_DIR: otherDir, BACKUP_DIR: path.join(dir, 'backups') });
    const restored = await runCli(['db', 'restore', backupPath], env);
    assert.equal(restored.code, 0, restored.stderr);
    await onFolder(otherDir, async (database) => {
      assert.deepEqual(await fingerprint(database.db), original);
      assert.equal(await balances(database.db), originalBalances);
    });
    const again = await runCli(['db', 'restore', backupPath], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not empty/);
    const verified = await runCli(['db', 'backups', 'verify', backupPath], env);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /PASS/);
  });

  it(
    'moves to production: an embedded backup restores into a PostgreSQL server',
    { skip: serverEngine.skip },
    async () => {
      const name = `chamahub_from_embedded_${process.pid}`;
      const env = cliEnv({ DATABASE_URL: databaseUrl(SERVER_URL, 'postgres') });
      try {
        const restored = await runCli(['db', 'restore', backupPath, '--new-db', name], env);
        assert.equal(restored.code, 0, restored.stderr);
        await onUrl(databaseUrl(SERVER_URL, name), async (database) => {
          assert.deepEqual(await fingerprint(database.db), original);
          assert.equal(await balances(database.db), originalBalances);
        });
        const status = await runCli(
          ['db', 'status'],
          cliEnv({ DATABASE_URL: databaseUrl(SERVER_URL, name) }),
        );
        assert.match(status.stdout, /4 applied, 0 pending/);
      } finally {
        await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      }
    },
  );
});

/** Edits a plain dump's COPY block for accounts: the first wallet's balance goes up by `cents`. */
function raiseFirstWalletBalance(dump: string, cents: bigint): string {
  const lines = dump.split('\n');
  const header = lines.findIndex((line) => line.startsWith('COPY public.accounts ('));
  const columns = /\(([^)]*)\)/.exec(lines[header] ?? '')?.[1]?.split(', ') ?? [];
  const kind = columns.indexOf('kind');
  const balance = columns.indexOf('balance');
  for (let index = header + 1; header >= 0 && lines[index] !== '\\.'; index++) {
    const fields = (lines[index] ?? '').split('\t');
    if (fields[kind] === 'wallet') {
      fields[balance] = String(BigInt(fields[balance] ?? '0') + cents);
      lines[index] = fields.join('\t');
      return lines.join('\n');
    }
  }
  return dump;
}
