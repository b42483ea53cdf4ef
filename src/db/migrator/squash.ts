import { copyFile, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { snapshotSchema, type SchemaSnapshot } from '../catalog.js';
import { openInMemoryDatabase } from '../database.js';
import { MigrationError } from './errors.js';
import { readMigrationFiles, type MigrationFile } from './migration-files.js';
import { recordStatements } from './recorder.js';
import { Migrator, ZERO } from './runner.js';

export interface SquashResult {
  readonly path: string;
  readonly replaces: readonly string[];
  readonly statements: number;
}

const DATA_STATEMENT = /^\s*(?:WITH\b[\s\S]*?\b)?(SELECT|INSERT|UPDATE|DELETE|COPY)\b/i;

/**
 * Replaces the run of migrations from `from` to `to` with one migration that
 * runs the same SQL, and records which ones it replaces so databases that
 * applied them carry on. Before anything is written, both versions are
 * applied to scratch databases and their schemas compared, up and down; any
 * difference refuses the squash and leaves the folder as it was.
 */
export async function squashMigrations(
  dir: string,
  from: string,
  to: string,
): Promise<SquashResult> {
  const files = await readMigrationFiles(dir);
  const start = files.findIndex((file) => file.name === from);
  const end = files.findIndex((file) => file.name === to);
  if (start === -1 || end === -1) {
    throw new MigrationError(`Both ${from} and ${to} must be migrations in ${dir}`);
  }
  if (end <= start) throw new MigrationError(`${to} must come after ${from}`);
  const run = files.slice(start, end + 1);

  const up: string[] = [];
  const down: string[] = [];
  let lockTimeout: string | undefined;
  for (const file of run) {
    const module = await file.load();
    if (module.transactional === false) {
      throw new MigrationError(
        `${file.name} is not transactional and cannot be squashed with others`,
      );
    }
    if (module.replaces)
      throw new MigrationError(`${file.name} is itself a squash; squash from the originals`);
    if (!module.down)
      throw new MigrationError(`${file.name} has no down(), so the squash could not be reverted`);
    lockTimeout ??= module.lockTimeout;
    up.push(...(await sqlOf(file, (db) => module.up(db))));
  }
  for (const file of [...run].reverse()) {
    const module = await file.load();
    const revert = module.down;
    if (revert) down.push(...(await sqlOf(file, (db) => revert(db))));
  }

  const name = `${/^\d+/.exec(from)?.[0] ?? '0000'}_squashed_${from}_to_${to}`.slice(0, 120);
  const source = render(
    run.map((file) => file.name),
    up,
    down,
    lockTimeout,
  );

  // Inside the folder, so the copies resolve 'kysely' and friends like the originals.
  const scratch = await mkdtemp(path.join(dir, '.squash-'));
  try {
    const original = path.join(scratch, 'original');
    const squashed = path.join(scratch, 'squashed');
    await copyFolder(files, original);
    await copyFolder([...files.slice(0, start), ...files.slice(end + 1)], squashed);
    await writeFile(path.join(squashed, `${name}.ts`), source);
    await assertEquivalent(original, squashed, files[start - 1]?.name, to, name);
    const target = path.join(dir, `${name}.ts`);
    await writeFile(target, source, { flag: 'wx' });
    for (const file of run) await unlink(file.path);
    return { path: target, replaces: run.map((file) => file.name), statements: up.length };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function sqlOf(file: MigrationFile, work: Parameters<typeof recordStatements>[0]) {
  const statements = await recordStatements(work);
  for (const statement of statements) {
    if (statement.parameters.length > 0 || DATA_STATEMENT.test(statement.sql)) {
      throw new MigrationError(
        `${file.name} reads or writes rows (a data migration); squashing would drop that work`,
      );
    }
  }
  return statements.map((statement) => statement.sql.trim());
}

/** Applies both folders to scratch databases and compares schemas at the end and after reverting. */
async function assertEquivalent(
  originalDir: string,
  squashedDir: string,
  before: string | undefined,
  to: string,
  squashedName: string,
): Promise<void> {
  const [original, squashed] = await Promise.all([openInMemoryDatabase(), openInMemoryDatabase()]);
  try {
    const originalMigrator = new Migrator(original.db, { dir: originalDir });
    const squashedMigrator = new Migrator(squashed.db, { dir: squashedDir });
    await originalMigrator.migrate(to);
    await squashedMigrator.migrate(squashedName);
    compare(await snapshotSchema(original.db), await snapshotSchema(squashed.db), 'after up');
    await originalMigrator.migrate(before ?? ZERO);
    await squashedMigrator.migrate(before ?? ZERO);
    compare(await snapshotSchema(original.db), await snapshotSchema(squashed.db), 'after down');
  } finally {
    await Promise.all([original.close(), squashed.close()]);
  }
}

function compare(expected: SchemaSnapshot, actual: SchemaSnapshot, when: string): void {
  for (const part of Object.keys(expected) as (keyof SchemaSnapshot)[]) {
    const missing = expected[part].filter((line) => !actual[part].includes(line));
    const extra = actual[part].filter((line) => !expected[part].includes(line));
    if (missing.length > 0 || extra.length > 0) {
      throw new MigrationError(
        `The squashed migration would not build the same schema (${part} differ ${when}):\n` +
          [...missing.map((line) => `  - ${line}`), ...extra.map((line) => `  + ${line}`)].join(
            '\n',
          ),
      );
    }
  }
}

async function copyFolder(files: readonly MigrationFile[], to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const file of files) await copyFile(file.path, path.join(to, path.basename(file.path)));
}

function render(
  replaces: string[],
  up: string[],
  down: string[],
  lockTimeout: string | undefined,
): string {
  const calls = (statements: string[]) =>
    statements
      .map((statement) => `  await sql.raw(${JSON.stringify(statement)}).execute(db);`)
      .join('\n');
  return [
    "import { sql, type Kysely } from 'kysely';",
    '',
    `// Made by \`chamahub db squash\` from ${replaces.join(', ')}.`,
    '// A database that applied all of those records this one as applied in their place.',
    `export const replaces = ${JSON.stringify(replaces)};`,
    ...(lockTimeout ? [`export const lockTimeout = ${JSON.stringify(lockTimeout)};`] : []),
    '',
    'export async function up(db: Kysely<unknown>): Promise<void> {',
    calls(up),
    '}',
    '',
    'export async function down(db: Kysely<unknown>): Promise<void> {',
    calls(down),
    '}',
    '',
  ].join('\n');
}
