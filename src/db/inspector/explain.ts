/**
 * EXPLAIN for one statement with its parameters, and a one-line verdict:
 * which indexes it uses, and any sequential scan on a large table.
 * With ANALYZE the statement really runs, so it runs in a transaction that is
 * rolled back: explaining a transfer never moves money.
 */
import { CompiledQuery, sql } from 'kysely';
import type { AnyKysely } from '../schema.js';

/** A sequential scan of a table this big is worth a look. */
export const LARGE_TABLE_ROWS = 10_000;

export interface Explanation {
  readonly plan: string;
  readonly verdict: string;
  readonly indexesUsed: readonly string[];
  readonly sequentialScans: readonly { table: string; estimatedRows: number }[];
}

class RolledBack extends Error {
  constructor(readonly plan: string[]) {
    super('rolled back on purpose');
  }
}

export async function explain(
  db: AnyKysely,
  statement: string,
  parameters: readonly unknown[] = [],
  options: { analyze?: boolean } = {},
): Promise<Explanation> {
  const prefix = options.analyze
    ? 'EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) '
    : 'EXPLAIN (FORMAT TEXT) ';
  const compiled = CompiledQuery.raw(prefix + statement, [...parameters]);
  let lines: string[];
  if (options.analyze) {
    try {
      await db.transaction().execute(async (trx) => {
        const result = await trx.executeQuery<{ 'QUERY PLAN': string }>(compiled);
        throw new RolledBack(result.rows.map((row) => row['QUERY PLAN']));
      });
      lines = [];
    } catch (error) {
      if (!(error instanceof RolledBack)) throw error;
      lines = error.plan;
    }
  } else {
    lines = (await db.executeQuery<{ 'QUERY PLAN': string }>(compiled)).rows.map(
      (row) => row['QUERY PLAN'],
    );
  }
  return judge(db, lines);
}

async function judge(db: AnyKysely, lines: string[]): Promise<Explanation> {
  const plan = lines.join('\n');
  const indexesUsed = [
    ...new Set(
      [
        ...plan.matchAll(
          /(?:Index (?:Only )?Scan(?: Backward)? using|Bitmap Index Scan on) (\S+)/g,
        ),
      ].map((match) => match[1] ?? ''),
    ),
  ];
  const scanned = [
    ...new Set([...plan.matchAll(/Seq Scan on (\S+)/g)].map((match) => match[1] ?? '')),
  ];
  const sizes = scanned.length
    ? await sql<{ table: string; rows: number }>`
        SELECT relname AS table, greatest(reltuples, 0)::float8 AS rows FROM pg_class
         WHERE relname = ANY(${scanned}) AND relkind IN ('r', 'p')`.execute(db)
    : { rows: [] };
  const sequentialScans = scanned.map((table) => ({
    table,
    estimatedRows: sizes.rows.find((row) => row.table === table)?.rows ?? 0,
  }));
  const large = sequentialScans.filter((scan) => scan.estimatedRows >= LARGE_TABLE_ROWS);
  const verdict =
    large.length > 0
      ? `SEQUENTIAL SCAN on large table${large.length > 1 ? 's' : ''} ${large
          .map(
            (scan) =>
              `${scan.table} (~${Math.round(scan.estimatedRows).toLocaleString('en-US')} rows)`,
          )
          .join(', ')}: add an index or narrow the WHERE clause`
      : `OK: no sequential scan on a large table${indexesUsed.length ? `; uses ${indexesUsed.join(', ')}` : ''}`;
  return { plan, verdict, indexesUsed, sequentialScans };
}
