import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Cron } from 'croner';

export type RuntimeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where ChamaHub keeps its data: the embedded engine in a folder, or a PostgreSQL server. */
export type DatabaseConfig =
  | { readonly engine: 'pglite'; readonly dataDir: string }
  | {
      readonly engine: 'postgres';
      readonly url: string;
      /** Connections in the pool, and how long a request waits for one before 503. */
      readonly poolMax?: number;
      readonly connectTimeoutMs?: number;
      /** An idle connection closes after this long; every connection after its lifetime (like CONN_MAX_AGE). */
      readonly poolIdleMs?: number;
      readonly poolMaxLifetimeSeconds?: number;
      /** A connection closes after this many uses (0: never); 1 turns pooling off. */
      readonly poolMaxUses?: number;
      /** PostgreSQL cancels any statement running longer (0: no limit). */
      readonly statementTimeoutMs?: number;
      /** TLS to the server, from sslmode/sslrootcert in the URL or DB_SSL_MODE/DB_SSL_ROOT_CERT. */
      readonly ssl?: SslConfig;
      /** Direct connection for migrations; PgBouncer in transaction mode cannot hold their lock. */
      readonly migrationUrl: string;
    };

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

export interface SslConfig {
  readonly mode: SslMode;
  /** PEM file of the certificate authority that signed the server's certificate. */
  readonly rootCertPath?: string;
}

export type InspectorMode = 'off' | 'sample' | 'all';

export interface InspectorConfig {
  /** Which requests keep their SQL for N+1 checks and the /_inspector page. */
  readonly mode: InspectorMode;
  readonly sampleRate: number;
  /** Statements at least this slow are logged with their request. */
  readonly slowQueryMs: number;
}

export interface BackupConfig {
  /** Where `db backup` writes and `db backups` looks. */
  readonly dir: string;
  /** A cron expression; when set, `serve` backs up, verifies and prunes on it. */
  readonly schedule: string | undefined;
  readonly keepDays: number;
  readonly keepLast: number;
}

export interface AuthConfig {
  /** How long a sign-in token stays valid. */
  readonly sessionTtlHours: number;
  /** Failed sign-ins allowed per account, and per client address, within the window. */
  readonly maxFailuresPerAccount: number;
  readonly maxFailuresPerAddress: number;
  readonly failureWindowMinutes: number;
  /** How long a validated session is trusted without asking the database again; 0 = always ask. */
  readonly sessionCacheTtlMs: number;
}

export interface Config {
  readonly env: RuntimeEnv;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  /** Take the client address from X-Forwarded-For (behind a reverse proxy). */
  readonly trustProxy: boolean;
  readonly database: DatabaseConfig;
  readonly auth: AuthConfig;
  /** How long a stored Idempotency-Key outcome is kept (at least 24 hours). */
  readonly idempotencyRetentionHours: number;
  /** A migrations folder other than the built-in one (for tooling and tests). */
  readonly migrationsDir: string | undefined;
  /** On SIGTERM, how long requests in flight may take to finish. */
  readonly shutdownTimeoutMs: number;
  readonly inspector: InspectorConfig;
  /** Bearer token for the /api/admin endpoints; unset turns them off. */
  readonly adminToken: string | undefined;
  readonly backup: BackupConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];
const RUNTIME_ENVS: readonly RuntimeEnv[] = ['development', 'test', 'production'];

