/**
 * `chamahub db backup`: a logical backup with pg_dump (server) or PGlite's
 * own pg_dump (embedded), plus its manifest. On the server the row counts and
 * the dump read the same exported snapshot, so they agree exactly.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pgDump } from '@electric-sql/pglite-tools/pg_dump';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { DatabaseConfig } from '../../config/config.js';
import { quoteIdent } from '../../db/database.js';
import { connectionConfig } from '../../db/engines/postgres.js';
import { HISTORY_TABLE } from '../../db/migrator/history.js';
import {
  BackupError,
  checksumOf,
  writeManifest,
  type BackupFormat,
  type Manifest,
} from './manifest.js';
import { findPgTool } from './pg-tools.js';
import { runTool } from './run-tool.js';

export interface BackupOptions {
  readonly format: BackupFormat;
  readonly tables?: readonly string[];
  readonly outDir: string;
  readonly jobs?: number;
  readonly log: (line: string) => void;
}

/** Runs SQL on whichever engine holds the data; rows come back as plain objects. */
type Query = <R>(text: string, parameters?: unknown[]) => Promise<R[]>;

const EXTENSION: Record<BackupFormat, string> = { custom: '.dump', plain: '.sql', directory: '' };

export async function backupServer(
  config: Extract<DatabaseConfig, { engine: 'postgres' }>,
  options: BackupOptions,
): Promise<Manifest> {
  const started = Date.now();
  const client = new pg.Client(connectionConfig(config.migrationUrl, config.ssl));
  await client.connect();
  try {
    const query: Query = async <R>(text: string, parameters: unknown[] = []) =>
      (await client.query(text, parameters)).rows as R[];
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const [snapshot] = await query<{
      id: string;
      version: string;
      major: number;
      database: string;
    }>(
      `SELECT pg_export_snapshot() AS id, current_setting('server_version') AS version,
              current_setting('server_version_num')::int / 10000 AS major, current_database() AS database`,
    );
    if (!snapshot) throw new BackupError('the server did not export a snapshot');
    const pgDumpTool = await findPgTool('pg_dump', snapshot.major);
    const facts = await describeContents(query, options.tables);
    const target = await newBackupPath(options, snapshot.database);
    options.log(
      `Backing up ${snapshot.database} (${facts.totalRows.toLocaleString('en-US')} rows) with ${pgDumpTool.version} to ${target}`,
    );
    const args = [
      `--dbname=${config.migrationUrl}`,
      `--format=${options.format}`,
      `--file=${target}`,
      `--snapshot=${snapshot.id}`,
      '--no-owner',
      '--no-privileges',
      '--verbose',
      ...(options.format === 'directory' && options.jobs ? [`--jobs=${options.jobs}`] : []),
      ...(options.tables ?? []).map((table) => `--table=public.${table}`),
    ];
    await runTool(pgDumpTool.path, args, { onLine: progress(options.log, facts.rowCounts) });
    await client.query('COMMIT');
    return await finish(target, started, {
      format: options.format,
      engine: 'postgres',
      database: snapshot.database,
      serverVersion: snapshot.version,
      dumpedWith: pgDumpTool.version,
      tables: options.tables ?? null,
      ...facts,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function backupEmbedded(
  pglite: PGlite,
  dataDir: string,
  options: BackupOptions,
): Promise<Manifest> {
  if (options.format !== 'plain') {
    throw new BackupError('the embedded database backs up as plain SQL only: use --format plain');
  }
  const started = Date.now();
  const query: Query = async <R>(text: string, parameters: unknown[] = []) =>
    (await pglite.query<R>(text, parameters)).rows;
  const [server] = await query<{ version: string }>(
    `SELECT current_setting('server_version') AS version`,
  );
  const facts = await describeContents(query, options.tables);
  const database = `embedded-${path.basename(dataDir)}`;
  const target = await newBackupPath(options, database);
  options.log(
    `Backing up the embedded database in ${dataDir} (${facts.totalRows.toLocaleString('en-US')} rows) to ${target}`,
  );
  const dump = await pgDump({
    pg: pglite,
    args: [
      '--no-owner',
      '--no-privileges',
      ...(options.tables ?? []).map((table) => `--table=public.${table}`),
    ],
  });
  await writeFile(target, Buffer.from(await dump.arrayBuffer()));
  return finish(target, started, {
    format: 'plain',
    engine: 'pglite',
    database,
    serverVersion: server?.version ?? '',
    dumpedWith: 'PGlite pg_dump (--inserts)',
    tables: options.tables ?? null,
    ...facts,
  });
}

async function describeContents(query: Query, tables: readonly string[] | undefined) {
  const existing = (
    await query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
    )
  ).map((row) => row.name);
  const unknown = (tables ?? []).filter((table) => !existing.includes(table));
  if (unknown.length > 0) {
    throw new BackupError(
      `no table named ${unknown.join(', ')}; the tables are: ${existing.join(', ')}`,
    );
  }
  const rowCounts: Record<string, number> = {};
  for (const table of tables ?? existing) {
    const [row] = await query<{ n: number }>(
      `SELECT count(*)::float8 AS n FROM public.${quoteIdent(table)}`,
    );
    rowCounts[table] = row?.n ?? 0;
  }
  const latest = existing.includes(HISTORY_TABLE)
    ? await query<{ name: string }>(`SELECT max(name) AS name FROM ${HISTORY_TABLE}`)
    : [];
  return {
    rowCounts,
    totalRows: Object.values(rowCounts).reduce((sum, n) => sum + n, 0),
    latestMigration: latest[0]?.name ?? null,
  };
}

async function newBackupPath(options: BackupOptions, database: string): Promise<string> {
  await mkdir(options.outDir, { recursive: true });
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const scope = options.tables ? `-tables` : '';
  return path.join(options.outDir, `${database}-${stamp}${scope}${EXTENSION[options.format]}`);
}

/** pg_dump -v names each table as it dumps its rows; show that with the row count. */
function progress(log: (line: string) => void, rowCounts: Record<string, number>) {
  return (line: string) => {
    const table = /dumping contents of table "public\.([^"]+)"/.exec(line)?.[1];
    if (table) log(`  ${table}: ${(rowCounts[table] ?? 0).toLocaleString('en-US')} rows`);
  };
}

async function finish(
  target: string,
  started: number,
  facts: Omit<
    Manifest,
    'name' | 'path' | 'createdAt' | 'durationMs' | 'sizeBytes' | 'sha256' | 'verification'
  > & {
    totalRows: number;
  },
): Promise<Manifest> {
  const { totalRows: _totalRows, ...rest } = facts;
  const { sha256, sizeBytes } = await checksumOf(target);
  const manifest: Manifest = {
    name: path.basename(target),
    path: target,
    createdAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    sizeBytes,
    sha256,
    verification: null,
    ...rest,
  };
  await writeManifest(manifest);
  return manifest;
}
