import { loadConfig, type Config } from '../config/config.js';
import { openDatabase, type Database } from '../db/database.js';

/** One line on stdout: what every command prints its results with. */
export const print = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * Opens the configured database for one command and closes it afterwards.
 * `direct` uses MIGRATION_DATABASE_URL: a connection that bypasses PgBouncer.
 */
export async function withDatabase<T>(
  work: (database: Database, config: Config) => Promise<T>,
  options: { direct?: boolean } = {},
): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase(config.database, { forMigrations: options.direct ?? false });
  try {
    return await work(database, config);
  } finally {
    await database.close();
  }
}