/**
 * Reads and validates every setting at once, so a misconfigured deployment
 * learns about all of its mistakes in one go rather than one per restart.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];

  const runtimeEnv = oneOf(env.NODE_ENV ?? 'development', RUNTIME_ENVS, 'NODE_ENV', problems);
  const logLevel = oneOf(
    env.LOG_LEVEL ?? (runtimeEnv === 'test' ? 'silent' : 'info'),
    LOG_LEVELS,
    'LOG_LEVEL',
    problems,
  );
  const host = nonEmpty(env.HOST ?? '127.0.0.1', 'HOST', problems);
  const port = integerIn(env.PORT ?? '3000', 0, 65535, 'PORT', problems);
  const trustProxy = booleanFlag(env.TRUST_PROXY ?? 'false', 'TRUST_PROXY', problems);
  const database = databaseConfig(env, problems);
  const auth: AuthConfig = Object.freeze({
    sessionTtlHours: integerIn(
      env.SESSION_TTL_HOURS ?? '168',
      1,
      8760,
      'SESSION_TTL_HOURS',
      problems,
    ),
    maxFailuresPerAccount: integerIn(
      env.LOGIN_MAX_FAILURES_PER_ACCOUNT ?? '10',
      1,
      1000,
      'LOGIN_MAX_FAILURES_PER_ACCOUNT',
      problems,
    ),
    maxFailuresPerAddress: integerIn(
      env.LOGIN_MAX_FAILURES_PER_ADDRESS ?? '50',
      1,
      100000,
      'LOGIN_MAX_FAILURES_PER_ADDRESS',
      problems,
    ),
    sessionCacheTtlMs: integerIn(
      env.SESSION_CACHE_TTL_MS ?? '5000',
      0,
      60_000,
      'SESSION_CACHE_TTL_MS',
      problems,
    ),
    failureWindowMinutes: integerIn(
      env.LOGIN_FAILURE_WINDOW_MINUTES ?? '15',
      1,
      1440,
      'LOGIN_FAILURE_WINDOW_MINUTES',
      problems,
    ),
  });
  const idempotencyRetentionHours = integerIn(
    env.IDEMPOTENCY_RETENTION_HOURS ?? '48',
    24,
    8760,
    'IDEMPOTENCY_RETENTION_HOURS',
    problems,
  );

  const adminToken = env.ADMIN_TOKEN?.trim() || undefined;
  if (adminToken !== undefined && adminToken.length < 32) {
    problems.push('ADMIN_TOKEN must be at least 32 characters (make one with `chamahub secret`)');
  }
  const backup = backupConfig(env, problems);
  const inspector: InspectorConfig = Object.freeze({
    mode: oneOf(
      env.QUERY_INSPECTOR ?? (runtimeEnv === 'production' ? 'off' : 'all'),
      ['off', 'sample', 'all'] as const,
      'QUERY_INSPECTOR',
      problems,
    ),
    sampleRate: shareOf(
      env.QUERY_INSPECTOR_SAMPLE_RATE ?? '0.01',
      'QUERY_INSPECTOR_SAMPLE_RATE',
      problems,
    ),
    slowQueryMs: integerIn(env.SLOW_QUERY_MS ?? '100', 0, 600_000, 'SLOW_QUERY_MS', problems),
  });
  const shutdownTimeoutMs = integerIn(
    env.SHUTDOWN_TIMEOUT_MS ?? '10000',
    0,
    600_000,
    'SHUTDOWN_TIMEOUT_MS',
    problems,
  );

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    adminToken,
    backup,
    inspector,
    env: runtimeEnv,
    host,
    port,
    logLevel,
    trustProxy,
    database,
    auth,
    idempotencyRetentionHours,
    shutdownTimeoutMs,
    migrationsDir: env.CHAMAHUB_MIGRATIONS_DIR?.trim()
      ? path.resolve(env.CHAMAHUB_MIGRATIONS_DIR.trim())
      : undefined,
  });
}

function databaseConfig(env: NodeJS.ProcessEnv, problems: string[]): DatabaseConfig {
  const url = env.DATABASE_URL?.trim();
  if (!url) {
    const dataDir = path.resolve(env.CHAMAHUB_DATA_DIR?.trim() || 'data');
    return Object.freeze({ engine: 'pglite', dataDir });
  }
  const migrationUrl = env.MIGRATION_DATABASE_URL?.trim() || url;
  checkPostgresUrl(url, 'DATABASE_URL', problems);
  if (migrationUrl !== url) checkPostgresUrl(migrationUrl, 'MIGRATION_DATABASE_URL', problems);
  const poolMax = integerIn(
    env.DB_POOL_MAX ?? String(defaultPoolMax()),
    1,
    1000,
    'DB_POOL_MAX',
    problems,
  );
  const poolMaxUses = integerIn(
    env.DB_POOL_MAX_USES ?? '0',
    0,
    1_000_000,
    'DB_POOL_MAX_USES',
    problems,
  );
  const connectTimeoutMs = integerIn(
    env.DB_CONNECT_TIMEOUT_MS ?? '5000',
    1,
    600_000,
    'DB_CONNECT_TIMEOUT_MS',
    problems,
  );
  const poolIdleMs = integerIn(
    env.DB_POOL_IDLE_MS ?? '10000',
    0,
    3_600_000,
    'DB_POOL_IDLE_MS',
    problems,
  );
  const poolMaxLifetimeSeconds = integerIn(
    env.DB_POOL_MAX_LIFETIME_S ?? '600',
    0,
    86_400,
    'DB_POOL_MAX_LIFETIME_S',
    problems,
  );
  const statementTimeoutMs = integerIn(
    // Off by default: it travels as a startup parameter, which PgBouncer refuses.
    env.DB_STATEMENT_TIMEOUT_MS ?? '0',
    0,
    3_600_000,
    'DB_STATEMENT_TIMEOUT_MS',
    problems,
  );
  return Object.freeze({
    engine: 'postgres',
    url,
    migrationUrl,
    poolMax,
    connectTimeoutMs,
    poolIdleMs,
    poolMaxLifetimeSeconds,
    statementTimeoutMs,
    poolMaxUses,
    ssl: sslConfig(url, env, problems),
  });
}

/** The guide's pool formula: workers × 2 + spare, with one worker per CPU core. */
export function defaultPoolMax(cores = availableParallelism(), spare = 5): number {
  return cores * 2 + spare;
}

