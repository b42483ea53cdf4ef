import { sql } from 'kysely';
import { HISTORY_TABLE } from './migrator/history.js';
import type { AnyKysely } from './schema.js';

/**
 * The shape of the `public` schema as PostgreSQL's catalogs describe it:
 * what two databases must share to be "the same schema". Used to prove that
 * PGlite and the server end up identical, to test that every down() undoes
 * its up(), and to detect drift. The migrator's own history table is left
 * out: it is bookkeeping, not the application's schema.
 */
export interface SchemaSnapshot {
  readonly tables: readonly string[];
  /** "table.column type [not null] [default …] [identity …] [generated …]" */
  readonly columns: readonly string[];
  /** "table.constraint: definition" (NOT NULL lives in columns). */
  readonly constraints: readonly string[];
  readonly indexes: readonly string[];
  readonly triggers: readonly string[];
  /** "name(args): md5 of the body" */
  readonly functions: readonly string[];
}

export async function snapshotSchema(db: AnyKysely): Promise<SchemaSnapshot> {
  const tables = await sql<{ name: string }>`
    SELECT c.relname AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> ${HISTORY_TABLE}
     ORDER BY 1`.execute(db);

  const columns = await sql<{ line: string }>`
    SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || CASE WHEN a.attidentity::text <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
           || CASE WHEN a.attgenerated::text <> '' THEN ' generated ' || pg_get_expr(d.adbin, d.adrelid)
                   WHEN d.adbin IS NOT NULL THEN ' default ' || pg_get_expr(d.adbin, d.adrelid)
                   ELSE '' END AS line
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
       AND c.relname <> ${HISTORY_TABLE}
     ORDER BY c.relname, a.attnum`.execute(db);

  // contype 'n' (NOT NULL as a constraint row) exists from PostgreSQL 18 on;
  // nullability is compared through the columns instead.
  const constraints = await sql<{ line: string }>`
    SELECT c.relname || '.' || con.conname || ': ' || pg_get_constraintdef(con.oid) AS line
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND con.contype <> 'n' AND c.relname <> ${HISTORY_TABLE}
     ORDER BY 1`.execute(db);

  const indexes = await sql<{ line: string }>`
    SELECT pg_get_indexdef(i.indexrelid) AS line
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relname <> ${HISTORY_TABLE}
     ORDER BY 1`.execute(db);

  const triggers = await sql<{ line: string }>`
    SELECT pg_get_triggerdef(t.oid) AS line
      FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND NOT t.tgisinternal
     ORDER BY 1`.execute(db);

  const functions = await sql<{ line: string }>`
    SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || '): ' || md5(p.prosrc) AS line
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public'
     ORDER BY 1`.execute(db);

  return {
    tables: tables.rows.map((row) => row.name),
    columns: columns.rows.map((row) => row.line),
    constraints: constraints.rows.map((row) => row.line),
    indexes: indexes.rows.map((row) => row.line),
    triggers: triggers.rows.map((row) => row.line),
    functions: functions.rows.map((row) => row.line),
  };
}
