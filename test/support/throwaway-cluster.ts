/**
 * A PostgreSQL server of a test's own: a fresh cluster in a temporary folder
 * on a free port, with trust authentication, that the test may stop, start
 * and restart. Built with the server's own initdb and pg_ctl.
 */
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { giveToPostgres, runAsPostgres, runningAsRoot } from '../../src/ops/postgres-user.js';
import { freePort } from './free-port.js';

export interface ThrowawayCluster {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  remove(): Promise<void>;
}

async function binDir(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql').catch(() => [])).sort();
  const latest = versions.at(-1);
  if (!latest) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  return path.join('/usr/lib/postgresql', latest, 'bin');
}

export async function createThrowawayCluster(
  settings: Record<string, string> = {},
): Promise<ThrowawayCluster> {
  const bin = await binDir();
  const root = await mkdtemp(path.join(tmpdir(), 'chamahub-cluster-'));
  const data = path.join(root, 'data');
  const port = await freePort();
  // initdb and postgres refuse to run as root: run them as the postgres user then.
  await giveToPostgres(root);
  if (runningAsRoot()) await chmod(root, 0o700);
  const exec = (command: string, args: string[]) => runAsPostgres(path.join(bin, command), args);
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const options = [
    `-p ${port}`,
    `-k ${root}`,
    "-c listen_addresses='127.0.0.1'",
    '-c fsync=off',
    ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`),
  ].join(' ');
  const pgCtl = (...args: string[]) =>
    exec('pg_ctl', ['-D', data, '-l', path.join(root, 'log'), ...args]);
  const cluster: ThrowawayCluster = {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: async () => {
      await pgCtl('-o', options, '-w', 'start');
    },
    stop: async () => {
      await pgCtl('-m', 'fast', '-w', 'stop');
    },
    remove: async () => {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
