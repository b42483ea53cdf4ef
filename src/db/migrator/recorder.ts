import {
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { AnyKysely } from '../schema.js';

export interface RecordedStatement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/**
 * Runs migration code against a database that only records: every statement
 * is compiled to PostgreSQL SQL and kept, nothing is sent anywhere, and every
 * query answers with no rows. This is how `db sql` previews a migration and
 * `db lint` reads it.
 */
export async function recordStatements(
  work: (db: AnyKysely) => Promise<void>,
): Promise<RecordedStatement[]> {
  const recorded: RecordedStatement[] = [];
  const connection: DatabaseConnection = {
    executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      recorded.push({ sql: query.sql, parameters: query.parameters });
      return Promise.resolve({ rows: [] });
    },
    streamQuery() {
      throw new Error('streaming is not available while recording');
    },
  };
  const driver: Driver = {
    init: () => Promise.resolve(),
    acquireConnection: () => Promise.resolve(connection),
    beginTransaction: () => Promise.resolve(),
    commitTransaction: () => Promise.resolve(),
    rollbackTransaction: () => Promise.resolve(),
    releaseConnection: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
  };
  const db = new Kysely<unknown>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (inner) => new PostgresIntrospector(inner),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  try {
    await work(db);
  } finally {
    await db.destroy();
  }
  return recorded;
}

/** A recorded statement as a reader would write it: trimmed, with its parameters noted. */
export function formatStatement(statement: RecordedStatement): string {
  const text = dedent(statement.sql).trim().replace(/;?$/, ';');
  if (statement.parameters.length === 0) return text;
  const values = statement.parameters.map(
    (value, index) => `$${index + 1} = ${JSON.stringify(value)}`,
  );
  return `${text}\n-- parameters: ${values.join(', ')}`;
}

function dedent(text: string): string {
  const lines = text.replace(/^\n+/, '').split('\n');
  const indents = lines
    .filter((line) => line.trim() !== '')
    .map((line) => /^ */.exec(line)?.[0].length ?? 0);
  const common = Math.min(...indents);
  return lines.map((line) => line.slice(common)).join('\n');
}
