/** Production readiness commands: doctor, tune and least-privilege roles. */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { describeUrl } from '../db/database.js';
import { BUILT_IN_MIGRATIONS_DIR, readMigrationFiles } from '../db/migrator/index.js';
import { detectPooler } from '../db/pooler-detection.js';
import { isInsufficientPrivilege } from '../db/sqlstate.js';
import { runDoctor } from '../ops/doctor/doctor.js';
import type { Finding } from '../ops/doctor/finding.js';
import { isPlainIdentifier } from '../db/server-databases.js';
import { setupRoles } from '../ops/roles/least-privilege.js';
import {
  formatMemory,
  parseMemory,
  renderPostgresqlConf,
  tune,
  TUNE_PROFILES,
  type Storage,
  type TuneProfile,
} from '../ops/tuning/pgtune.js';
import { positiveInteger } from './arguments.js';
import { ExitCode, runCommand, UsageError } from './run-command.js';
import { print, withDatabase } from './session.js';

export function registerHealthCommands(db: Command): void {
  db.command('doctor')
    .description(
      'Check the database: settings, security, indexes, health and ChamaHub’s own rules. Prints ' +
        'each finding with its severity, evidence and fix; exits 1 when one is critical.',
    )
    .option('--json', 'print the report as JSON')
    .option(
      '--ram <size>',
      'RAM of the database machine, e.g. 8GB (default: this machine)',
      memorySize,
    )
    .option(
      '--cores <n>',
      'CPU cores of the database machine (default: this machine)',
      positiveInteger,
    )
    .option('--storage <kind>', 'ssd or hdd (default: detected)', storageKind)
    .action(runCommand(doctor));

  db.command('tune')
    .description(
      'Print a postgresql.conf snippet computed with PGTune’s formulas, each line commented with why. ' +
        'Without flags it describes the machine it runs on.',
    )
    .option('--ram <size>', 'RAM for PostgreSQL, e.g. 4GB', memorySize)
    .option('--cores <n>', 'CPU cores', positiveInteger)
    .option(
      '--connections <n>',
      'max_connections (default per profile: web 200, oltp 300, mixed 100)',
      positiveInteger,
    )
    .option('--storage <kind>', 'ssd or hdd', storageKind)
    .option('--profile <profile>', 'web, oltp or mixed', profileName, 'web')
    .action(runCommand(printTune));

  const roles = db.command('roles').description('Database roles for ChamaHub.');
  roles
    .command('setup')
    .description(
      'Create (or reset the passwords of) an owner role that runs migrations and an application ' +
        'role that can only read and write rows, and print the two URLs to use. Runs over ' +
        'MIGRATION_DATABASE_URL as a superuser.',
    )
    .option('--owner <name>', 'owner role', 'chamahub_owner')
    .option('--app <name>', 'application role', 'chamahub_app')
    .action(runCommand(rolesSetup));
}

function memorySize(value: string): number {
  const bytes = parseMemory(value);
  if (!bytes || bytes < 256 * 1024 ** 2)
    throw new InvalidArgumentError('a size such as 4GB or 512MB, at least 256MB');
  return bytes;
}

function storageKind(value: string): Storage {
  if (value !== 'ssd' && value !== 'hdd') throw new InvalidArgumentError('ssd or hdd');
  return value;
}

