/**
 * Every database test runs on both engines: PGlite in memory, and a fresh
 * database on the PostgreSQL server at TEST_DATABASE_URL, cloned from a
 * migrated template so each test file starts from a clean, current schema.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import {
  urlForDatabase,
  openDatabase,
  openInMemoryDatabase,
  type Database,
  type Engine,
} from '../../src/db/database.js';
import {
  BUILT_IN_MIGRATIONS_DIR as MIGRATIONS_DIR,
  migrateToLatest,
} from '../../src/db/migrator/index.js';
import { pgbouncerUnavailable, startPgBouncer, type PgBouncer } from './pgbouncer.js';
import { probeServer, redactUrl, SERVER_URL } from './server-probe.js';

export { SERVER_URL };

const IN_CI = process.env.CI === 'true';

/** An open test database, plus the URL to reach it when it is on the server. */
export interface TestDatabase extends Database {
  readonly url?: string;
}

export interface TestEngine {
  /** What the suite title shows: pglite, postgres, or postgres via pgbouncer. */
  readonly name: Engine | 'postgres via pgbouncer';
  /** false when the engine can be used, else why it is skipped. */
  readonly skip: string | false;
  create(options?: { migrated?: boolean }): Promise<TestDatabase>;
}

const serverProblem = await probeServer();
if (serverProblem && IN_CI) {
  throw new Error(`CI=true but the PostgreSQL test server is unreachable: ${serverProblem}`);
}

export const pgliteEngine: TestEngine = {
  name: 'pglite',
  skip: false,
  async create({ migrated = true } = {}) {
    const database = await openInMemoryDatabase();
    if (migrated) await migrateToLatest(database.db);
    return database;
  },
};

export const serverEngine: TestEngine = {
  name: 'postgres',
  skip: serverProblem
    ? `no PostgreSQL server at ${redactUrl(SERVER_URL)} (${serverProblem}); set TEST_DATABASE_URL`
    : false,
  create: createServerDatabase,
};

const bouncerProblem = serverProblem ? undefined : await pgbouncerUnavailable();
if (bouncerProblem && IN_CI) throw new Error(`CI=true but ${bouncerProblem}`);
let bouncer: Promise<PgBouncer> | undefined;

/**
 * The server behind a real PgBouncer in transaction pooling mode: the app's
 * connections go through it; creating the database and migrating go direct.
 */
export const pgbouncerEngine: TestEngine = {
  name: 'postgres via pgbouncer',
  skip: serverEngine.skip || (bouncerProblem ?? false),
  async create(options = {}) {
    const direct = await createServerDatabase(options);
    bouncer ??= startPgBouncer(SERVER_URL);
    const url = (await bouncer).through(direct.url ?? '');
    const pooled = await openDatabase({ engine: 'postgres', url, migrationUrl: direct.url ?? url });
    return {
      ...pooled,
      url,
      close: async () => {
        await pooled.close();
        await direct.close();
      },
    };
  },
};
after(async () => {
  if (bouncer) await (await bouncer).stop();
});

export const ENGINES: readonly TestEngine[] = [pgliteEngine, serverEngine];
/** The API runs on all three, PgBouncer included. */
export const API_ENGINES: readonly TestEngine[] = [pgliteEngine, serverEngine, pgbouncerEngine];

/**
 * Declares the same suite once per engine. `body` receives a getter for the
 * suite's database, which is created before its tests and dropped after them.
 */
export function describeEachEngine(
  title: string,
  body: (database: () => TestDatabase, engine: TestEngine) => void,
  options: { migrated?: boolean; engines?: readonly TestEngine[] } = {},
): void {
  for (const engine of options.engines ?? ENGINES) {
    describe(`${title} [${engine.name}]`, { skip: engine.skip }, () => {
      let database: TestDatabase | undefined;
      before(async () => {
        database = await engine.create(options);
      });
      after(async () => {
        await database?.close();
      });
      body(() => {
        if (!database) throw new Error('the test database is not open yet');
        return database;
      }, engine);
    });
  }
}

/** Declares a suite that needs the PostgreSQL server (concurrency, locking, pooling). */
export function describeOnServer(title: string, body: () => void): void {
  describe(`${title} [postgres]`, { skip: serverEngine.skip }, body);
}

async function createServerDatabase({ migrated = true } = {}): Promise<TestDatabase> {
  const name = `chamahub_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const template = migrated ? await ensureMigratedTemplate() : 'template0';
  await withAdmin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = databaseUrl(SERVER_URL, name);
  const database = await openDatabase({ engine: 'postgres', url, migrationUrl: url });
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/**
 * A template database migrated to the current migrations, named after a hash
 * of their files so that a changed migration builds a new template. Test files
 * run in parallel processes, so building is serialised with an advisory lock.
 */
async function ensureMigratedTemplate(): Promise<string> {
  const template = `chamahub_tpl_${migrationsHash()}`;
  await withAdmin(async (client) => {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['chamahub test template']);
    try {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount) return;
      const building = `${template}_building`;
      await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${building} TEMPLATE template0`);
      const url = databaseUrl(SERVER_URL, building);
      const database = await openDatabase({ engine: 'postgres', url, migrationUrl: url });
      try {
        await migrateToLatest(database.db);
      } finally {
        await database.close();
      }
      await client.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
      const stale = await client.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'chamahub\\_tpl\\_%' AND datname <> $1`,
        [template],
      );
      for (const { datname } of stale.rows) {
        await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['chamahub test template']);
    }
  });
  return template;
}

/** Changes when a migration or the migrator itself changes. */
function migrationsHash(): string {
  const hash = createHash('sha256');
  const migratorDir = path.join(MIGRATIONS_DIR, '..', 'migrator');
  for (const dir of [MIGRATIONS_DIR, migratorDir]) {
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.ts')) continue;
      hash.update(file);
      hash.update(readFileSync(path.join(dir, file)));
    }
  }
  return hash.digest('hex').slice(0, 12);
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export const databaseUrl = urlForDatabase;
