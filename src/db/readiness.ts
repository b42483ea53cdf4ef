import { readHistory } from './migrator/index.js';
import type { AnyKysely } from './schema.js';

export interface Readiness {
  readonly ready: boolean;
  readonly databaseReachable: boolean;
  readonly appliedMigrations: number;
  readonly pendingMigrations: readonly string[];
  readonly problem?: string;
}

/** Can this process serve traffic: is the database reachable and its schema current? */
export async function checkReadiness(
  db: AnyKysely,
  shippedMigrations: readonly string[],
): Promise<Readiness> {
  let applied: Set<string>;
  try {
    applied = new Set((await readHistory(db)).map((row) => row.name));
  } catch (error) {
    return {
      ready: false,
      databaseReachable: false,
      appliedMigrations: 0,
      pendingMigrations: [],
      problem: error instanceof Error ? error.message : String(error),
    };
  }
  const pending = shippedMigrations.filter((name) => !applied.has(name));
  return {
    ready: pending.length === 0,
    databaseReachable: true,
    appliedMigrations: applied.size,
    pendingMigrations: pending,
    ...(pending.length > 0 ? { problem: `${pending.length} migration(s) not applied` } : {}),
  };
}