function profileName(value: string): TuneProfile {
  if (!(TUNE_PROFILES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(TUNE_PROFILES.join(', '));
  }
  return value as TuneProfile;
}

/** ssd unless a real block device reports itself rotational. */
function detectStorage(): Storage {
  try {
    const devices = readdirSync('/sys/block').filter((name) => !/^(loop|ram|zram|dm-)/.test(name));
    const rotational = devices.some(
      (name) => readFileSync(`/sys/block/${name}/queue/rotational`, 'utf8').trim() === '1',
    );
    return rotational ? 'hdd' : 'ssd';
  } catch {
    return 'ssd';
  }
}

interface MachineOptions {
  ram?: number;
  cores?: number;
  storage?: Storage;
}

function machineOf(options: MachineOptions) {
  return {
    // Whole gigabytes, as PGTune asks for them, so the advice reads cleanly.
    ramBytes: options.ram ?? Math.max(Math.floor(totalmem() / 1024 ** 3), 1) * 1024 ** 3,
    cores: options.cores ?? availableParallelism(),
    storage: options.storage ?? detectStorage(),
  };
}

async function printTune(
  options: MachineOptions & { connections?: number; profile: TuneProfile },
): Promise<void> {
  const machine = machineOf(options);
  const settings = tune({
    ...machine,
    profile: options.profile,
    ...(options.connections ? { connections: options.connections } : {}),
  });
  const described = `${formatMemory(Math.floor(machine.ramBytes / 1024))} RAM, ${machine.cores} cores, ${machine.storage}, ${options.profile} profile`;
  process.stdout.write(renderPostgresqlConf(settings, `PGTune for ${described}`));
  return Promise.resolve();
}

const MARK: Record<Finding['severity'], string> = { ok: 'ok  ', warn: 'WARN', critical: 'CRIT' };

async function doctor(options: MachineOptions & { json?: boolean }): Promise<void> {
  await withDatabase(async (database, config) => {
    const shipped = (await readMigrationFiles(config.migrationsDir ?? BUILT_IN_MIGRATIONS_DIR)).map(
      (file) => file.name,
    );
    const pooler =
      config.database.engine === 'postgres'
        ? await detectPooler(database.db, config.database)
        : undefined;
    const report = await runDoctor(database.db, {
      ...(pooler?.defaultPoolSize !== undefined
        ? { pgbouncerPoolSize: pooler.defaultPoolSize }
        : {}),
      engine: database.engine,
      shippedMigrations: shipped,
      machine: machineOf(options),
      poolMax: config.database.engine === 'postgres' ? (config.database.poolMax ?? 10) : 1,
    });
    if (options.json) {
      print(JSON.stringify(report, null, 2));
    } else {
      print(`ChamaHub doctor: ${database.location}`);
      let area = '';
      for (const finding of report.findings) {
        if (finding.area !== area) {
          area = finding.area;
          print(`\n${area}`);
        }
        print(`  [${MARK[finding.severity]}] ${finding.check}: ${finding.evidence}`);
        if (finding.fix) print(`         fix: ${finding.fix}`);
      }
      if (report.skipped.length > 0) {
        print('\nnot checked');
        for (const skipped of report.skipped) print(`  ${skipped.check}: ${skipped.reason}`);
      }
      print(`\n${report.critical} critical, ${report.warnings} warning(s).`);
    }
    if (report.critical > 0) process.exitCode = ExitCode.failed;
  });
}

async function rolesSetup(options: { owner: string; app: string }): Promise<void> {
  for (const name of [options.owner, options.app]) {
    if (!isPlainIdentifier(name)) {
      throw new UsageError(
        `"${name}" is not a role name ChamaHub creates: lower-case letters, digits and _`,
      );
    }
  }
  if (options.owner === options.app) throw new UsageError('--owner and --app must differ');
  await withDatabase(
    async (database, config) => {
      const server = config.database;
      if (server.engine !== 'postgres') {
        throw new UsageError(
          'the embedded database has no roles: set DATABASE_URL (and MIGRATION_DATABASE_URL) first',
        );
      }
      let roles;
      try {
        roles = await setupRoles(database.db, options);
      } catch (error) {
        if (!isInsufficientPrivilege(error)) throw error;
        throw new UsageError(
          `creating roles needs a superuser on MIGRATION_DATABASE_URL (${describeUrl(server.migrationUrl)}): ${(error as Error).message}`,
        );
      }
      const urlFor = (user: string, password: string) => {
        const url = new URL(server.migrationUrl);
        url.username = user;
        url.password = password;
        return url.toString();
      };
      print(`Roles on ${database.location}:`);
      print(
        `  ${roles.owner}: owns the database, its schema and ${roles.objectsReassigned} tables, sequences and functions; runs migrations`,
      );
      print(
        `  ${roles.app}: reads and writes rows only (ledger rows: insert only), no DDL; statement_timeout 30s`,
      );
      print('Passwords were set anew. Use these settings (keep them secret):');
      print(`  MIGRATION_DATABASE_URL=${urlFor(roles.owner, roles.ownerPassword)}`);
      print(`  DATABASE_URL=${urlFor(roles.app, roles.appPassword)}`);
    },
    { direct: true },
  );
}
