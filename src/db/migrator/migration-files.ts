import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyKysely } from '../schema.js';

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
  /** sha256 of the file's text: an applied migration must never change. */
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
    const text = await readFile(filePath);
    files.push({
      name,
      path: filePath,
      checksum: createHash('sha256').update(text).digest('hex'),
      load: () => loadModule(filePath),
    });
  }
  return files;
}

async function loadModule(filePath: string): Promise<MigrationModule> {
  const module = (await import(pathToFileURL(filePath).href)) as Partial<MigrationModule>;
  if (typeof module.up !== 'function') {
    throw new Error(`${filePath} does not export an up(db) function`);
  }
  return module as MigrationModule;
}
