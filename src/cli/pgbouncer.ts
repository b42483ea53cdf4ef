import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { defaultPoolMax } from '../config/config.js';
import { describeUrl } from '../db/database.js';
import {
  readScramSecret,
  renderPgBouncerIni,
  renderUserlist,
  type PgBouncerAuth,
} from '../ops/pgbouncer/pgbouncer-config.js';
import { ExitCode, runCommand, UsageError } from './run-command.js';
import { positiveInteger, portNumber } from './arguments.js';
import { print, withDatabase } from './session.js';

export function registerPgBouncerCommands(program: Command): void {
  const pgbouncer = program
    .command('pgbouncer')
    .description('PgBouncer in front of the PostgreSQL server in DATABASE_URL.');

  pgbouncer
    .command('config')
    .description(
      'Write pgbouncer.ini and userlist.txt for the configured database: transaction pooling, ' +
        'pool sizes from the formula workers × 2 + spare, and SCRAM authentication with the ' +
        'secret read from the server (over MIGRATION_DATABASE_URL, which must be a superuser).',
    )
    .option('--out <dir>', 'folder for the two files', 'pgbouncer')
    .option('--listen-port <port>', 'port PgBouncer listens on', portNumber, 6432)
    .option('--listen-addr <address>', 'address PgBouncer listens on', '127.0.0.1')
    .option(
      '--workers <n>',
      'ChamaHub processes behind it (default: CPU cores)',
      positiveInteger,
      availableParallelism(),
    )
    .option('--max-client-conn <n>', 'client connections PgBouncer accepts', positiveInteger, 100)
    .option('--auth <type>', 'scram-sha-256, or trust for a development machine', 'scram-sha-256')
    .option('--force', 'overwrite files already there')
    .action(runCommand(writeConfig));
}

interface ConfigOptions {
  out: string;
  listenPort: number;
  listenAddr: string;
  workers: number;
  maxClientConn: number;
  auth: string;
  force?: boolean;
}

async function writeConfig(options: ConfigOptions): Promise<void> {
  if (options.auth !== 'scram-sha-256' && options.auth !== 'trust') {
    throw new UsageError(`--auth must be scram-sha-256 or trust; got "${options.auth}"`);
  }
  const auth: PgBouncerAuth = options.auth;
  await withDatabase(
    async (database, config) => {
      if (config.database.engine !== 'postgres') {
        throw new UsageError(
          'PgBouncer fronts a PostgreSQL server: set DATABASE_URL (the embedded database needs no pooler).',
        );
      }
      const appUrl = new URL(config.database.url);
      const user = decodeURIComponent(appUrl.username || 'postgres');
      const out = path.resolve(options.out);
      const iniPath = path.join(out, 'pgbouncer.ini');
      const userlistPath = path.join(out, 'userlist.txt');
      if (!options.force && existsSync(iniPath)) {
        throw new UsageError(`${iniPath} already exists; pass --force to overwrite it`);
      }
      const lookup = auth === 'trust' ? { secret: '' } : await readScramSecret(database.db, user);
      const poolSize = defaultPoolMax(options.workers);
      await mkdir(out, { recursive: true });
      await writeFile(
        iniPath,
        renderPgBouncerIni({
          serverUrl: config.database.migrationUrl,
          listenAddr: options.listenAddr,
          listenPort: options.listenPort,
          defaultPoolSize: poolSize,
          maxClientConn: options.maxClientConn,
          auth,
          authFile: userlistPath,
          logFile: path.join(out, 'pgbouncer.log'),
          pidFile: path.join(out, 'pgbouncer.pid'),
          user,
        }),
      );
      const secret = 'secret' in lookup ? lookup.secret : '<paste the SCRAM secret here>';
      await writeFile(userlistPath, renderUserlist(user, secret), { mode: 0o600 });
      await chmod(userlistPath, 0o600);

      const pooledUrl = new URL(appUrl);
      pooledUrl.hostname = options.listenAddr;
      pooledUrl.port = String(options.listenPort);
      print(`Wrote ${path.relative(process.cwd(), iniPath) || iniPath}`);
      print(`Wrote ${path.relative(process.cwd(), userlistPath) || userlistPath} (mode 600)`);
      print(
        `Pool: transaction mode, default_pool_size ${poolSize} (${options.workers} worker(s) × 2 + 5 spare), max_client_conn ${options.maxClientConn}`,
      );
      print(`Start it:   pgbouncer ${iniPath}`);
      print(`Then run ChamaHub with`);
      print(`  DATABASE_URL=${redactPassword(pooledUrl)}`);
      print(`  MIGRATION_DATABASE_URL=${redactPassword(new URL(config.database.migrationUrl))}`);
      if ('problem' in lookup) {
        process.stderr.write(
          `chamahub: userlist.txt is not complete: ${lookup.problem}.\n  To finish it: ${lookup.instruction}\n`,
        );
        process.exitCode = ExitCode.failed;
      } else {
        print(
          auth === 'trust'
            ? 'auth_type trust: any local client may connect as that user. Use it on a development machine only.'
            : `userlist.txt holds the SCRAM secret of ${user} as stored on ${describeUrl(config.database.migrationUrl)}.`,
        );
      }
    },
    { direct: true },
  );
}

function redactPassword(url: URL): string {
  const copy = new URL(url);
  if (copy.password) copy.password = 'PASSWORD';
  return copy.toString();
}
