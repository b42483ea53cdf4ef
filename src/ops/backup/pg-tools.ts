/**
 * PostgreSQL's own client programs (pg_dump, pg_restore, psql,
 * pg_basebackup, pg_ctl). A pg_dump older than the server cannot dump it,
 * so the newest one installed is used and checked against the server.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type PgTool = 'pg_dump' | 'pg_restore' | 'psql' | 'pg_basebackup' | 'pg_ctl' | 'initdb';

export interface FoundTool {
  readonly path: string;
  readonly major: number;
  /** What `--version` printed, e.g. "pg_dump (PostgreSQL) 15.20". */
  readonly version: string;
}

export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** Where to look: CHAMAHUB_PG_BIN_DIR when set, else Debian's versioned folders, else PATH. */
async function candidates(tool: PgTool): Promise<string[]> {
  const override = process.env.CHAMAHUB_PG_BIN_DIR;
  if (override) return [path.join(override, tool)];
  const versions = (await readdir('/usr/lib/postgresql').catch(() => []))
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  return [
    ...versions.map((version) => path.join('/usr/lib/postgresql', version, 'bin', tool)),
    tool,
  ];
}

export async function findPgTool(tool: PgTool, serverMajor?: number): Promise<FoundTool> {
  for (const candidate of await candidates(tool)) {
    let version: string;
    try {
      version = (await run(candidate, ['--version'])).stdout.trim();
    } catch {
      continue;
    }
    const major = Number(/\(PostgreSQL\) (\d+)/.exec(version)?.[1] ?? 0);
    checkClientVersion(tool, major, serverMajor);
    return { path: candidate, major, version };
  }
  throw new ToolError(
    `${tool} is not installed. Install PostgreSQL's client programs` +
      (serverMajor
        ? `: apt-get install postgresql-client-${serverMajor}`
        : ': apt-get install postgresql-client'),
  );
}

/** pg_dump and pg_basebackup refuse a server newer than themselves; say what to install. */
export function checkClientVersion(tool: PgTool, clientMajor: number, serverMajor?: number): void {
  if (serverMajor !== undefined && clientMajor < serverMajor) {
    throw new ToolError(
      `${tool} ${clientMajor} cannot work with a PostgreSQL ${serverMajor} server: install the ` +
        `version ${serverMajor} client (apt-get install postgresql-client-${serverMajor}, ` +
        `from apt.postgresql.org when Debian does not ship it) or set CHAMAHUB_PG_BIN_DIR to its bin folder.`,
    );
  }
}
