/**
 * The backup routine `serve` runs on BACKUP_SCHEDULE (and `db backups
 * schedule` runs on its own): back up, verify the new backup, prune old ones.
 */
import { Cron } from 'croner';
import type { Config } from '../../config/config.js';
import type { Database } from '../../db/database.js';
import { backupEmbedded, backupServer } from './backup.js';
import { listManifests } from './manifest.js';
import { decidePrune, removeBackup } from './retention.js';
import { verifyBackup } from './verify.js';

export type Log = (line: string) => void;

export async function runBackupRoutine(
  database: Database,
  config: Config,
  log: Log,
): Promise<boolean> {
  const started = Date.now();
  const server = config.database.engine === 'postgres' ? config.database : undefined;
  const options = { outDir: config.backup.dir, log: () => undefined };
  const manifest = server
    ? await backupServer(server, { ...options, format: 'custom' })
    : await backupEmbedded(
        requireEmbedded(database),
        config.database.engine === 'pglite' ? config.database.dataDir : '',
        {
          ...options,
          format: 'plain',
        },
      );
  log(`backup: wrote ${manifest.name} (${manifest.sizeBytes} bytes) in ${manifest.durationMs} ms`);
  const verification = await verifyBackup(manifest, server, () => undefined);
  log(
    verification.ok
      ? `backup: verified ${manifest.name}: checksum, row counts and ledger rules hold`
      : `backup: VERIFY FAILED for ${manifest.name}: ${verification.problems.join('; ')}`,
  );
  const decision = decidePrune(await listManifests(config.backup.dir), config.backup);
  for (const old of decision.remove) await removeBackup(old);
  log(
    `backup: pruned ${decision.remove.length}, kept ${decision.keep.length} (keep ${config.backup.keepDays} days, at least ${config.backup.keepLast}); done in ${Date.now() - started} ms`,
  );
  return verification.ok;
}

function requireEmbedded(database: Database) {
  if (!database.embedded) throw new Error('the embedded database is not open');
  return database.embedded;
}

/** Runs the routine on the cron expression, one run at a time, until stop(). */
export function scheduleBackups(
  expression: string,
  routine: () => Promise<unknown>,
  log: Log,
): Cron {
  const job = new Cron(expression, { protect: true }, async () => {
    try {
      await routine();
    } catch (error) {
      log(`backup: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  log(`backup: scheduled "${expression}", next run ${job.nextRun()?.toISOString() ?? 'never'}`);
  return job;
}
