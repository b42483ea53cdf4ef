import type { DatabaseConfig } from '../../config/config.js';
import { openDatabase, type Database } from '../database.js';
import type { AnyKysely } from '../schema.js';
import { Migrator, type MigrationReport, type MigratorOptions } from './runner.js';

export { BUILT_IN_MIGRATIONS_DIR, readMigrationFiles } from './migration-files.js';
export { HISTORY_TABLE, readHistory } from './history.js';
export { MigrationError, MigrationFailedError } from './errors.js';
export { Migrator, ZERO, type MigrationReport, type MigrationStatus } from './runner.js';

/** Applies every pending migration. */
export function migrateToLatest(db: AnyKysely, options: MigratorOptions = {}) {
  return new Migrator(db, options).migrate();
}

/**
 * Migrates over the direct connection (MIGRATION_DATABASE_URL) when the
 * application's own URL differs, e.g. when it points at PgBouncer, whose
 * transaction pooling cannot hold the migrator's session lock.
 */
export async function migrateDatabase(
  config: DatabaseConfig,
  database: Database,
  options: MigratorOptions = {},
): Promise<MigrationReport> {
  if (config.engine === 'pglite' || config.migrationUrl === config.url) {
    return migrateToLatest(database.db, options);
  }
  const direct = await openDatabase(config, { forMigrations: true });
  try {
    return await migrateToLatest(direct.db, options);
  } finally {
    await direct.close();
  }
}
