import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { PostgresDialect } from 'kysely';
import type { SslConfig } from '../../config/config.js';

const INT8_OID = 20;

/** int8 (money in cents, ids) becomes BigInt, never a lossy JS number. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID
      ? (value: string) => BigInt(value)
      : (pg.types.getTypeParser(
          oid,
          format ?? 'text',
        ) as unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresPoolOptions {
  readonly url: string;
  readonly max?: number;
  /** How long a request may wait for a connection before it gets 503. */
  readonly connectionTimeoutMillis?: number;
  readonly idleTimeoutMillis?: number;
  readonly maxLifetimeSeconds?: number;
  readonly maxUses?: number;
  readonly ssl?: SslConfig;
  readonly statementTimeoutMs?: number;
  readonly applicationName?: string;
  readonly onError?: (error: Error) => void;
}

export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    ...connectionConfig(options.url, options.ssl),
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 10_000,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 600,
    ...(options.maxUses ? { maxUses: options.maxUses } : {}),
    // Sent once when each connection opens, so nothing per request.
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    application_name: options.applicationName ?? 'chamahub',
    types,
  });
  // An idle client whose server connection dies emits 'error' on the pool;
  // without a listener Node would crash the whole process.
  pool.on('error', (error) => options.onError?.(error));
  // A client checked out but between queries when the server goes away emits
  // 'error' itself, outside the pool's idle listener; its next query fails anyway.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onError?.(error));
  });
  return pool;
}

export function createPostgresDialect(pool: pg.Pool): PostgresDialect {
  return new PostgresDialect({ pool });
}

/**
 * The connection string and TLS options for node-postgres. sslmode is applied
 * here with libpq's meaning (node-postgres reads `require` as `verify-full`),
 * so the URL goes on without its ssl parameters.
 */
export function connectionConfig(
  url: string,
  ssl: SslConfig = { mode: 'disable' },
): { connectionString: string; ssl: false | ConnectionOptions } {
  const plain = new URL(url);
  for (const name of ['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'ssl']) {
    plain.searchParams.delete(name);
  }
  return { connectionString: plain.toString(), ssl: tlsOptions(ssl) };
}

function tlsOptions(ssl: SslConfig): false | ConnectionOptions {
  if (ssl.mode === 'disable') return false;
  const ca = ssl.rootCertPath ? readFileSync(ssl.rootCertPath, 'utf8') : undefined;
  if (ssl.mode === 'verify-full') return { ca, rejectUnauthorized: true };
  if (ssl.mode === 'verify-ca' || ca) {
    // Signed by the given authority, whatever host name the certificate names.
    return { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  }
  // require without a CA: encrypted, but the server is not authenticated (as in libpq).
  return { rejectUnauthorized: false };
}
