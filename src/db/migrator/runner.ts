import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { AnyKysely } from '../schema.js';
import { MigrationError, MigrationFailedError } from './errors.js';
import {
  ensureHistoryTable,
  forget,
  readHistory,
  recordApplied,
  type AppliedMigration,
} from './history.js';
import {
  BUILT_IN_MIGRATIONS_DIR,
  readMigrationFiles,
  type MigrationFile,
} from './migration-files.js';

/** Any two migrators of one database (processes, servers booting) share this lock. */
const LOCK_KEY = 'chamahub schema migrations';

export interface MigratorOptions {
  /** Folder of migration files; the built-in one by default. */
  readonly dir?: string;
  /** Progress lines for a person watching. */
  readonly log?: (line: string) => void;
  /** How long to wait for another migrator before giving up. */
  readonly lockWaitMs?: number;
}

export interface MigrationStatus {
  readonly name: string;
  readonly state: 'applied' | 'pending';
  readonly appliedAt?: Date;
  /** 'changed' when the file differs from what was applied. */
  readonly file: 'matches' | 'changed' | 'missing' | 'not applied';
}

export interface MigrationStep {
  readonly name: string;
  readonly direction: 'up' | 'down';
  readonly durationMs: number;
}

export interface MigrationReport {
  readonly steps: readonly MigrationStep[];
  /** Set when another migrator held the lock first: what it changed meanwhile. */
  readonly waitedForOtherMigrator: boolean;
}

export const ZERO = 'zero';

/**
 * Applies and reverts migrations. Every change runs under a PostgreSQL
 * advisory lock held on one direct connection, so two processes starting at
 * once migrate one after the other; the second finds the work done. Applied
 * files are checksummed and an edited one stops everything.
 */
export class Migrator {
  private readonly dir: string;
  private readonly log: (line: string) => void;
  private readonly lockWaitMs: number;

  constructor(
    private readonly db: AnyKysely,
    options: MigratorOptions = {},
  ) {
    this.dir = options.dir ?? BUILT_IN_MIGRATIONS_DIR;
    this.log = options.log ?? (() => undefined);
    this.lockWaitMs = options.lockWaitMs ?? 10 * 60_000;
  }

  files(): Promise<MigrationFile[]> {
    return readMigrationFiles(this.dir);
  }

