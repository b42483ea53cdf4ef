import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely } from 'kysely';
import type pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import { from as copyFrom } from 'pg-copy-streams';
import type { DatabaseConfig } from '../config/config.js';
import { openPgliteFolder, openPgliteInMemory, type OpenedPglite } from './engines/pglite.js';
import { createPostgresDialect, createPostgresPool } from './engines/postgres.js';
import { inspecting } from './inspector/inspecting-dialect.js';
import type { DB } from './schema.js';

export type Engine = 'pglite' | 'postgres';

/** An open database: the query builder, which engine is behind it, and how to close it. */
export interface Database {
  readonly db: Kysely<DB>;
  readonly engine: Engine;
  /** Where the data lives, for humans: a folder or a server address without password. */
  readonly location: string;
  /**
   * Runs bulk work in one transaction on one session: all of it commits, or
   * none of it does (PostgreSQL's DDL is transactional too).
   */
  bulkLoad<T>(work: (session: BulkSession) => Promise<T>): Promise<T>;
  /** The PGlite instance, on the embedded engine (for its own pg_dump). */
  readonly embedded?: PGlite;
  /** Connection pool figures, on the server engine. */
  pool?: () => PoolFigures;
  close(): Promise<void>;
}

export interface PoolFigures {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
  readonly max: number;
}

/** One database session inside one transaction, for bulk loads. */
export interface BulkSession {
  query<R = Record<string, unknown>>(text: string, parameters?: unknown[]): Promise<R[]>;
  /** COPY of CSV text into a table; returns the rows loaded. */
  copyCsv(
    table: string,
    columns: readonly string[],
    csv: Buffer,
    options?: { freeze?: boolean },
  ): Promise<number>;
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
  const pool = createPostgresPool({
    url,
    onError: options.onPoolError,
    ...(config.poolMax ? { max: config.poolMax } : {}),
    ...(config.connectTimeoutMs ? { connectionTimeoutMillis: config.connectTimeoutMs } : {}),
    ...(config.poolIdleMs !== undefined ? { idleTimeoutMillis: config.poolIdleMs } : {}),
    ...(config.poolMaxLifetimeSeconds !== undefined
      ? { maxLifetimeSeconds: config.poolMaxLifetimeSeconds }
      : {}),
    ...(config.statementTimeoutMs ? { statementTimeoutMs: config.statementTimeoutMs } : {}),
    ...(config.poolMaxUses ? { maxUses: config.poolMaxUses } : {}),
    ...(config.ssl ? { ssl: config.ssl } : {}),
  });
  const db = new Kysely<DB>({ dialect: inspecting(createPostgresDialect(pool)) });
  return {
    db,
    engine: 'postgres',
    location: `PostgreSQL at ${describeUrl(url)}`,
    bulkLoad: (work) => bulkLoadOnServer(pool, work),
    pool: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max,
    }),
    close: () => db.destroy(),
  };
}

/** A throwaway embedded database that lives in memory only. */
export async function openInMemoryDatabase(): Promise<Database> {
  return fromPglite(await openPgliteInMemory(), 'PGlite in memory');
}

function fromPglite(opened: OpenedPglite, location: string): Database {
  const db = new Kysely<DB>({ dialect: inspecting(opened.dialect) });
  return {
    db,
    engine: 'pglite',
    location,
    embedded: opened.pglite,
    bulkLoad: (work) =>
      opened.pglite.transaction((tx) =>
        work({
          query: async <R>(text: string, parameters: unknown[] = []) =>
            (await tx.query<R>(text, parameters)).rows,
          copyCsv: async (table, columns, csv, options) => {
            const result = await tx.query(
              copyStatement(table, columns, "'/dev/blob'", options),
              [],
              {
                blob: new Blob([csv]),
              },
            );
            return result.affectedRows ?? 0;
          },
        }),
      ),
    close: async () => {
      await db.destroy();
      await opened.unlock();
    },
  };
}

async function bulkLoadOnServer<T>(
  pool: pg.Pool,
  work: (session: BulkSession) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work({
      query: async <R>(text: string, parameters: unknown[] = []) =>
        (await client.query(text, parameters)).rows as R[],
      copyCsv: async (table, columns, csv, options) => {
        const stream = client.query(copyFrom(copyStatement(table, columns, 'STDIN', options)));
        await pipeline(Readable.from(chunks(csv)), stream);
        return stream.rowCount ?? 0;
      },
    });
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function copyStatement(
  table: string,
  columns: readonly string[],
  source: string,
  options: { freeze?: boolean } = {},
): string {
  const freeze = options.freeze ? ', FREEZE' : '';
  return `COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM ${source} WITH (FORMAT csv${freeze})`;
}

function* chunks(bytes: Buffer, size = 1 << 20): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size)
    yield bytes.subarray(offset, offset + size);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The same server's URL, for another database on it. */
export function urlForDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** host:port/database of a connection URL, never its password. */
export function describeUrl(url: string): string {
  const parsed = new URL(url);
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  return `${user}${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}
