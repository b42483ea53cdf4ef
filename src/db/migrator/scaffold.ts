import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MigrationError } from './errors.js';
import { readMigrationFiles } from './migration-files.js';

export interface ScaffoldOptions {
  /** SQL for up and down; without them the file holds a commented example to fill in. */
  readonly upSql?: string | undefined;
  readonly downSql?: string | undefined;
}

/** Writes the next migration file in `dir` and returns its path. */
export async function scaffoldMigration(
  dir: string,
  description: string,
  options: ScaffoldOptions = {},
): Promise<string> {
  const slug = description
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw new MigrationError('Give the migration a name made of letters or digits');
  const files = await readMigrationFiles(dir);
  const last = files.at(-1)?.name ?? '0000';
  const next = String(Number(/^\d+/.exec(last)?.[0] ?? '0') + 1).padStart(4, '0');
  const filePath = path.join(dir, `${next}_${slug}.ts`);
  await writeFile(filePath, render(options), { flag: 'wx' });
  return filePath;
}

function render({ upSql, downSql }: ScaffoldOptions): string {
  const body = (statement: string | undefined, example: string) =>
    statement === undefined
      ? `export function %NAME%(_db: Kysely<unknown>): Promise<void> {\n  // ${example}\n  return Promise.resolve();\n}\n`
      : `export async function %NAME%(db: Kysely<unknown>): Promise<void> {\n  await sql.raw(${JSON.stringify(statement)}).execute(db);\n}\n`;
  const usesSql = upSql !== undefined || downSql !== undefined;
  return [
    usesSql
      ? "import { sql, type Kysely } from 'kysely';"
      : "import type { Kysely } from 'kysely';",
    '',
    '// Give up instead of queueing behind a long lock and stalling every request behind it.',
    "export const lockTimeout = '5s';",
    '',
    body(upSql, 'await sql`ALTER TABLE users ADD COLUMN nickname text`.execute(db);').replace(
      '%NAME%',
      'up',
    ),
    body(downSql, 'await sql`ALTER TABLE users DROP COLUMN nickname`.execute(db);').replace(
      '%NAME%',
      'down',
    ),
  ].join('\n');
}
