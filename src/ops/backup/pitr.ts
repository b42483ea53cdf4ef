/**
 * Point-in-time recovery: continuous WAL archiving, a base backup, and a new
 * data directory that replays the archive up to a chosen moment.
 */
import { appendFile, chmod, cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import type { AnyKysely } from '../../db/schema.js';
import { BackupError } from './manifest.js';
import { giveToPostgres, runAsPostgres } from '../postgres-user.js';
import { findPgTool } from './pg-tools.js';
import { runTool } from './run-tool.js';

/** The settings for continuous archiving into `archiveDir` (a folder the server can write). */
export function archivingSettings(archiveDir: string): [string, string][] {
  const dir = path.resolve(archiveDir);
  return [
    ['wal_level', 'replica'],
    ['archive_mode', 'on'],
    // Never overwrite a segment already archived: that would hide a second server writing here.
    ['archive_command', `test ! -f "${dir}/%f" && cp "%p" "${dir}/%f"`],
    ['archive_timeout', '60'],
  ];
}

export async function applyArchivingSettings(db: AnyKysely, archiveDir: string): Promise<void> {
  for (const [name, value] of archivingSettings(archiveDir)) {
    await sql`ALTER SYSTEM SET ${sql.raw(name)} = ${sql.lit(value)}`.execute(db);
  }
}

export async function takeBaseBackup(
  url: string,
  outDir: string,
  serverMajor: number,
  log: (line: string) => void,
): Promise<void> {
  const tool = await findPgTool('pg_basebackup', serverMajor);
  if ((await readdir(outDir).catch(() => [])).length > 0) {
    throw new BackupError(`${outDir} is not empty: a base backup needs a new folder`);
  }
  let lastShown = -1;
  await runTool(
    tool.path,
    [
      `--dbname=${url}`,
      `--pgdata=${outDir}`,
      '--format=plain',
      '--wal-method=stream',
      '--checkpoint=fast',
      '--progress',
      '--verbose',
    ],
    {
      onLine: (line) => {
        const percent = Number(/\((\d+)%\)/.exec(line)?.[1] ?? -1);
        if (percent >= 0 && percent >= lastShown + 10) {
          lastShown = percent;
          log(`  ${line.trim()}`);
        }
      },
    },
  );
}

export interface PitrRestoreOptions {
  readonly base: string;
  readonly archiveDir: string;
  /** e.g. 2026-11-28 02:15:00+00 */
  readonly targetTime: string;
  readonly pgdata: string;
  readonly port: number;
  readonly log: (line: string) => void;
}

/** Prepares `pgdata` from the base backup to recover to the target time, starts it, and waits for it. */
export async function restoreToPointInTime(
  options: PitrRestoreOptions,
): Promise<{ recoveredTo: string | null }> {
  if (Number.isNaN(Date.parse(options.targetTime))) {
    throw new BackupError(
      `--target-time "${options.targetTime}" is not a timestamp (e.g. "2026-11-28 02:15:00+00")`,
    );
  }
  if ((await readdir(options.pgdata).catch(() => [])).length > 0) {
    throw new BackupError(`${options.pgdata} is not empty: recovery needs a new data directory`);
  }
  if (!existsSync(path.join(options.base, 'PG_VERSION'))) {
    throw new BackupError(
      `${options.base} is not a base backup (no PG_VERSION): take one with \`chamahub db pitr base-backup\``,
    );
  }
  const archive = path.resolve(options.archiveDir);
  const pgdata = path.resolve(options.pgdata);
  options.log(`Copying the base backup ${options.base} to ${pgdata}…`);
  await mkdir(pgdata, { recursive: true });
  await cp(options.base, pgdata, { recursive: true });
  await rm(path.join(pgdata, 'postmaster.pid'), { force: true });
  // Debian keeps postgresql.conf and pg_hba.conf in /etc: give the copy its own when missing.
  if (!existsSync(path.join(pgdata, 'postgresql.conf'))) {
    await writeFile(path.join(pgdata, 'postgresql.conf'), "listen_addresses = '127.0.0.1'\n");
  }
  if (!existsSync(path.join(pgdata, 'pg_hba.conf'))) {
    await writeFile(
      path.join(pgdata, 'pg_hba.conf'),
      'local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\n',
    );
  }
  await appendFile(
    path.join(pgdata, 'postgresql.auto.conf'),
    [
      '# Written by `chamahub db pitr restore`.',
      `restore_command = 'cp "${archive}/%f" "%p"'`,
      `recovery_target_time = '${options.targetTime}'`,
      "recovery_target_action = 'promote'",
      // The recovered copy must not write into the original's archive.
      "archive_mode = 'off'",
      `port = ${options.port}`,
      "unix_socket_directories = '/tmp'",
      '',
    ].join('\n'),
  );
  await writeFile(path.join(pgdata, 'recovery.signal'), '');
  const major = Number((await readFile(path.join(pgdata, 'PG_VERSION'), 'utf8')).trim());
  const pgCtl = await findPgTool('pg_ctl', major);
  await giveToPostgres(pgdata);
  await chmod(pgdata, 0o700);
  options.log(
    `Starting PostgreSQL ${major} on port ${options.port}, replaying WAL from ${archive} up to ${options.targetTime}…`,
  );
  await runAsPostgres(pgCtl.path, [
    '-D',
    pgdata,
    '-l',
    path.join(pgdata, 'recovery.log'),
    '-w',
    '-t',
    '120',
    'start',
  ]);
  return { recoveredTo: await waitForPromotion(options.port) };
}

async function waitForPromotion(port: number): Promise<string | null> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database: 'postgres',
    });
    try {
      await client.connect();
      const result = await client.query<{ recovering: boolean; replayed: Date | null }>(
        'SELECT pg_is_in_recovery() AS recovering, pg_last_xact_replay_timestamp() AS replayed',
      );
      const row = result.rows[0];
      if (row && !row.recovering) return row.replayed ? row.replayed.toISOString() : null;
    } catch {
      // Still starting up or replaying.
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new BackupError(
    `the recovered server on port ${port} did not finish recovery within 2 minutes; see recovery.log in its data directory`,
  );
}
