import path from 'node:path';

export type RuntimeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where ChamaHub keeps its data: the embedded engine in a folder, or a PostgreSQL server. */
export type DatabaseConfig =
  | { readonly engine: 'pglite'; readonly dataDir: string }
  | {
      readonly engine: 'postgres';
      readonly url: string;
      /** Direct connection for migrations; PgBouncer in transaction mode cannot hold their lock. */
      readonly migrationUrl: string;
    };

export interface Config {
  readonly env: RuntimeEnv;
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly database: DatabaseConfig;
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
  const database = databaseConfig(env, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ env: runtimeEnv, host, port, logLevel, database });
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
  return Object.freeze({ engine: 'postgres', url, migrationUrl });
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

function nonEmpty(value: string, name: string, problems: string[]): string {
  if (value.trim() === '') problems.push(`${name} must not be empty`);
  return value.trim();
}
