import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrator.js';
import { runCommand } from './run-command.js';

export function registerDbCommands(program: Command): void {
  const db = program
    .command('db')
    .description(
      'Database tools: migrations and more. Honours DATABASE_URL and CHAMAHUB_DATA_DIR.',
    );

  db.command('migrate')
    .description('Apply every pending migration, in order, over a direct connection.')
    .action(runCommand(migrate));
}

async function migrate(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config.database, { forMigrations: true });
  try {
    process.stdout.write(`Migrating ${database.location}\n`);
    const results = await migrateToLatest(database.db);
    for (const result of results) {
      process.stdout.write(`  applied ${result.migrationName}\n`);
    }
    process.stdout.write(
      results.length === 0
        ? 'Nothing to migrate: the schema is current.\n'
        : `Done: ${results.length} applied.\n`,
    );
  } finally {
    await database.close();
  }
}
