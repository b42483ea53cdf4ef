import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyKysely } from './schema.js';
import { FileMigrationProvider, Migrator, type MigrationResult } from 'kysely/migration';
import type { DatabaseConfig } from '../config/config.js';
import { openDatabase, type Database } from './database.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
export const MIGRATION_TABLE = 'chamahub_migrations';
const MIGRATION_LOCK_TABLE = 'chamahub_migrations_lock';

export function createMigrator(db: AnyKysely): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

export class MigrationFailedError extends Error {
  constructor(
    readonly migrationName: string | undefined,
    override readonly cause: unknown,
  ) {
    const where = migrationName ? `migration ${migrationName}` : 'the migrator';
    super(`${where} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'MigrationFailedError';
  }
}

/** Applies every pending migration, in order, and returns what ran. */
export async function migrateToLatest(db: AnyKysely): Promise<MigrationResult[]> {
  const { error, results = [] } = await createMigrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error');
    throw new MigrationFailedError(failed?.migrationName, error);
  }
  return results;
}

/** Names of the migration files shipped with this build, in order. */
export async function migrationNames(db: AnyKysely): Promise<string[]> {
  const migrations = await createMigrator(db).getMigrations();
  return migrations.map((migration) => migration.name);
}

/** Names of the migrations shipped in this build, read from the folder, in order. */
export async function shippedMigrationNames(): Promise<string[]> {
  const files = await fs.readdir(MIGRATIONS_DIR);
  return files
    .filter((file) => /\.(ts|js|mts|mjs)$/.test(file) && !file.endsWith('.d.ts'))
    .map((file) => file.replace(/\.(ts|js|mts|mjs)$/, ''))
    .sort();
}

/**
 * Migrates over the direct connection (MIGRATION_DATABASE_URL) when the
 * application's own URL differs, e.g. when it points at PgBouncer.
 */
export async function migrateDatabase(
  config: DatabaseConfig,
  database: Database,
): Promise<MigrationResult[]> {
  if (config.engine === 'pglite' || config.migrationUrl === config.url) {
    return migrateToLatest(database.db);
  }
  const direct = await openDatabase(config, { forMigrations: true });
  try {
    return await migrateToLatest(direct.db);
  } finally {
    await direct.close();
  }
}
