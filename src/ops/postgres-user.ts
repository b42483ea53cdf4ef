/**
 * PostgreSQL's server programs (initdb, pg_ctl, postgres, pgbouncer) refuse
 * to run as root. When ChamaHub runs as root, they run as the `postgres`
 * user, on files that user owns; otherwise as whoever runs ChamaHub.
 */
import { execFile } from 'node:child_process';
import { chown, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Hands `target` (and all below it) to the postgres user, when running as root. */
export async function giveToPostgres(target: string): Promise<void> {
  if (!runningAsRoot()) return;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  await chown(target, uid, gid);
  const entries = await readdir(target, { recursive: true }).catch(() => []);
  for (const entry of entries) await chown(path.join(target, entry), uid, gid);
}

/** Runs a program as the postgres user when running as root, else directly. */
export function runAsPostgres(
  program: string,
  args: readonly string[],
): Promise<{ stdout: string; stderr: string }> {
  return runningAsRoot()
    ? run('runuser', ['-u', 'postgres', '--', program, ...args])
    : run(program, [...args]);
}
