/**
 * The guide's monitoring queries as one snapshot: connections by state,
 * sizes, cache hit rate and the heaviest statements, plus the app's pool.
 */
import { sql } from 'kysely';
import type { Engine, PoolFigures } from '../../db/database.js';
import type { AnyKysely } from '../../db/schema.js';
import { heaviestStatements, type StatementsReport } from './statements.js';

export interface TableSize {
  readonly table: string;
  readonly estimatedRows: number;
  readonly tableBytes: number;
  readonly indexBytes: number;
  readonly totalBytes: number;
}

export interface IndexSize {
  readonly index: string;
  readonly table: string;
  readonly bytes: number;
  readonly scans: number;
}

export interface DatabaseStats {
  readonly engine: Engine;
  readonly database: string;
  readonly serverVersion: string;
  readonly databaseBytes: number;
  readonly connections: {
    readonly byState: Readonly<Record<string, number>>;
    readonly total: number;
    readonly max: number;
  };
  /** Share of block reads served from shared buffers since the statistics were reset; null before any read. */
  readonly cacheHitRate: number | null;
  readonly tables: readonly TableSize[];
  readonly indexes: readonly IndexSize[];
  readonly statements: StatementsReport;
  readonly pool?: PoolFigures;
}

export async function collectStats(
  db: AnyKysely,
  engine: Engine,
  pool?: () => PoolFigures,
): Promise<DatabaseStats> {
  const overview = await sql<{
    database: string;
    version: string;
    bytes: number;
    max_connections: number;
    blks_hit: number;
    blks_read: number;
  }>`
    SELECT current_database() AS database,
           current_setting('server_version') AS version,
           pg_database_size(current_database())::float8 AS bytes,
           current_setting('max_connections')::int AS max_connections,
           d.blks_hit::float8 AS blks_hit,
           d.blks_read::float8 AS blks_read
      FROM pg_stat_database d
     WHERE d.datname = current_database()`.execute(db);
  const connections = await sql<{ state: string; n: number }>`
    SELECT coalesce(state, 'background') AS state, count(*)::int AS n
      FROM pg_stat_activity
     WHERE datname = current_database()
     GROUP BY 1 ORDER BY 1`.execute(db);
  const tables = await sql<{
    table: string;
    estimated_rows: number;
    table_bytes: number;
    index_bytes: number;
    total_bytes: number;
  }>`
    SELECT c.relname AS table,
           greatest(c.reltuples, 0)::float8 AS estimated_rows,
           pg_table_size(c.oid)::float8 AS table_bytes,
           pg_indexes_size(c.oid)::float8 AS index_bytes,
           pg_total_relation_size(c.oid)::float8 AS total_bytes
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public'
     ORDER BY total_bytes DESC, c.relname`.execute(db);
  const indexes = await sql<{ index: string; table: string; bytes: number; scans: number }>`
    SELECT s.indexrelname AS index, s.relname AS table,
           pg_relation_size(s.indexrelid)::float8 AS bytes, s.idx_scan::float8 AS scans
      FROM pg_stat_user_indexes s
     WHERE s.schemaname = 'public'
     ORDER BY bytes DESC, s.indexrelname
     LIMIT 15`.execute(db);
  const row = overview.rows[0];
  const reads = (row?.blks_hit ?? 0) + (row?.blks_read ?? 0);
  const byState = Object.fromEntries(connections.rows.map((entry) => [entry.state, entry.n]));
  return {
    engine,
    database: row?.database ?? '',
    serverVersion: row?.version ?? '',
    databaseBytes: row?.bytes ?? 0,
    connections: {
      byState,
      total: connections.rows.reduce((sum, entry) => sum + entry.n, 0),
      max: row?.max_connections ?? 0,
    },
    cacheHitRate: reads === 0 ? null : (row?.blks_hit ?? 0) / reads,
    tables: tables.rows.map((table) => ({
      table: table.table,
      estimatedRows: table.estimated_rows,
      tableBytes: table.table_bytes,
      indexBytes: table.index_bytes,
      totalBytes: table.total_bytes,
    })),
    indexes: indexes.rows,
    statements: await heaviestStatements(db, engine, 5),
    ...(pool ? { pool: pool() } : {}),
  };
}
