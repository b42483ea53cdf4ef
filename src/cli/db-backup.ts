/** Backups, restores, retention, verification and point-in-time recovery. */
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { sql } from 'kysely';
import { loadConfig, type Config } from '../config/config.js';
import { openDatabase, type Database } from '../db/database.js';
import { createDatabase, isPlainIdentifier } from '../db/server-databases.js';
import { backupEmbedded, backupServer } from '../ops/backup/backup.js';
import {
  BACKUP_FORMATS,
  listManifests,
  readManifest,
  type BackupFormat,
  type Manifest,
} from '../ops/backup/manifest.js';
import {
  applyArchivingSettings,
  archivingSettings,
  restoreToPointInTime,
  takeBaseBackup,
} from '../ops/backup/pitr.js';
import { restoreBackup, type RestoreTarget } from '../ops/backup/restore.js';
import { decidePrune, removeBackup } from '../ops/backup/retention.js';
import { runBackupRoutine, scheduleBackups } from '../ops/backup/schedule.js';
import { verifyBackup } from '../ops/backup/verify.js';
import { positiveInteger, portNumber } from './arguments.js';
import { formatBytes } from './format.js';
import { ExitCode, runCommand, UsageError } from './run-command.js';
import { print, withDatabase } from './session.js';

export function registerBackupCommands(db: Command): void {
  db.command('backup')
    .description(
      'Take a logical backup with pg_dump (or the embedded database’s own pg_dump) into BACKUP_DIR, ' +
        'with a manifest: checksum, size, duration, versions, latest migration and row counts.',
    )
    .option(
      '--format <format>',
      'custom (compressed, parallel restore), plain (SQL) or directory',
      backupFormat,
    )
    .option('--tables <list>', 'only these tables, e.g. users,chamas', (value: string) =>
      value
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    )
    .option('--out <dir>', 'folder for the backup (default BACKUP_DIR)')
    .option('--jobs <n>', 'parallel dump jobs (directory format)', positiveInteger)
    .action(runCommand(backup));

  db.command('restore')
    .description(
      'Restore a backup: pg_restore (parallel) for custom and directory backups, psql for plain SQL. ' +
        'By default into the configured database; refuses one that is not empty unless --clean.',
    )
    .argument('<backup>', 'the backup file or folder (its manifest lies beside it)')
    .option('--into <url>', 'restore into this database instead')
    .option('--new-db <name>', 'create this database on the configured server and restore into it')
    .option('--clean', 'drop what the target database holds first')
    .option('--jobs <n>', 'parallel restore jobs', positiveInteger, 2)
    .action(runCommand(restore));

  const backups = db.command('backups').description('The backups in BACKUP_DIR.');
  backups
    .command('list')
    .description('List backups: age, size, format and verification state.')
    .action(runCommand(list));
  backups
    .command('prune')
    .description(
      'Remove backups older than --keep-days, keeping the newest --keep-last and the newest verified one.',
    )
    .option('--keep-days <n>', 'days to keep (default BACKUP_KEEP_DAYS, 30)', positiveInteger)
    .option(
      '--keep-last <n>',
      'always keep this many newest (default BACKUP_KEEP_LAST, 7)',
      positiveInteger,
    )
    .option('--dry-run', 'say what would be removed, remove nothing')
    .action(runCommand(prune));
  backups
    .command('verify')
    .description(
      'Prove a backup restores: checksum, restore into a scratch database, row counts against the ' +
        'manifest, and the ledger rules (balanced transactions, cached balances, no negative wallet).',
    )
    .argument('<backup>', 'the backup file or folder')
    .action(runCommand(verify));
  backups
    .command('schedule')
    .description(
      'Run the backup routine (backup, verify, prune) on BACKUP_SCHEDULE until stopped; `serve` does ' +
        'the same by itself when BACKUP_SCHEDULE is set. --now runs it once.',
    )
    .option('--now', 'run the routine once now and exit')
    .action(runCommand(schedule));

  const pitr = db
    .command('pitr')
    .description('Point-in-time recovery with WAL archiving (server only).');
  pitr
    .command('setup')
    .description(
      'Print the settings for continuous WAL archiving; --apply sets them with ALTER SYSTEM.',
    )
    .requiredOption('--archive-dir <dir>', 'folder the server copies WAL segments into')
    .option('--apply', 'apply them (needs a superuser); PostgreSQL must then be restarted')
    .action(runCommand(pitrSetup));
  pitr
    .command('base-backup')
    .description('Take a base backup with pg_basebackup: the starting point of a recovery.')
    .requiredOption('--out <dir>', 'a new folder for it')
    .action(runCommand(pitrBaseBackup));
  pitr
    .command('restore')
    .description(
      'Prepare a new data directory from a base backup that replays the WAL archive up to --target-time, start it, and wait until it is ready.',
    )
    .requiredOption('--base <dir>', 'the base backup')
    .requiredOption('--archive-dir <dir>', 'the WAL archive')
    .requiredOption(
      '--target-time <timestamp>',
      'recover up to this moment, e.g. "2026-11-28 02:15:00+00"',
    )
    .requiredOption('--pgdata <dir>', 'a new data directory')
    .option('--port <port>', 'port for the recovered server', portNumber, 5433)
    .action(runCommand(pitrRestore));
}