function sslConfig(url: string, env: NodeJS.ProcessEnv, problems: string[]): SslConfig {
  let fromUrl: URLSearchParams;
  try {
    fromUrl = new URL(url).searchParams;
  } catch {
    fromUrl = new URLSearchParams();
  }
  const rawMode = fromUrl.get('sslmode') ?? env.DB_SSL_MODE?.trim() ?? 'disable';
  const mode = oneOf(rawMode, SSL_MODES, 'sslmode (DATABASE_URL or DB_SSL_MODE)', problems);
  const rootCertPath = fromUrl.get('sslrootcert') ?? env.DB_SSL_ROOT_CERT?.trim() ?? undefined;
  if ((mode === 'verify-ca' || mode === 'verify-full') && !rootCertPath) {
    problems.push(`sslmode=${mode} needs the CA certificate: set sslrootcert or DB_SSL_ROOT_CERT`);
  }
  return Object.freeze({
    mode,
    ...(rootCertPath ? { rootCertPath: path.resolve(rootCertPath) } : {}),
  });
}

function backupConfig(env: NodeJS.ProcessEnv, problems: string[]): BackupConfig {
  const schedule = env.BACKUP_SCHEDULE?.trim() || undefined;
  if (schedule !== undefined && !isCronExpression(schedule)) {
    problems.push(
      `BACKUP_SCHEDULE must be a cron expression, e.g. "30 2 * * *" (02:30 every day); got "${schedule}"`,
    );
  }
  return Object.freeze({
    dir: path.resolve(env.BACKUP_DIR?.trim() || 'backups'),
    schedule,
    keepDays: integerIn(env.BACKUP_KEEP_DAYS ?? '30', 1, 3650, 'BACKUP_KEEP_DAYS', problems),
    keepLast: integerIn(env.BACKUP_KEEP_LAST ?? '7', 1, 1000, 'BACKUP_KEEP_LAST', problems),
  });
}

function checkPostgresUrl(value: string, name: string, problems: string[]): void {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    problems.push(`${name} is not a URL (expected postgres://user:password@host:5432/database)`);
    return;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    problems.push(`${name} must start with postgres:// or postgresql://, got ${parsed.protocol}//`);
  }
}

function oneOf<T extends string>(
  value: string,
  allowed: readonly T[],
  name: string,
  problems: string[],
): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`${name} must be one of ${allowed.join(', ')}; got "${value}"`);
  return allowed[0] as T;
}

function integerIn(value: string, min: number, max: number, name: string, problems: string[]) {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}; got "${value}"`);
    return min;
  }
  return parsed;
}

function booleanFlag(value: string, name: string, problems: string[]): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  problems.push(`${name} must be true or false; got "${value}"`);
  return false;
}

function nonEmpty(value: string, name: string, problems: string[]): string {
  if (value.trim() === '') problems.push(`${name} must not be empty`);
  return value.trim();
}

function isCronExpression(value: string): boolean {
  try {
    new Cron(value, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

function shareOf(value: string, name: string, problems: string[]): number {
  const parsed = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || parsed <= 0 || parsed > 1) {
    problems.push(`${name} must be a share above 0, at most 1 (0.01 is 1 %); got "${value}"`);
    return 1;
  }
  return parsed;
}
