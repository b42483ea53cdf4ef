import { snapshotSchema, type SchemaSnapshot } from '../catalog.js';
import { openInMemoryDatabase } from '../database.js';
import type { AnyKysely } from '../schema.js';
import { readHistory } from './history.js';
import { Migrator, ZERO } from './runner.js';

export interface Drift {
  readonly part: keyof SchemaSnapshot;
  /** In the live database but not what the migrations build. */
  readonly unexpected: readonly string[];
  /** What the migrations build but the live database lacks. */
  readonly missing: readonly string[];
}

/**
 * Compares the live schema with the one the applied migrations build on a
 * scratch embedded database, and lists every difference.
 */
export async function findDrift(db: AnyKysely, dir?: string): Promise<Drift[]> {
  const history = await readHistory(db);
  const scratch = await openInMemoryDatabase();
  try {
    const migrator = new Migrator(scratch.db, dir === undefined ? {} : { dir });
    const files = await migrator.files();
    const applied = files.filter((file) => history.some((row) => row.name === file.name));
    await migrator.migrate(applied.at(-1)?.name ?? ZERO);
    const [expected, live] = await Promise.all([snapshotSchema(scratch.db), snapshotSchema(db)]);
    const drift: Drift[] = [];
    for (const part of Object.keys(expected) as (keyof SchemaSnapshot)[]) {
      const unexpected = live[part].filter((line) => !expected[part].includes(line));
      const missing = expected[part].filter((line) => !live[part].includes(line));
      if (unexpected.length > 0 || missing.length > 0) drift.push({ part, unexpected, missing });
    }
    return drift;
  } finally {
    await scratch.close();
  }
}
