/**
 * Which indexes and tables a piece of work really scanned, from PostgreSQL's
 * own per-transaction counters. EXPLAIN cannot look inside a PL/pgSQL
 * function (it shows one Function Scan), but the counters see every scan the
 * function's statements make.
 */
import { sql } from 'kysely';
import type { AnyKysely } from '../schema.js';

export interface ScanCounts {
  /** Index name → index scans (plain, index-only and bitmap). */
  readonly indexScans: ReadonlyMap<string, number>;
  /** Table name → sequential scans. */
  readonly sequentialScans: ReadonlyMap<string, number>;
}

/**
 * Runs the work and returns the scans it made on ChamaHub's tables. The
 * counters cover the current transaction only, so `db` must be a transaction
 * and the work must run in it.
 */
export async function countScans(db: AnyKysely, work: () => Promise<unknown>): Promise<ScanCounts> {
  const before = await readCounters(db);
  await work();
  const after = await readCounters(db);
  const indexScans = new Map<string, number>();
  const sequentialScans = new Map<string, number>();
  for (const [name, { kind, scans }] of after) {
    const made = scans - (before.get(name)?.scans ?? 0);
    if (made > 0) (kind === 'i' ? indexScans : sequentialScans).set(name, made);
  }
  return { indexScans, sequentialScans };
}

async function readCounters(db: AnyKysely) {
  const result = await sql<{ name: string; kind: string; scans: number }>`
    SELECT c.relname AS name, c.relkind::text AS kind,
           pg_stat_get_xact_numscans(c.oid)::int AS scans
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')`.execute(db);
  return new Map(result.rows.map((row) => [row.name, row]));
}

/** "contributions_member_statement_idx ×1, memberships_chama_user_key ×2" */
export function describeScans(scans: ReadonlyMap<string, number>): string {
  return [...scans.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, count]) => `${name} ×${count}`)
    .join(', ');
}
