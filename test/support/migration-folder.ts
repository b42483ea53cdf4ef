/**
 * A scratch migrations folder inside the project (so migration files resolve
 * 'kysely' as the real ones do), holding copies of the built-in migrations and
 * whatever a test adds.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_IN_MIGRATIONS_DIR } from '../../src/db/migrator/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLES_DIR = path.join(ROOT, 'examples', 'migrations');

export interface MigrationFolder {
  readonly dir: string;
  add(fileName: string, source: string): Promise<string>;
  remove(): Promise<void>;
}

export async function makeMigrationFolder(
  options: { withExamples?: boolean } = {},
): Promise<MigrationFolder> {
  const parent = path.join(ROOT, '.scratch');
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(path.join(parent, 'migrations-'));
  const sources = [BUILT_IN_MIGRATIONS_DIR, ...(options.withExamples ? [EXAMPLES_DIR] : [])];
  for (const source of sources) {
    for (const file of await readdir(source)) {
      if (/^\d{4}_.*\.ts$/.test(file))
        await copyFile(path.join(source, file), path.join(dir, file));
    }
  }
  return {
    dir,
    async add(fileName, source) {
      const filePath = path.join(dir, fileName);
      await writeFile(filePath, source);
      return filePath;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A small additive migration, as `db make --sql` would write it. */
export function sqlMigration(
  up: string,
  down: string,
  extra = "export const lockTimeout = '5s';",
): string {
  return [
    "import { sql, type Kysely } from 'kysely';",
    extra,
    `export async function up(db: Kysely<unknown>): Promise<void> { await sql.raw(${JSON.stringify(up)}).execute(db); }`,
    `export async function down(db: Kysely<unknown>): Promise<void> { await sql.raw(${JSON.stringify(down)}).execute(db); }`,
    '',
  ].join('\n');
}
