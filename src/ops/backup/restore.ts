/**
 * `chamahub db restore`: pg_restore (in parallel) for custom and directory
 * backups, psql for plain SQL, and ChamaHub itself for backups of the
 * embedded database, which go into either engine.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { SslConfig } from '../../config/config.js';
import { describeUrl } from '../../db/database.js';
import { connectionConfig } from '../../db/engines/postgres.js';
import { BackupError, type Manifest } from './manifest.js';
import { findPgTool } from './pg-tools.js';
import { runTool } from './run-tool.js';

export interface RestoreOptions {
  /** Drop what the target holds first; without it a non-empty target is refused. */
  readonly clean?: boolean;
  readonly jobs?: number;
  readonly log: (line: string) => void;
}

export type RestoreTarget =
  | { readonly engine: 'postgres'; readonly url: string; readonly ssl?: SslConfig | undefined }
  | { readonly engine: 'pglite'; readonly pglite: PGlite; readonly location: string };

type Query = <R>(text: string) => Promise<R[]>;

export async function restoreBackup(
  manifest: Manifest,
  target: RestoreTarget,
  options: RestoreOptions,
): Promise<{ durationMs: number }> {
  const started = Date.now();
  if (target.engine === 'pglite') {
    if (manifest.engine !== 'pglite') {
      throw new BackupError(
        'the embedded database restores backups of the embedded database only; restore a server backup into a server (--into or --new-db)',
      );
    }
    const query: Query = async <R>(text: string) => (await target.pglite.query<R>(text)).rows;
    await prepareTarget(query, target.location, options);
    options.log(`Restoring ${manifest.name} into ${target.location}…`);
    await target.pglite.exec(portableSql(await readFile(manifest.path, 'utf8'), 18));
    // The dump empties search_path for its session, which here is the app's too.
    await target.pglite.exec('RESET search_path; ANALYZE');
    return { durationMs: Date.now() - started };
  }

  const client = new pg.Client(connectionConfig(target.url, target.ssl));
  await client.connect();
  try {
    const query: Query = async <R>(text: string) => (await client.query(text)).rows as R[];
    const [server] = await query<{ major: number }>(
      `SELECT current_setting('server_version_num')::int / 10000 AS major`,
    );
    const major = server?.major ?? 0;
    await prepareTarget(query, describeUrl(target.url), options);
    options.log(`Restoring ${manifest.name} into ${describeUrl(target.url)}…`);
    if (manifest.engine === 'pglite') {
      // PGlite's dump is plain INSERTs from a newer PostgreSQL: run it here, made portable.
      await client.query(portableSql(await readFile(manifest.path, 'utf8'), major));
    } else if (manifest.format === 'plain') {
      const psql = await findPgTool('psql');
      await runTool(psql.path, [
        '--quiet',
        '--no-psqlrc',
        '-v',
        'ON_ERROR_STOP=1',
        `--dbname=${target.url}`,
        `--file=${manifest.path}`,
      ]);
    } else {
      const pgRestore = await findPgTool('pg_restore', major);
      let done = 0;
      await runTool(
        pgRestore.path,
        [
          `--dbname=${target.url}`,
          '--no-owner',
          '--no-privileges',
          '--exit-on-error',
          '--verbose',
          `--jobs=${options.jobs ?? 1}`,
          manifest.path,
        ],
        {
          onLine: (line) => {
            const table = /processing data for table "public\.([^"]+)"/.exec(line)?.[1];
            if (table) {
              done++;
              options.log(
                `  ${table} (${done} of ${Object.keys(manifest.rowCounts).length} tables)`,
              );
            }
          },
        },
      );
    }
    await client.query('ANALYZE');
  } finally {
    await client.end().catch(() => undefined);
  }
  return { durationMs: Date.now() - started };
}

/** Refuses to restore over data unless told to clean; cleaning empties the public schema. */
async function prepareTarget(
  query: Query,
  location: string,
  options: RestoreOptions,
): Promise<void> {
  const [tables] = await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')`,
  );
  if ((tables?.n ?? 0) === 0) return;
  if (!options.clean) {
    throw new BackupError(
      `${location} is not empty (${tables?.n} tables and sequences): restore into a new database with --new-db, or pass --clean to replace what it holds`,
    );
  }
  options.log(`--clean: dropping the ${tables?.n} tables and sequences ${location} holds`);
  await query('DROP SCHEMA public CASCADE');
  await query('CREATE SCHEMA public');
}

/**
 * A plain dump as any server can run it: without psql's meta-commands
 * (\restrict, \connect) and without settings the target's version lacks.
 */
export function portableSql(dump: string, serverMajor: number): string {
  return dump
    .split('\n')
    .filter((line) => !line.startsWith('\\'))
    .filter((line) => serverMajor >= 17 || !/^SET transaction_timeout\b/.test(line))
    .join('\n');
}
