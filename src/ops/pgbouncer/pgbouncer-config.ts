/**
 * pgbouncer.ini and userlist.txt for ChamaHub: transaction pooling, pool
 * sizes from the guide's formula, and SCRAM authentication with the secret
 * PostgreSQL itself stores, so no password is written in clear.
 */
import { sql } from 'kysely';
import type { AnyKysely } from '../../db/schema.js';
import { isInsufficientPrivilege } from '../../db/sqlstate.js';

export type PgBouncerAuth = 'scram-sha-256' | 'trust';

export interface PgBouncerSettings {
  /** A direct connection to PostgreSQL: where PgBouncer sends its server connections. */
  readonly serverUrl: string;
  readonly listenAddr: string;
  readonly listenPort: number;
  /** Server connections per database and user (the guide's workers × 2 + spare). */
  readonly defaultPoolSize: number;
  /** Client connections PgBouncer accepts in all. */
  readonly maxClientConn: number;
  readonly auth: PgBouncerAuth;
  /** Absolute path of userlist.txt, as pgbouncer.ini refers to it. */
  readonly authFile: string;
  /** Where PgBouncer writes its log and pid file; empty keeps them off. */
  readonly logFile?: string;
  readonly pidFile?: string;
  /** The application's user: PgBouncer's admin console lets it run SHOW commands. */
  readonly user: string;
  /** Route every database name to the server, not only the one in the URL (tests). */
  readonly anyDatabase?: boolean;
}

export function renderPgBouncerIni(settings: PgBouncerSettings): string {
  const server = new URL(settings.serverUrl);
  const database = decodeURIComponent(server.pathname.slice(1)) || 'postgres';
  return [
    '; Written by `chamahub pgbouncer config`.',
    '[databases]',
    settings.anyDatabase
      ? `* = host=${server.hostname} port=${server.port || '5432'}`
      : `${database} = host=${server.hostname} port=${server.port || '5432'} dbname=${database}`,
    '',
    '[pgbouncer]',
    `listen_addr = ${settings.listenAddr}`,
    `listen_port = ${settings.listenPort}`,
    'unix_socket_dir =',
    `auth_type = ${settings.auth}`,
    `auth_file = ${settings.authFile}`,
    '; ChamaHub keeps no session state, so a server connection is shared between transactions.',
    'pool_mode = transaction',
    `default_pool_size = ${settings.defaultPoolSize}`,
    `max_client_conn = ${settings.maxClientConn}`,
    `admin_users = ${settings.user}`,
    `stats_users = ${settings.user}`,
    '; node-postgres sends none of these, other clients (psql, pgbench) may.',
    'ignore_startup_parameters = extra_float_digits',
    ...(settings.logFile ? [`logfile = ${settings.logFile}`] : []),
    ...(settings.pidFile ? [`pidfile = ${settings.pidFile}`] : []),
    '',
  ].join('\n');
}

export function renderUserlist(user: string, secret: string): string {
  return `"${user.replace(/"/g, '""')}" "${secret.replace(/"/g, '""')}"\n`;
}

export type SecretLookup =
  { readonly secret: string } | { readonly problem: string; readonly instruction: string };

/**
 * The user's SCRAM secret from pg_authid. Only a superuser may read it; for
 * anyone else the answer says what to run instead.
 */
export async function readScramSecret(db: AnyKysely, user: string): Promise<SecretLookup> {
  const byHand = `SELECT rolpassword FROM pg_authid WHERE rolname = '${user.replace(/'/g, "''")}';`;
  try {
    const result = await sql<{
      rolpassword: string | null;
    }>`SELECT rolpassword FROM pg_authid WHERE rolname = ${user}`.execute(db);
    const row = result.rows[0];
    if (!row) {
      return {
        problem: `there is no role named ${user} on the server`,
        instruction: `create it first, e.g. with \`chamahub db roles setup\``,
      };
    }
    if (!row.rolpassword) {
      return {
        problem: `the role ${user} has no password`,
        instruction: `set one as a superuser: ALTER ROLE "${user}" PASSWORD '…' (make one with \`chamahub secret\`), then run this again`,
      };
    }
    if (!row.rolpassword.startsWith('SCRAM-SHA-256$')) {
      return {
        problem: `the password of ${user} is stored as md5, not SCRAM`,
        instruction: `run SET password_encryption = 'scram-sha-256'; ALTER ROLE "${user}" PASSWORD '…'; then run this again`,
      };
    }
    return { secret: row.rolpassword };
  } catch (error) {
    if (!isInsufficientPrivilege(error)) throw error;
    return {
      problem: 'only a superuser may read password secrets, and MIGRATION_DATABASE_URL is not one',
      instruction: `as a superuser run ${byHand} and put the result in userlist.txt in place of the placeholder`,
    };
  }
}
