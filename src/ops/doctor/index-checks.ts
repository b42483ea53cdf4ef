/** Indexes that cost writes for nothing, are broken, or are missing under a foreign key. */
import { sql } from 'kysely';
import type { AnyKysely } from '../../db/schema.js';
import { outcome, type CheckOutcome, type Finding } from './finding.js';

/** A table read this often since the statistics reset has shown which indexes it needs. */
export const READS_BEFORE_JUDGING = 100;

export async function checkIndexes(db: AnyKysely): Promise<CheckOutcome> {
  const findings: Finding[] = [];

  const unused = await sql<{ index: string; table: string; bytes: number; reads: number }>`
    SELECT s.indexrelname AS index, s.relname AS table,
           pg_relation_size(s.indexrelid)::float8 AS bytes,
           (t.seq_scan + coalesce(t.idx_scan, 0))::float8 AS reads
      FROM pg_stat_user_indexes s
      JOIN pg_index i ON i.indexrelid = s.indexrelid
      JOIN pg_stat_user_tables t ON t.relid = s.relid
     WHERE s.schemaname = 'public' AND s.idx_scan = 0
       AND NOT i.indisunique AND NOT i.indisprimary
       AND t.seq_scan + coalesce(t.idx_scan, 0) >= ${READS_BEFORE_JUDGING}
     ORDER BY bytes DESC`.execute(db);
  for (const row of unused.rows) {
    findings.push({
      area: 'indexes',
      check: 'unused index',
      severity: 'warn',
      evidence: `${row.index} on ${row.table} has never been used, while the table was read ${row.reads} times since the statistics were reset`,
      fix: `DROP INDEX CONCURRENTLY ${row.index};   -- in a migration, after checking no rare job needs it`,
    });
  }

  const duplicates = await sql<{ index: string; same_as: string; table: string }>`
    SELECT a.indexrelid::regclass::text AS index, b.indexrelid::regclass::text AS same_as,
           a.indrelid::regclass::text AS table
      FROM pg_index a
      JOIN pg_index b ON a.indrelid = b.indrelid AND a.indexrelid > b.indexrelid
       AND a.indkey = b.indkey AND a.indclass = b.indclass
       AND coalesce(pg_get_expr(a.indexprs, a.indrelid), '') = coalesce(pg_get_expr(b.indexprs, b.indrelid), '')
       AND coalesce(pg_get_expr(a.indpred, a.indrelid), '') = coalesce(pg_get_expr(b.indpred, b.indrelid), '')
      JOIN pg_class c ON c.oid = a.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND NOT a.indisprimary AND NOT (a.indisunique AND NOT b.indisunique)
     ORDER BY 1`.execute(db);
  for (const row of duplicates.rows) {
    findings.push({
      area: 'indexes',
      check: 'duplicate index',
      severity: 'warn',
      evidence: `${row.index} on ${row.table} indexes the same columns as ${row.same_as}`,
      fix: `DROP INDEX CONCURRENTLY ${row.index};`,
    });
  }

  const invalid = await sql<{ index: string; table: string }>`
    SELECT i.indexrelid::regclass::text AS index, i.indrelid::regclass::text AS table
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND NOT i.indisvalid`.execute(db);
  for (const row of invalid.rows) {
    findings.push({
      area: 'indexes',
      check: 'invalid index',
      severity: 'critical',
      evidence: `${row.index} on ${row.table} is invalid (a CREATE INDEX CONCURRENTLY failed): it is maintained on every write but never used`,
      fix: `REINDEX INDEX CONCURRENTLY ${row.index};`,
    });
  }

  // Covered when an index starts with all the key's columns, in any order, or
  // when a unique index lies within them (it finds at most one row anyway).
  const unindexed = await sql<{ constraint: string; table: string; columns: string }>`
    SELECT c.conname AS constraint, c.conrelid::regclass::text AS table,
           (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
              FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns
      FROM pg_constraint c
      JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE c.contype = 'f' AND n.nspname = 'public'
       AND NOT EXISTS (
         SELECT 1 FROM pg_index i
          WHERE i.indrelid = c.conrelid
            AND (((i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey
                  AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey)
                 OR (i.indisunique AND i.indpred IS NULL AND (i.indkey::int2[]) <@ c.conkey)))
     ORDER BY 2, 1`.execute(db);
  for (const row of unindexed.rows) {
    findings.push({
      area: 'indexes',
      check: 'foreign key without index',
      severity: 'warn',
      evidence: `${row.constraint} on ${row.table} (${row.columns}) has no index: deleting or updating a referenced row scans ${row.table}`,
      fix: `CREATE INDEX CONCURRENTLY ${row.table}_${row.columns.replace(/, /g, '_')}_idx ON ${row.table} (${row.columns});`,
    });
  }

  if (findings.length === 0) {
    findings.push({
      area: 'indexes',
      check: 'indexes',
      severity: 'ok',
      evidence: 'no unused, duplicate or invalid index, and every foreign key has one',
    });
  }
  return outcome(findings);
}
