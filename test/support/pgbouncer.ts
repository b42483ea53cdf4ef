/**
 * A real PgBouncer (Debian's, 1.18) in transaction pooling mode in front of
 * the test server, on a free port, for as long as a test process needs it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { renderPgBouncerIni, renderUserlist } from '../../src/ops/pgbouncer/pgbouncer-config.js';
import { giveToPostgres, runningAsRoot } from '../../src/ops/postgres-user.js';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export interface PgBouncer {
  /** The server URL with host and port replaced by PgBouncer's. */
  through(serverUrl: string): string;
  stop(): Promise<void>;
}

export async function pgbouncerUnavailable(): Promise<string | undefined> {
  try {
    await run('pgbouncer', ['--version']);
    return undefined;
  } catch {
    return 'pgbouncer is not installed (apt-get install pgbouncer)';
  }
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export async function startPgBouncer(serverUrl: string): Promise<PgBouncer> {
  const server = new URL(serverUrl);
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'chamahub-pgbouncer-'));
  const user = decodeURIComponent(server.username || 'postgres');
  await writeFile(path.join(dir, 'userlist.txt'), renderUserlist(user, ''));
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    renderPgBouncerIni({
      serverUrl,
      listenAddr: '127.0.0.1',
      listenPort: port,
      defaultPoolSize: 20,
      maxClientConn: 500,
      auth: 'trust',
      authFile: path.join(dir, 'userlist.txt'),
      logFile: path.join(dir, 'pgbouncer.log'),
      user,
      anyDatabase: true,
    }),
  );
  const bouncer = await runPgBouncer(path.join(dir, 'pgbouncer.ini'), port, dir);
  return {
    through(url: string) {
      const routed = new URL(url);
      routed.hostname = '127.0.0.1';
      routed.port = String(port);
      return routed.toString();
    },
    async stop() {
      await bouncer.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs PgBouncer on a configuration file until stop(). The folder holding its
 * files is handed to the postgres user when running as root, since PgBouncer
 * refuses root and switches to that user itself.
 */
export async function runPgBouncer(
  iniPath: string,
  port: number,
  dir: string,
): Promise<{ stop(): Promise<void> }> {
  // PgBouncer will not run as root; it switches to the postgres user itself.
  const asRoot = runningAsRoot();
  await giveToPostgres(dir);
  if (asRoot) await chmod(dir, 0o755);
  const child: ChildProcess = spawn('pgbouncer', [...(asRoot ? ['-u', 'postgres'] : []), iniPath], {
    stdio: 'ignore',
  });
  for (let attempt = 0; attempt < 100 && !(await accepting(port)); attempt++) await sleep(50);
  if (!(await accepting(port))) {
    child.kill('SIGKILL');
    throw new Error(`PgBouncer did not start; see ${path.join(dir, 'pgbouncer.log')}`);
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) =>
        child.exitCode === null ? child.once('exit', resolve) : resolve(null),
      );
    },
  };
}
