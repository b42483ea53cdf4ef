import path from 'node:path';
import type { Command } from 'commander';
import { positiveInteger, positiveNumber, wholeNumber } from './arguments.js';
import { loadConfig, type Config } from '../config/config.js';
import { openDatabase, type Database } from '../db/database.js';
import { findDrift } from '../db/migrator/drift.js';
import { assertDirectConnection } from '../db/pooler-detection.js';
import {
  BUILT_IN_MIGRATIONS_DIR,
  MigrationError,
  Migrator,
  readMigrationFiles,
  ZERO,
  type MigrationReport,
} from '../db/migrator/index.js';
import { lintMigrations } from '../db/migrator/lint.js';
import { formatStatement, recordStatements } from '../db/migrator/recorder.js';
import { scaffoldMigration } from '../db/migrator/scaffold.js';
import { squashMigrations } from '../db/migrator/squash.js';
import { seedDatabase } from '../ops/seed/seed.js';
import { ExitCode, runCommand, UsageError } from './run-command.js';
import { registerBackupCommands } from './db-backup.js';
import { registerExplainCommands } from './db-explain.js';
import { registerHealthCommands } from './db-health.js';
import { registerStatsCommand } from './db-stats.js';
import { print } from './session.js';

export function registerDbCommands(program: Command): void {
  const db = program
    .command('db')
    .description(
      'Database tools. Work on the server in DATABASE_URL (migrations over MIGRATION_DATABASE_URL ' +
        'when set) or on the embedded database in CHAMAHUB_DATA_DIR.',
    );

  db.command('make')
    .description(
      'Write a new, correctly numbered migration file with up() and down(), and print its path.',
    )
    .argument('<name>', 'what the migration does, e.g. add_phone_number')
    .option('--sql <statement>', 'SQL for up(); without it the file holds an example to fill in')
    .option('--down-sql <statement>', 'SQL for down(), which reverts up()')
    .action(runCommand(make));

  db.command('sql')
    .description('Print the exact SQL a migration would run, without running anything.')
    .argument('<name>', 'the migration, e.g. 0003_add_phone_number')
    .option('--down', 'print the SQL of down() instead of up()')
    .action(runCommand(previewSql));

  db.command('migrate')
    .description('Apply pending migrations, or move forward or back to a named migration.')
    .option('--to <name>', `stop at this migration (forward or back); "${ZERO}" undoes them all`)
    .action(runCommand(migrate));

  db.command('rollback')
    .description('Undo the most recently applied migrations.')
    .option('--steps <n>', 'how many to undo', positiveInteger, 1)
    .action(runCommand(rollback));

  db.command('status')
    .description(
      'List every migration: applied or pending, when, and whether its file still matches.',
    )
    .action(runCommand(status));

  db.command('squash')
    .description(
      'Replace a run of migrations with one equivalent migration (refused when not equivalent).',
    )
    .argument('<from>', 'first migration of the run')
    .argument('<to>', 'last migration of the run')
    .action(runCommand(squash));

  db.command('lint')
    .description('Check migrations for operations that lock or break a live database.')
    .argument('[name]', 'one migration; all by default')
    .action(runCommand(lint));

  db.command('seed')
    .description(
      'Load the benchmark data set (users, chamas, members, contributions and a balanced ledger). ' +
        'Deterministic for a given --seed.',
    )
    .option(
      '--scale <s>',
      'size: 1 is 20,000 users and about a million contributions',
      positiveNumber,
      1,
    )
    .option('--seed <n>', 'random seed', wholeNumber, 42)
    .option('--force', 'replace whatever the database holds')
    .action(runCommand(seed));

  registerStatsCommand(db);
  registerHealthCommands(db);
  registerBackupCommands(db);
  registerExplainCommands(db);

  db.command('check')
    .description(
      "Compare the live database's schema with what the migrations build, and report drift.",
    )
    .action(runCommand(check));
}

function migrationsDir(config: Config): string {
  return config.migrationsDir ?? BUILT_IN_MIGRATIONS_DIR;
}

/** New migrations go next to the sources, even when the CLI runs from the compiled build. */
function sourceMigrationsDir(config: Config): string {
  if (config.migrationsDir) return config.migrationsDir;
  const parts = BUILT_IN_MIGRATIONS_DIR.split(path.sep);
  const dist = parts.lastIndexOf('dist');
  if (dist !== -1) parts[dist] = 'src';
  return parts.join(path.sep);
}

async function withMigrator<T>(work: (migrator: Migrator, database: Database) => Promise<T>) {
  const config = loadConfig();
  const database = await openDatabase(config.database, { forMigrations: true });
  try {
    if (config.database.engine === 'postgres') {
      await assertDirectConnection(database.db, config.database.migrationUrl);
    }
    const migrator = new Migrator(database.db, { dir: migrationsDir(config), log: print });
    return await work(migrator, database);
  } finally {
    await database.close();
  }
}

async function make(name: string, options: { sql?: string; downSql?: string }): Promise<void> {
  const config = loadConfig();
  const filePath = await scaffoldMigration(sourceMigrationsDir(config), name, {
    upSql: options.sql,
    downSql: options.downSql,
  });
  print(path.relative(process.cwd(), filePath));
}

