/** The heaviest statements from pg_stat_statements, or why they cannot be shown. */
import { sql } from 'kysely';
import type { Engine } from '../../db/database.js';
import type { AnyKysely } from '../../db/schema.js';

export interface StatementFigures {
  readonly query: string;
  readonly calls: number;
  readonly totalMs: number;
  readonly meanMs: number;
  readonly rows: number;
  /** Share of the statement's block reads found in shared buffers; null when it read none. */
  readonly cacheHitRate: number | null;
}

export type StatementsReport =
  | { readonly available: true; readonly statements: readonly StatementFigures[] }
  | { readonly available: false; readonly reason: string };

export const ENABLE_PG_STAT_STATEMENTS =
  "add pg_stat_statements to shared_preload_libraries (ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'), " +
  'restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements in this database';

export async function heaviestStatements(
  db: AnyKysely,
  engine: Engine,
  limit: number,
): Promise<StatementsReport> {
  if (engine === 'pglite') {
    return {
      available: false,
      reason: 'pg_stat_statements is not available on the embedded database (PGlite)',
    };
  }
  const installed = await sql<{ loaded: boolean }>`
    SELECT current_setting('shared_preload_libraries') LIKE '%pg_stat_statements%' AS loaded
      FROM pg_extension WHERE extname = 'pg_stat_statements'`.execute(db);
  if (!installed.rows[0]?.loaded) {
    return {
      available: false,
      reason: `pg_stat_statements is not enabled: ${ENABLE_PG_STAT_STATEMENTS}`,
    };
  }
  const result = await sql<{
    query: string;
    calls: number;
    total_ms: number;
    mean_ms: number;
    rows: number;
    hit: number;
    read: number;
  }>`
    SELECT s.query, s.calls::float8 AS calls, s.total_exec_time AS total_ms,
           s.mean_exec_time AS mean_ms, s.rows::float8 AS rows,
           s.shared_blks_hit::float8 AS hit, s.shared_blks_read::float8 AS read
      FROM pg_stat_statements s
     WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY s.total_exec_time DESC
     LIMIT ${limit}`.execute(db);
  return {
    available: true,
    statements: result.rows.map((row) => ({
      query: row.query.replace(/\s+/g, ' ').trim(),
      calls: row.calls,
      totalMs: Math.round(row.total_ms * 100) / 100,
      meanMs: Math.round(row.mean_ms * 1000) / 1000,
      rows: row.rows,
      cacheHitRate: row.hit + row.read === 0 ? null : row.hit / (row.hit + row.read),
    })),
  };
}