  /** Every migration, applied or pending, and whether its file still matches. */
  async status(): Promise<MigrationStatus[]> {
    const [files, history] = await Promise.all([this.files(), readHistory(this.db)]);
    const applied = new Map(history.map((row) => [row.name, row]));
    const rows: MigrationStatus[] = [];
    for (const file of files) {
      rows.push(await this.statusOf(file, applied));
    }
    const replaced = await replacedNames(files);
    for (const row of history) {
      if (!files.some((file) => file.name === row.name) && !replaced.has(row.name)) {
        rows.push({ name: row.name, state: 'applied', appliedAt: row.appliedAt, file: 'missing' });
      }
    }
    return rows.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async statusOf(
    file: MigrationFile,
    applied: ReadonlyMap<string, AppliedMigration>,
  ): Promise<MigrationStatus> {
    const row = applied.get(file.name);
    if (!row) {
      // A squash whose replaced migrations are all applied counts as applied.
      const replaces = (await file.load()).replaces ?? [];
      const rows = replaces.map((name) => applied.get(name));
      if (replaces.length > 0 && rows.every((replaced) => replaced !== undefined)) {
        const appliedAt = new Date(
          Math.max(...rows.map((replaced) => replaced.appliedAt.getTime())),
        );
        return { name: file.name, state: 'applied', appliedAt, file: 'matches' };
      }
      return { name: file.name, state: 'pending', file: 'not applied' };
    }
    return {
      name: file.name,
      state: 'applied',
      appliedAt: row.appliedAt,
      file: row.checksum === file.checksum ? 'matches' : 'changed',
    };
  }

  /** Applies pending migrations up to `target` (all by default), or reverts down to it. */
  async migrate(target?: string): Promise<MigrationReport> {
    return this.locked(async (db, files, history) => {
      const names = files.map((file) => file.name);
      if (target !== undefined && target !== ZERO && !names.includes(target)) {
        throw new MigrationError(
          `There is no migration named ${target}. Known: ${names.join(', ')}`,
        );
      }
      const targetIndex =
        target === undefined ? names.length - 1 : target === ZERO ? -1 : names.indexOf(target);
      const applied = new Set(history.map((row) => row.name));
      const steps: MigrationStep[] = [];
      for (const [index, file] of files.entries()) {
        if (index <= targetIndex && !applied.has(file.name)) steps.push(await this.up(db, file));
      }
      for (const [index, file] of [...files.entries()].reverse()) {
        if (index > targetIndex && applied.has(file.name)) steps.push(await this.down(db, file));
      }
      return steps;
    });
  }

  /** Reverts the last `count` applied migrations. */
  async rollback(count = 1): Promise<MigrationReport> {
    return this.locked(async (db, files, history) => {
      const applied = new Set(history.map((row) => row.name));
      const toRevert = files
        .filter((file) => applied.has(file.name))
        .reverse()
        .slice(0, count);
      const steps: MigrationStep[] = [];
      for (const file of toRevert) steps.push(await this.down(db, file));
      return steps;
    });
  }

  private async locked(
    work: (
      db: AnyKysely,
      files: MigrationFile[],
      history: AppliedMigration[],
    ) => Promise<MigrationStep[]>,
  ): Promise<MigrationReport> {
    const files = await this.files();
    return this.db.connection().execute(async (db) => {
      const waited = await this.acquireLock(db);
      try {
        await ensureHistoryTable(db, files);
        const history = await this.reconcile(db, files);
        const steps = await work(db, files, history);
        return { steps, waitedForOtherMigrator: waited };
      } finally {
        await sql`SELECT pg_advisory_unlock(hashtext(${LOCK_KEY}))`.execute(db);
      }
    });
  }

  private async acquireLock(db: AnyKysely): Promise<boolean> {
    const deadline = Date.now() + this.lockWaitMs;
    let waited = false;
    for (;;) {
      const result = await sql<{ locked: boolean }>`
        SELECT pg_try_advisory_lock(hashtext(${LOCK_KEY})) AS locked`.execute(db);
      if (result.rows[0]?.locked) return waited;
      if (!waited)
        this.log('Another migrator is working on this database; waiting for it to finish…');
      waited = true;
      if (Date.now() > deadline) {
        throw new MigrationError(
          `Gave up after waiting ${Math.round(this.lockWaitMs / 1000)} s for another migrator to finish`,
        );
      }
      await sleep(200);
    }
  }

  /**
   * Checks history against the files: an applied file that changed or
   * disappeared stops everything; a squashed migration whose replaced
   * migrations are all applied is recorded as applied in their place.
   */
  private async reconcile(db: AnyKysely, files: MigrationFile[]): Promise<AppliedMigration[]> {
    let history = await readHistory(db);
    const replaced = await replacedNames(files);
    for (const file of files) {
      const replaces = (await file.load()).replaces ?? [];
      if (replaces.length === 0 || history.some((row) => row.name === file.name)) continue;
      const applied = replaces.filter((name) => history.some((row) => row.name === name));
      if (applied.length === replaces.length) {
        await db.transaction().execute(async (trx) => {
          await recordApplied(trx, file, 0);
          await forget(trx, replaces);
        });
        this.log(
          `Recorded ${file.name} as applied: it replaces ${replaces.join(', ')}, all applied`,
        );
      } else if (applied.length > 0) {
        throw new MigrationError(
          `${file.name} replaces ${replaces.join(', ')}, but only ${applied.join(', ')} are applied. ` +
            'Apply the rest with the migrations from before the squash first.',
        );
      }
    }
    history = await readHistory(db);
    for (const row of history) {
      const file = files.find((candidate) => candidate.name === row.name);
      if (!file) {
        if (replaced.has(row.name)) continue;
        throw new MigrationError(
          `Migration ${row.name} is applied but its file is missing from ${this.dir}`,
        );
      }
      if (file.checksum !== row.checksum) {
        throw new MigrationError(
          `Migration file ${file.path} was edited after it was applied. ` +
            'Restore it and make a new migration for the change.',
        );
      }
    }
    return history;
  }

  private async up(db: AnyKysely, file: MigrationFile): Promise<MigrationStep> {
    const module = await file.load();
    this.log(`Applying ${file.name}…`);
    const started = performance.now();
    await this.run(db, file, 'up', async (executor) => {
      await module.up(executor);
      await recordApplied(executor, file, Math.round(performance.now() - started));
    });
    const durationMs = Math.round(performance.now() - started);
    this.log(`  applied ${file.name} (${durationMs} ms)`);
    return { name: file.name, direction: 'up', durationMs };
  }

  private async down(db: AnyKysely, file: MigrationFile): Promise<MigrationStep> {
    const module = await file.load();
    const down = module.down;
    if (!down) {
      throw new MigrationError(`Migration ${file.name} has no down(): it cannot be reverted`);
    }
    this.log(`Reverting ${file.name}…`);
    const started = performance.now();
    await this.run(db, file, 'down', async (executor) => {
      await down(executor);
      await forget(executor, [file.name]);
    });
    const durationMs = Math.round(performance.now() - started);
    this.log(`  reverted ${file.name} (${durationMs} ms)`);
    return { name: file.name, direction: 'down', durationMs };
  }

  private async run(
    db: AnyKysely,
    file: MigrationFile,
    direction: 'up' | 'down',
    work: (executor: AnyKysely) => Promise<void>,
  ): Promise<void> {
    const module = await file.load();
    const transactional = module.transactional !== false;
    try {
      if (transactional) {
        await db.transaction().execute(async (trx) => {
          if (module.lockTimeout) {
            await sql`SELECT set_config('lock_timeout', ${module.lockTimeout}, true)`.execute(trx);
          }
          await work(trx);
        });
      } else {
        if (module.lockTimeout) {
          await sql`SELECT set_config('lock_timeout', ${module.lockTimeout}, false)`.execute(db);
        }
        try {
          await work(db);
        } finally {
          await sql`RESET lock_timeout`.execute(db);
        }
      }
    } catch (error) {
      throw new MigrationFailedError(file.name, direction, error, transactional);
    }
  }
}

async function replacedNames(files: readonly MigrationFile[]): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of files) for (const name of (await file.load()).replaces ?? []) names.add(name);
  return names;
}
