import { Kysely } from 'kysely';
import type { DatabaseConfig } from '../config/config.js';
import { openPgliteFolder, openPgliteInMemory, type OpenedPglite } from './engines/pglite.js';
import { createPostgresDialect, createPostgresPool } from './engines/postgres.js';
import type { DB } from './schema.js';

export type Engine = 'pglite' | 'postgres';

/** An open database: the query builder, which engine is behind it, and how to close it. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly engine: Engine;
  /** Where the data lives, for humans: a folder or a server address without password. */
  readonly location: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Use the migration URL (a direct server connection) instead of the application URL. */
  readonly forMigrations?: boolean;
  readonly onPoolError?: (error: Error) => void;
}

export async function openDatabase(
  config: DatabaseConfig,
  options: OpenDatabaseOptions = {},
): Promise<Database> {
  if (config.engine === 'pglite') {
    return fromPglite(await openPgliteFolder(config.dataDir), `PGlite in ${config.dataDir}`);
  }
  const url = options.forMigrations ? config.migrationUrl : config.url;
  const pool = createPostgresPool({ url, onError: options.onPoolError });
  const db = new Kysely<DB>({ dialect: createPostgresDialect(pool) });
  return {
    db,
    engine: 'postgres',
    location: `PostgreSQL at ${describeUrl(url)}`,
    close: () => db.destroy(),
  };
}

/** A throwaway embedded database that lives in memory only. */
export async function openInMemoryDatabase(): Promise<Database> {
  return fromPglite(await openPgliteInMemory(), 'PGlite in memory');
}

function fromPglite(opened: OpenedPglite, location: string): Database {
  const db = new Kysely<DB>({ dialect: opened.dialect });
  return {
    db,
    engine: 'pglite',
    location,
    close: async () => {
      await db.destroy();
      await opened.unlock();
    },
  };
}

/** host:port/database of a connection URL, never its password. */
export function describeUrl(url: string): string {
  const parsed = new URL(url);
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  return `${user}${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}
