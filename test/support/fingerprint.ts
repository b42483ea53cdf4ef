/** What a database holds, table by table, to compare a restore with its original. */
import { sql } from 'kysely';
import type { AnyKysely } from '../../src/db/schema.js';

export async function fingerprint(db: AnyKysely): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`.execute(db);
  const result: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const row = await sql<{ rows: string; digest: string }>`
      SELECT count(*)::text AS rows,
             md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest
        FROM ${sql.table(name)} t`.execute(db);
    result[name] = `${row.rows[0]?.rows} rows, md5 ${row.rows[0]?.digest}`;
  }
  return result;
}

export async function balances(db: AnyKysely): Promise<string> {
  const result = await sql<{ all: string | null }>`
    SELECT string_agg(id || '=' || balance, ',' ORDER BY id) AS all FROM accounts`.execute(db);
  return result.rows[0]?.all ?? '';
}
