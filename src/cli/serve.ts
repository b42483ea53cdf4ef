import type { Command } from 'commander';
import { loadConfig, type DatabaseConfig } from '../config/config.js';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database } from '../db/database.js';
import { IdempotencyService } from '../domain/idempotency/idempotency-service.js';
import { migrateDatabase } from '../db/migrator/index.js';
import { assertDirectConnection, detectPooler } from '../db/pooler-detection.js';
import { buildApp } from '../http/app.js';
import { runBackupRoutine, scheduleBackups } from '../ops/backup/schedule.js';
import { runCommand } from './run-command.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'Start the ChamaHub HTTP API. Applies pending migrations first. Uses the embedded ' +
        'database in CHAMAHUB_DATA_DIR (default ./data) unless DATABASE_URL is set.',
    )
    .option('--no-migrate', 'do not apply pending migrations on start')
    .action(runCommand(serve));
}

async function serve(options: { migrate: boolean }): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config.database, {
    onPoolError: (error) => process.stderr.write(`database connection error: ${error.message}\n`),
  });
  try {
    const behindPooler = await reportPooler(config.database, database);
    if (options.migrate) {
      if (behindPooler && config.database.engine === 'postgres') {
        await assertMigrationConnection(config.database);
      }
      await migrateDatabase(config.database, database, {
        ...(config.migrationsDir ? { dir: config.migrationsDir } : {}),
        log: (line) => process.stdout.write(`${line}\n`),
      });
    }
    const app = await buildApp({ config, database });
    const address = await app.listen({ host: config.host, port: config.port });
    process.stdout.write(`ChamaHub listening on ${address} (database: ${database.location})\n`);
    const purge = scheduleIdempotencyPurge(app, database, config.idempotencyRetentionHours);
    const backupLog = (line: string) => app.log.info(line);
    const backups = config.backup.schedule
      ? scheduleBackups(
          config.backup.schedule,
          () => runBackupRoutine(database, config, backupLog),
          backupLog,
        )
      : undefined;

    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        process.stdout.write(`Received ${signal}, shutting down\n`);
        resolve();
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    clearInterval(purge);
    backups?.stop();
    await closeWithin(app, config.shutdownTimeoutMs);
    process.stdout.write('Stopped cleanly\n');
  } finally {
    await database.close();
  }
}

const HOUR_MS = 60 * 60 * 1000;

/** Stored Idempotency-Key outcomes are kept for the retention period, then purged hourly. */
function scheduleIdempotencyPurge(
  app: FastifyInstance,
  database: Database,
  retentionHours: number,
): NodeJS.Timeout {
  const idempotency = new IdempotencyService(database.db);
  const timer = setInterval(() => {
    idempotency.purge(retentionHours).then(
      (purged) => app.log.info({ purged, retentionHours }, 'purged old idempotency keys'),
      (error: unknown) => app.log.warn({ err: error }, 'idempotency key purge failed'),
    );
  }, HOUR_MS);
  timer.unref();
  return timer;
}

/**
 * Stops taking new connections and lets requests in flight finish; any still
 * running after `timeoutMs` have their connections closed so the process can
 * exit (the database pool closes after).
 */
async function closeWithin(app: FastifyInstance, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const closing = app.close().then(() => 'closed' as const);
  // A keep-alive connection whose request finishes after close() began is
  // idle only from then on: keep sweeping so it does not hold the exit.
  const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
  const outcome = await Promise.race([closing, deadline]);
  clearInterval(sweep);
  if (outcome === 'timeout') {
    process.stdout.write(
      `Requests still running after ${timeoutMs} ms; closing their connections\n`,
    );
    app.server.closeAllConnections();
    await closing;
  }
  clearTimeout(timer);
}

/** Says whether a pooler sits in front of the server, and what would break through it. */
async function reportPooler(config: DatabaseConfig, database: Database): Promise<boolean> {
  if (config.engine !== 'postgres') return false;
  const pooler = await detectPooler(database.db, config);
  if (!pooler.behindPooler) return false;
  process.stdout.write(
    `Connection pooler detected: ${pooler.version ?? 'PgBouncer (version not visible to this user)'} ` +
      `on port ${pooler.urlPort}, in front of PostgreSQL on port ${pooler.serverPort}; ` +
      'ChamaHub keeps no session state, so transaction pooling is safe\n',
  );
  for (const warning of pooler.warnings) process.stdout.write(`WARNING: ${warning}\n`);
  return true;
}

async function assertMigrationConnection(
  config: Extract<DatabaseConfig, { engine: 'postgres' }>,
): Promise<void> {
  const direct = await openDatabase(config, { forMigrations: true });
  try {
    await assertDirectConnection(direct.db, config.migrationUrl);
  } finally {
    await direct.close();
  }
}
