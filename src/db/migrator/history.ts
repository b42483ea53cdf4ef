import { sql } from 'kysely';
import type { AnyKysely } from '../schema.js';
import type { MigrationFile } from './migration-files.js';

export const HISTORY_TABLE = 'chamahub_schema_migrations';
/** The table an earlier ChamaHub (Kysely's migrator) kept; imported once, then dropped. */
const LEGACY_TABLE = 'chamahub_migrations';

export interface AppliedMigration {
  readonly name: string;
  readonly checksum: string;
  readonly appliedAt: Date;
  readonly durationMs: number;
}

/** Creates the history table if needed, importing an earlier ChamaHub's history. */
export async function ensureHistoryTable(db: AnyKysely, files: readonly MigrationFile[]) {
  await sql`
    CREATE TABLE IF NOT EXISTS ${sql.table(HISTORY_TABLE)} (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      duration_ms integer NOT NULL DEFAULT 0
    )`.execute(db);
  const legacy = await sql<{ exists: boolean }>`
    SELECT to_regclass(${LEGACY_TABLE}) IS NOT NULL AS exists`.execute(db);
  if (!legacy.rows[0]?.exists) return;
  const rows = await sql<{ name: string; timestamp: string }>`
    SELECT name, timestamp FROM ${sql.table(LEGACY_TABLE)}`.execute(db);
  for (const row of rows.rows) {
    const file = files.find((candidate) => candidate.name === row.name);
    await sql`
      INSERT INTO ${sql.table(HISTORY_TABLE)} (name, checksum, applied_at)
      VALUES (${row.name}, ${file?.checksum ?? 'unknown'}, ${row.timestamp}::timestamptz)
      ON CONFLICT (name) DO NOTHING`.execute(db);
  }
  await sql`DROP TABLE ${sql.table(LEGACY_TABLE)}`.execute(db);
  await sql`DROP TABLE IF EXISTS chamahub_migrations_lock`.execute(db);
}

export async function readHistory(db: AnyKysely): Promise<AppliedMigration[]> {
  const exists = await sql<{ exists: boolean }>`
    SELECT to_regclass(${HISTORY_TABLE}) IS NOT NULL AS exists`.execute(db);
  if (!exists.rows[0]?.exists) return [];
  const result = await sql<{
    name: string;
    checksum: string;
    applied_at: Date;
    duration_ms: number;
  }>`
    SELECT name, checksum, applied_at, duration_ms FROM ${sql.table(HISTORY_TABLE)}
     ORDER BY name`.execute(db);
  return result.rows.map((row) => ({
    name: row.name,
    checksum: row.checksum,
    appliedAt: row.applied_at,
    durationMs: row.duration_ms,
  }));
}

export async function recordApplied(
  db: AnyKysely,
  file: MigrationFile,
  durationMs: number,
): Promise<void> {
  await sql`
    INSERT INTO ${sql.table(HISTORY_TABLE)} (name, checksum, duration_ms)
    VALUES (${file.name}, ${file.checksum}, ${durationMs})`.execute(db);
}

export async function forget(db: AnyKysely, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await sql`
    DELETE FROM ${sql.table(HISTORY_TABLE)}
     WHERE name IN (${sql.join(names.map((name) => sql`${name}`))})`.execute(db);
}
