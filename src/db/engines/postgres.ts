import pg from 'pg';
import { PostgresDialect } from 'kysely';

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
  readonly statementTimeoutMs?: number;
  readonly applicationName?: string;
  readonly onError?: (error: Error) => void;
}

export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 10_000,
    maxLifetimeSeconds: options.maxLifetimeSeconds ?? 600,
    // Sent once when each connection opens, so nothing per request.
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    application_name: options.applicationName ?? 'chamahub',
    types,
  });
  // An idle client whose server connection dies emits 'error' on the pool;
  // without a listener Node would crash the whole process.
  pool.on('error', (error) => options.onError?.(error));
  return pool;
}

export function createPostgresDialect(pool: pg.Pool): PostgresDialect {
  return new PostgresDialect({ pool });
}
