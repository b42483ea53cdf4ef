/**
 * A real PgBouncer (Debian's, 1.18) in transaction pooling mode in front of
 * the test server, on a free port, for as long as a test process needs it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
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
  await writeFile(path.join(dir, 'userlist.txt'), `"${user}" ""\n`);
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 20',
      'ignore_startup_parameters = extra_float_digits',
      `logfile = ${path.join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  // PgBouncer will not run as root; it switches to the postgres user itself.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(uid.trim()), Number(gid.trim()));
    await chmod(dir, 0o755);
  }
  const child: ChildProcess = spawn(
    'pgbouncer',
    [...(asRoot ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')],
    { stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 100 && !(await accepting(port)); attempt++) await sleep(50);
  if (!(await accepting(port))) {
    child.kill('SIGKILL');
    throw new Error(`PgBouncer did not start; see ${path.join(dir, 'pgbouncer.log')}`);
  }
  return {
    through(url: string) {
      const routed = new URL(url);
      routed.hostname = '127.0.0.1';
      routed.port = String(port);
      return routed.toString();
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) =>
        child.exitCode === null ? child.once('exit', resolve) : resolve(null),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
