import pg from 'pg';
import { sql } from 'kysely';
import type { DatabaseConfig, SslConfig } from '../config/config.js';
import { urlForDatabase } from './database.js';
import { connectionConfig } from './engines/postgres.js';
import { MigrationError } from './migrator/errors.js';
import type { AnyKysely } from './schema.js';

export interface PoolerReport {
  readonly behindPooler: boolean;
  /** PgBouncer's version, when its admin console lets this user ask. */
  readonly version?: string;
  /** PgBouncer's server connections per database and user, when its admin console answers. */
  readonly defaultPoolSize?: number;
  readonly urlPort: number;
  readonly serverPort: number;
  /** Settings that would break, or are unsafe, through a transaction-mode pooler. */
  readonly warnings: readonly string[];
}

/**
 * Tells whether a connection pooler sits between ChamaHub and PostgreSQL:
 * the server reports the port it listens on, and it differs from the port in
 * DATABASE_URL when something in between forwarded the connection.
 */
export async function detectPooler(
  db: AnyKysely,
  config: Extract<DatabaseConfig, { engine: 'postgres' }>,
): Promise<PoolerReport> {
  const url = new URL(config.url);
  const { urlPort, serverPort } = await ports(db, config.url);
  const behindPooler = serverPort !== urlPort;
  if (!behindPooler) return { behindPooler, urlPort, serverPort, warnings: [] };

  const warnings: string[] = [];
  if (config.migrationUrl === config.url) {
    warnings.push(
      'MIGRATION_DATABASE_URL is not set, so migrations would go through the pooler, where their ' +
        'session lock cannot hold: set it to a direct connection to PostgreSQL',
    );
  }
  if (config.statementTimeoutMs) {
    warnings.push(
      'DB_STATEMENT_TIMEOUT_MS is sent as a startup parameter, which PgBouncer refuses: set it to 0 ' +
        "and use ALTER ROLE ... SET statement_timeout = '30s' instead",
    );
  }
  const facts = await pgbouncerFacts(url, config.ssl);
  return { behindPooler, urlPort, serverPort, warnings, ...facts };
}

async function pgbouncerFacts(
  url: URL,
  ssl?: SslConfig,
): Promise<{ version?: string; defaultPoolSize?: number }> {
  const admin = urlForDatabase(url.toString(), 'pgbouncer');
  const client = new pg.Client({
    ...connectionConfig(admin, ssl),
    connectionTimeoutMillis: 2_000,
  });
  try {
    await client.connect();
    // The admin console speaks only the simple protocol: no parameters here.
    const version = (await client.query<{ version: string }>('SHOW VERSION')).rows[0]?.version;
    const settings = await client.query<{ key: string; value: string }>('SHOW CONFIG');
    const poolSize = Number(settings.rows.find((row) => row.key === 'default_pool_size')?.value);
    return {
      ...(version ? { version } : {}),
      ...(Number.isInteger(poolSize) ? { defaultPoolSize: poolSize } : {}),
    };
  } catch {
    return {};
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Migrations hold a session lock: refuse a connection that goes through a pooler. */
export async function assertDirectConnection(db: AnyKysely, url: string): Promise<void> {
  const { urlPort, serverPort } = await ports(db, url);
  if (serverPort !== urlPort) {
    throw new MigrationError(
      `The migration connection goes through a connection pooler (port ${urlPort}, PostgreSQL on ` +
        `${serverPort}), where the migrator cannot hold its lock. Set MIGRATION_DATABASE_URL to a ` +
        'direct connection to PostgreSQL.',
    );
  }
}

/** The port in the URL, and the port PostgreSQL itself listens on. */
async function ports(db: AnyKysely, url: string): Promise<{ urlPort: number; serverPort: number }> {
  const urlPort = Number(new URL(url).port || 5432);
  const result = await sql<{ port: number | null }>`SELECT inet_server_port() AS port`.execute(db);
  return { urlPort, serverPort: result.rows[0]?.port ?? urlPort };
}