async function previewSql(name: string, options: { down?: boolean }): Promise<void> {
  const config = loadConfig();
  const files = await readMigrationFiles(migrationsDir(config));
  const file = files.find(
    (candidate) => candidate.name === name || candidate.name.startsWith(`${name}_`),
  );
  if (!file) throw new MigrationError(`There is no migration named ${name}`);
  const module = await file.load();
  const direction = options.down ? 'down' : 'up';
  const work = options.down ? module.down : module.up;
  if (!work) throw new MigrationError(`${file.name} has no down()`);
  const statements = await recordStatements((db) => work(db));
  const transactional = module.transactional !== false;
  print(`-- ${file.name} (${direction})${transactional ? '' : ', not transactional'}`);
  if (transactional) print('BEGIN;');
  if (module.lockTimeout) {
    print(`SET${transactional ? ' LOCAL' : ''} lock_timeout = '${module.lockTimeout}';`);
  }
  for (const statement of statements) print(formatStatement(statement));
  if (transactional) print('COMMIT;');
}

function reportSteps(report: MigrationReport): void {
  if (report.waitedForOtherMigrator)
    print('Another migrator finished first; continued from where it left off.');
  print(
    report.steps.length === 0
      ? 'Nothing to do: the database is already there.'
      : `Done: ${report.steps.filter((step) => step.direction === 'up').length} applied, ` +
          `${report.steps.filter((step) => step.direction === 'down').length} reverted.`,
  );
}

async function migrate(options: { to?: string }): Promise<void> {
  await withMigrator(async (migrator, database) => {
    print(`Migrating ${database.location}`);
    reportSteps(await migrator.migrate(options.to));
  });
}

async function rollback(options: { steps: number }): Promise<void> {
  await withMigrator(async (migrator, database) => {
    print(`Rolling back ${options.steps} migration(s) on ${database.location}`);
    reportSteps(await migrator.rollback(options.steps));
  });
}

async function status(): Promise<void> {
  await withMigrator(async (migrator, database) => {
    const rows = await migrator.status();
    print(`Migrations on ${database.location}`);
    for (const row of rows) {
      const mark = row.state === 'applied' ? '[X]' : '[ ]';
      const when = row.appliedAt
        ? row.appliedAt.toISOString().replace('T', ' ').slice(0, 19)
        : ''.padEnd(19);
      const file =
        row.file === 'matches' || row.file === 'not applied'
          ? ''
          : `  FILE ${row.file.toUpperCase()}`;
      print(`${mark} ${row.name.padEnd(44)} ${when}${file}`);
    }
    const pending = rows.filter((row) => row.state === 'pending').length;
    print(`${rows.length - pending} applied, ${pending} pending.`);
    if (rows.some((row) => row.file === 'changed' || row.file === 'missing')) {
      process.exitCode = ExitCode.failed;
      print('An applied migration file was edited or removed: restore it before migrating.');
    }
  });
}

async function squash(from: string, to: string): Promise<void> {
  const config = loadConfig();
  print(`Squashing ${from} … ${to}; checking the result builds the same schema…`);
  const result = await squashMigrations(sourceMigrationsDir(config), from, to).catch(
    (error: unknown) => {
      // The built CLI runs on plain Node, which cannot import the .ts sources squash rewrites.
      if ((error as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
        throw new UsageError(
          'db squash rewrites the TypeScript migration sources; run it from the project with `npm run chamahub -- db squash ' +
            `${from} ${to}\``,
        );
      }
      throw error;
    },
  );
  print(`Wrote ${path.relative(process.cwd(), result.path)} (${result.statements} statements).`);
  print(`Removed ${result.replaces.join(', ')}.`);
}

async function lint(name?: string): Promise<void> {
  const config = loadConfig();
  const files = await readMigrationFiles(migrationsDir(config));
  const selected = name === undefined ? files : files.filter((file) => file.name === name);
  if (selected.length === 0)
    throw new MigrationError(`There is no migration named ${String(name)}`);
  const findings = await lintMigrations(selected);
  for (const finding of findings) {
    print(`${finding.migration}: [${finding.rule}] ${finding.message}`);
    print(`    ${finding.statement}`);
  }
  print(
    findings.length === 0
      ? `${selected.length} migration(s) checked: nothing dangerous.`
      : `${findings.length} problem(s). Fix them, or opt a statement out with a comment inside it:\n` +
          '    -- chamahub-lint: allow <rule> because <reason>',
  );
  if (findings.length > 0) process.exitCode = ExitCode.failed;
}

async function seed(options: { scale: number; seed: number; force?: boolean }): Promise<void> {
  await withMigrator(async (migrator, database) => {
    print(`Seeding ${database.location}`);
    await migrator.migrate();
    await seedDatabase(database, {
      scale: options.scale,
      seed: options.seed,
      force: options.force ?? false,
      log: print,
    });
  });
}

async function check(): Promise<void> {
  await withMigrator(async (_migrator, database) => {
    const config = loadConfig();
    print(`Comparing ${database.location} with what the applied migrations build…`);
    const drift = await findDrift(database.db, migrationsDir(config));
    for (const item of drift) {
      print(`${item.part}:`);
      for (const line of item.unexpected) print(`  + ${line}   (only in the database)`);
      for (const line of item.missing) print(`  - ${line}   (missing from the database)`);
    }
    print(
      drift.length === 0
        ? 'No drift: the schema is exactly what the migrations build.'
        : 'Drift found.',
    );
    if (drift.length > 0) process.exitCode = ExitCode.failed;
  });
}
