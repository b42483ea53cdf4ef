import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyKysely } from '../schema.js';
import { recordStatements } from './recorder.js';

/** The folder of migrations shipped with this build. */
export const BUILT_IN_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

const MIGRATION_FILE = /^(\d{4,})_([a-z0-9_]+)\.(ts|js|mts|mjs)$/;

/** What a migration file exports. */
export interface MigrationModule {
  up: (db: AnyKysely) => Promise<void>;
  down?: (db: AnyKysely) => Promise<void>;
  /** false for statements PostgreSQL refuses inside a transaction (CREATE INDEX CONCURRENTLY). */
  transactional?: boolean;
  /** Applied with SET LOCAL before up/down run, e.g. '5s'. */
  lockTimeout?: string;
  /** The migrations a squashed migration stands for. */
  replaces?: readonly string[];
}

export interface MigrationFile {
  readonly name: string;
  readonly path: string;
  /**
   * sha256 of what the migration does: the SQL its up() and down() send and
   * its settings. The same for the TypeScript source and the compiled build,
   * blind to comments, and changed by any edit that changes what it runs.
   */
  readonly checksum: string;
  load(): Promise<MigrationModule>;
}

/** The migrations in `dir`, ordered by name. Files that are not migrations are ignored. */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const entries = (await readdir(dir)).filter((file) => MIGRATION_FILE.test(file)).sort();
  const seen = new Map<string, string>();
  const files: MigrationFile[] = [];
  for (const file of entries) {
    const name = file.replace(/\.(ts|js|mts|mjs)$/, '');
    const duplicate = seen.get(name);
    if (duplicate) throw new Error(`Two files define migration ${name}: ${duplicate} and ${file}`);
    seen.set(name, file);
    const filePath = path.join(dir, file);
    const module = await loadModule(filePath);
    files.push({
      name,
      path: filePath,
      checksum: await checksumOf(module),
      load: () => Promise.resolve(module),
    });
  }
  return files;
}

async function checksumOf(module: MigrationModule): Promise<string> {
  const up = await recordStatements((db) => module.up(db));
  const down = module.down
    ? await recordStatements((db) => module.down?.(db) ?? Promise.resolve())
    : [];
  return createHash('sha256')
    .update(
      JSON.stringify({
        up,
        down,
        transactional: module.transactional !== false,
        lockTimeout: module.lockTimeout ?? null,
        replaces: module.replaces ?? null,
      }),
    )
    .digest('hex');
}

async function loadModule(filePath: string): Promise<MigrationModule> {
  // Node caches modules by URL; the content hash makes an edited file load afresh.
  const version = createHash('sha256')
    .update(await readFile(filePath))
    .digest('hex')
    .slice(0, 16);
  const url = `${pathToFileURL(filePath).href}?v=${version}`;
  const module = (await import(url)) as Partial<MigrationModule>;
  if (typeof module.up !== 'function') {
    throw new Error(`${filePath} does not export an up(db) function`);
  }
  return module as MigrationModule;
}