function backupFormat(value: string): BackupFormat {
  if (!(BACKUP_FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(BACKUP_FORMATS.join(', '));
  return value as BackupFormat;
}

async function takeBackup(
  database: Database,
  config: Config,
  options: { format?: BackupFormat; tables?: string[]; out?: string; jobs?: number },
): Promise<Manifest> {
  const common = {
    outDir: path.resolve(options.out ?? config.backup.dir),
    log: print,
    ...(options.tables ? { tables: options.tables } : {}),
    ...(options.jobs ? { jobs: options.jobs } : {}),
  };
  if (config.database.engine === 'postgres') {
    return backupServer(config.database, { ...common, format: options.format ?? 'custom' });
  }
  if (!database.embedded) throw new Error('the embedded database is not open');
  return backupEmbedded(database.embedded, config.database.dataDir, {
    ...common,
    format: options.format ?? 'plain',
  });
}

async function backup(options: {
  format?: BackupFormat;
  tables?: string[];
  out?: string;
  jobs?: number;
}): Promise<void> {
  await withDatabase(
    async (database, config) => {
      const manifest = await takeBackup(database, config, options);
      print(
        `Backed up ${Object.keys(manifest.rowCounts).length} tables in ${(manifest.durationMs / 1000).toFixed(1)} s: ` +
          `${manifest.path} (${formatBytes(manifest.sizeBytes)}, ${manifest.format}, sha256 ${manifest.sha256.slice(0, 12)}…)`,
      );
    },
    { direct: true },
  );
}

async function restore(
  backupPath: string,
  options: { into?: string; newDb?: string; clean?: boolean; jobs: number },
): Promise<void> {
  const manifest = await readManifest(path.resolve(backupPath));
  const config = loadConfig();
  if (options.into && options.newDb) throw new UsageError('give --into or --new-db, not both');
  const report = (durationMs: number, where: string) =>
    print(`Restored ${manifest.name} into ${where} in ${(durationMs / 1000).toFixed(1)} s.`);
  if (options.into) {
    const { durationMs } = await restoreBackup(
      manifest,
      { engine: 'postgres', url: options.into },
      { ...options, log: print },
    );
    return report(durationMs, 'the given database');
  }
  const server = config.database;
  if (options.newDb) {
    if (server.engine !== 'postgres')
      throw new UsageError('--new-db creates a database on a server: set DATABASE_URL');
    if (!isPlainIdentifier(options.newDb))
      throw new UsageError(
        `"${options.newDb}" is not a database name ChamaHub creates: lower-case letters, digits and _`,
      );
    const url = await createDatabase(server.migrationUrl, options.newDb, server.ssl);
    const { durationMs } = await restoreBackup(
      manifest,
      { engine: 'postgres', url, ssl: server.ssl },
      { ...options, log: print },
    );
    return report(durationMs, `the new database ${options.newDb}`);
  }
  await withDatabase(
    async (database) => {
      const target: RestoreTarget =
        server.engine === 'postgres'
          ? { engine: 'postgres', url: server.migrationUrl, ssl: server.ssl }
          : {
              engine: 'pglite',
              pglite: database.embedded as NonNullable<Database['embedded']>,
              location: database.location,
            };
      const { durationMs } = await restoreBackup(manifest, target, { ...options, log: print });
      report(durationMs, database.location);
    },
    { direct: true },
  );
}

function age(createdAt: string): string {
  const hours = (Date.now() - Date.parse(createdAt)) / 3_600_000;
  if (hours < 1) return `${Math.max(Math.round(hours * 60), 0)} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}

async function list(): Promise<void> {
  const config = loadConfig();
  const manifests = await listManifests(config.backup.dir);
  if (manifests.length === 0) return print(`No backups in ${config.backup.dir}.`);
  print(`Backups in ${config.backup.dir}, newest first:`);
  for (const manifest of manifests) {
    const state = manifest.verification
      ? manifest.verification.ok
        ? `verified ${manifest.verification.at.slice(0, 16).replace('T', ' ')}`
        : `VERIFY FAILED: ${manifest.verification.problems[0] ?? ''}`
      : 'not verified';
    print(
      `  ${manifest.name.padEnd(48)} ${age(manifest.createdAt).padStart(8)}  ${formatBytes(manifest.sizeBytes).padStart(8)}  ${manifest.format.padEnd(9)} ${state}`,
    );
  }
}

async function prune(options: {
  keepDays?: number;
  keepLast?: number;
  dryRun?: boolean;
}): Promise<void> {
  const config = loadConfig();
  const policy = {
    keepDays: options.keepDays ?? config.backup.keepDays,
    keepLast: options.keepLast ?? config.backup.keepLast,
  };
  const decision = decidePrune(await listManifests(config.backup.dir), policy);
  for (const { manifest, why } of decision.keep) print(`  keep    ${manifest.name} (${why})`);
  for (const manifest of decision.remove) {
    if (!options.dryRun) await removeBackup(manifest);
    print(
      `  ${options.dryRun ? 'would remove' : 'removed'} ${manifest.name} (${age(manifest.createdAt)} old)`,
    );
  }
  print(
    `${options.dryRun ? 'Would remove' : 'Removed'} ${decision.remove.length}, kept ${decision.keep.length} (keep ${policy.keepDays} days, at least ${policy.keepLast}).`,
  );
}

async function verify(backupPath: string): Promise<void> {
  const manifest = await readManifest(path.resolve(backupPath));
  const config = loadConfig();
  const server = config.database.engine === 'postgres' ? config.database : undefined;
  if (manifest.engine === 'postgres' && !server)
    throw new UsageError(
      'verifying a server backup needs a server to restore into: set DATABASE_URL',
    );
  print(
    `Verifying ${manifest.name} (${manifest.format}, ${formatBytes(manifest.sizeBytes)}, taken ${manifest.createdAt})`,
  );
  const verification = await verifyBackup(
    manifest,
    manifest.engine === 'pglite' ? undefined : server,
    print,
  );
  if (verification.ok) {
    print('PASS: the backup restores, every table has its rows, and the ledger rules hold.');
  } else {
    for (const problem of verification.problems) print(`  - ${problem}`);
    print('FAIL: do not rely on this backup.');
    process.exitCode = ExitCode.failed;
  }
}

async function schedule(options: { now?: boolean }): Promise<void> {
  const config = loadConfig();
  const log = (line: string) => print(`${new Date().toISOString()} ${line}`);
  if (!options.now && !config.backup.schedule) {
    throw new UsageError(
      'set BACKUP_SCHEDULE to a cron expression (e.g. "30 2 * * *"), or pass --now',
    );
  }
  const database = await openDatabase(config.database, { forMigrations: true });
  try {
    if (options.now) {
      if (!(await runBackupRoutine(database, config, log))) process.exitCode = ExitCode.failed;
      return;
    }
    const job = scheduleBackups(
      config.backup.schedule ?? '',
      () => runBackupRoutine(database, config, log),
      log,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    job.stop();
    log('backup: schedule stopped');
  } finally {
    await database.close();
  }
}

function requireServer(config: Config) {
  if (config.database.engine !== 'postgres') {
    throw new UsageError('point-in-time recovery works on a PostgreSQL server: set DATABASE_URL');
  }
  return config.database;
}

async function pitrSetup(options: { archiveDir: string; apply?: boolean }): Promise<void> {
  const settings = archivingSettings(options.archiveDir);
  print('# Continuous archiving (postgresql.conf):');
  for (const [name, value] of settings) print(`${name} = '${value.replace(/'/g, "''")}'`);
  if (!options.apply) {
    print(
      `\nThe folder must exist and be writable by the server's user. Apply with --apply, then restart PostgreSQL.`,
    );
    return;
  }
  await withDatabase(
    async (database, config) => {
      requireServer(config);
      await applyArchivingSettings(database.db, options.archiveDir);
      print(
        `\nApplied with ALTER SYSTEM on ${database.location}. Restart PostgreSQL for wal_level and archive_mode to take effect.`,
      );
    },
    { direct: true },
  );
}

async function pitrBaseBackup(options: { out: string }): Promise<void> {
  await withDatabase(
    async (database, config) => {
      const server = requireServer(config);
      const version = await sql<{
        major: number;
      }>`SELECT current_setting('server_version_num')::int / 10000 AS major`.execute(database.db);
      const started = Date.now();
      print(`Taking a base backup of ${database.location} into ${path.resolve(options.out)}…`);
      await takeBaseBackup(
        server.migrationUrl,
        path.resolve(options.out),
        version.rows[0]?.major ?? 0,
        print,
      );
      print(`Base backup done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    },
    { direct: true },
  );
}

async function pitrRestore(options: {
  base: string;
  archiveDir: string;
  targetTime: string;
  pgdata: string;
  port: number;
}): Promise<void> {
  const started = Date.now();
  const { recoveredTo } = await restoreToPointInTime({
    ...options,
    base: path.resolve(options.base),
    log: print,
  });
  print(
    `Recovered to ${options.targetTime} (last transaction replayed: ${recoveredTo ?? 'none'}) in ${((Date.now() - started) / 1000).toFixed(1)} s. ` +
      `The server runs on port ${options.port} from ${path.resolve(options.pgdata)}.`,
  );
}
