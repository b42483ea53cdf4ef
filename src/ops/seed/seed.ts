import type { BulkSession, Database } from '../../db/database.js';
import { hashPassword } from '../../domain/users/password.js';
import { on } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { DatasetOptions, TableData } from './dataset.js';
import { INVARIANT_CHECKS, type InvariantRow } from '../integrity/ledger-invariants.js';

/** Every seeded user's password, as the benchmark contract says. */
export const SEED_PASSWORD = 'chamahub-bench';

/** Tables the seed fills or empties, parents first. */
const TABLES = [
  'users',
  'chamas',
  'memberships',
  'accounts',
  'ledger_transactions',
  'ledger_entries',
  'contributions',
  'sessions',
  'idempotency_keys',
  'login_throttles',
];
/**
 * Tables whose user triggers (ledger rules, balance guard, member counts) are
 * paused during the load; the data set carries the values they would compute.
 */
const GUARDED = ['memberships', 'accounts', 'ledger_transactions', 'ledger_entries'];

export interface SeedOptions {
  readonly scale: number;
  readonly seed: number;
  readonly force: boolean;
  readonly log: (line: string) => void;
}

export interface SeedReport {
  readonly seconds: number;
  readonly rows: Record<string, number>;
}

export class SeedRefusedError extends Error {
  constructor(users: number) {
    super(
      `The database already holds ${users} user(s). Seeding replaces everything; run again with --force to do that.`,
    );
    this.name = 'SeedRefusedError';
  }
}

/**
 * Loads the benchmark data set in one transaction. Secondary indexes and
 * constraints of the loaded tables are dropped first and rebuilt from their
 * own catalog definitions after COPY, which is much faster than maintaining
 * them row by row and re-validates every reference. The ledger's triggers are
 * paused for the load, so the invariants they guard are then checked for the
 * whole data set at once; any violation rolls everything back.
 */
export async function seedDatabase(database: Database, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const existing = await database.bulkLoad((session) =>
    session.query<{ n: string }>('SELECT count(*)::text AS n FROM users'),
  );
  const users = Number(existing[0]?.n ?? 0);
  if (users > 0 && !options.force) throw new SeedRefusedError(users);

  options.log(`Generating and loading scale ${options.scale} with seed ${options.seed}…`);
  const passwordHash = await hashPassword(SEED_PASSWORD);
  const loads = new Map<string, TableLoad>();

  await database.bulkLoad(async (session) => {
    const saved = await dropSecondaryIndexesAndConstraints(session);
    options.log(`Dropped ${saved.length} indexes and constraints for the load`);
    for (const table of GUARDED) await session.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    await session.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY CASCADE`);
    const chunks = generateInWorker({ scale: options.scale, seed: options.seed, passwordHash });
    for await (const chunk of chunks) {
      const load = loads.get(chunk.table) ?? { rows: 0, seconds: 0 };
      const startedAt = performance.now();
      // FREEZE: the table was truncated in this transaction, so rows can be written frozen.
      load.rows += await session.copyCsv(chunk.table, chunk.columns, chunk.csv, { freeze: true });
      load.seconds += (performance.now() - startedAt) / 1000;
      loads.set(chunk.table, load);
      if (chunk.table === 'contributions') {
        options.log(`  … ${load.rows.toLocaleString('en')} contributions loaded`);
      }
    }
    for (const [table, load] of loads) {
      options.log(
        `  ${table.padEnd(20)} ${load.rows.toLocaleString('en').padStart(10)} rows, COPY ${load.seconds.toFixed(1)} s ` +
          `(${Math.round(load.rows / Math.max(load.seconds, 0.001)).toLocaleString('en')} rows/s)`,
      );
    }
    options.log(`Generated and loaded in ${seconds(started)} s`);
    await rebuild(session, saved, options.log);
    for (const table of GUARDED) await session.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    for (const table of loads.keys()) {
      await session.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT max(id) FROM ${table}))`,
      );
    }
    await verifyLedger(session, options.log);
  });
  const analyzedAt = performance.now();
  await database.bulkLoad((session) => session.query('ANALYZE'));
  options.log(`ANALYZE in ${seconds(analyzedAt)} s`);
  const elapsed = (performance.now() - started) / 1000;
  const rows = Object.fromEntries([...loads].map(([table, load]) => [table, load.rows]));
  const total = Object.values(rows).reduce((sum, n) => sum + n, 0);
  options.log(
    `Seeded ${total.toLocaleString('en')} rows in ${elapsed.toFixed(1)} s ` +
      `(${Math.round(total / elapsed).toLocaleString('en')} rows/s)`,
  );
  return { seconds: elapsed, rows };
}

interface TableLoad {
  rows: number;
  seconds: number;
}

/** The data set's chunks, generated on a worker thread while earlier chunks load. */
async function* generateInWorker(options: DatasetOptions): AsyncGenerator<TableData> {
  const worker = startWorker(new URL('./dataset-worker.js', import.meta.url), options);
  try {
    for await (const [message] of on(worker, 'message')) {
      if (message === null) return;
      const chunk = message as TableData;
      yield {
        ...chunk,
        csv: Buffer.from(chunk.csv.buffer, chunk.csv.byteOffset, chunk.csv.byteLength),
      };
    }
  } finally {
    await worker.terminate();
  }
}

interface SavedDefinition {
  readonly kind: 'index' | 'constraint';
  readonly table: string;
  readonly name: string;
  readonly definition: string;
  readonly constraintType?: string;
}

async function dropSecondaryIndexesAndConstraints(
  session: BulkSession,
): Promise<SavedDefinition[]> {
  const constraints = await session.query<{
    table: string;
    name: string;
    definition: string;
    type: string;
  }>(
    `SELECT c.relname AS table, con.conname AS name, pg_get_constraintdef(con.oid) AS definition,
            con.contype::text AS type
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
      WHERE c.relname = ANY($1) AND con.contype IN ('f', 'u')
      ORDER BY (con.contype = 'f') DESC, con.conname`,
    [TABLES],
  );
  const indexes = await session.query<{ table: string; name: string; definition: string }>(
    `SELECT c.relname AS table, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_class ic ON ic.oid = i.indexrelid
      WHERE c.relname = ANY($1) AND NOT i.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
      ORDER BY ic.relname`,
    [TABLES],
  );
  // Foreign keys first: a unique constraint cannot go while a foreign key uses it.
  for (const constraint of constraints) {
    await session.query(`ALTER TABLE ${constraint.table} DROP CONSTRAINT ${constraint.name}`);
  }
  for (const index of indexes) await session.query(`DROP INDEX ${index.name}`);
  return [
    ...indexes.map((index) => ({ kind: 'index' as const, ...index })),
    ...constraints.map((constraint) => ({
      kind: 'constraint' as const,
      table: constraint.table,
      name: constraint.name,
      definition: constraint.definition,
      constraintType: constraint.type,
    })),
  ];
}

/** Indexes and unique constraints first, then the foreign keys that rely on them. */
async function rebuild(
  session: BulkSession,
  saved: SavedDefinition[],
  log: (line: string) => void,
) {
  const startedAt = performance.now();
  await session.query(`SET LOCAL maintenance_work_mem = '256MB'`);
  const ordered = [
    ...saved.filter((item) => item.kind === 'index' || item.constraintType === 'u'),
    ...saved.filter((item) => item.constraintType === 'f'),
  ];
  for (const item of ordered) {
    const itemAt = performance.now();
    await session.query(
      item.kind === 'index'
        ? item.definition
        : `ALTER TABLE ${item.table} ADD CONSTRAINT ${item.name} ${item.definition}`,
    );
    if (performance.now() - itemAt > 500) log(`  ${item.name} in ${seconds(itemAt)} s`);
  }
  log(`Rebuilt ${saved.length} indexes and constraints in ${seconds(startedAt)} s`);
}

/** ChamaHub's own rules, checked for every row at once while the triggers were paused. */
async function verifyLedger(session: BulkSession, log: (line: string) => void) {
  const startedAt = performance.now();
  const broken: string[] = [];
  for (const check of INVARIANT_CHECKS) {
    const [row] = await session.query<InvariantRow>(check.sql);
    if (row && row.violations > 0) {
      broken.push(`${check.rule}: ${row.violations} violation(s), e.g. ${row.examples.join(', ')}`);
    }
  }
  if (broken.length > 0) {
    throw new Error(`The seeded data breaks its rules (${broken.join('; ')}); nothing was loaded`);
  }
  log(
    `Ledger verified (balanced, balances equal their entries, member counts right) in ${seconds(startedAt)} s`,
  );
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

/**
 * Built, the worker is a .js file beside this one. Run from source (as the
 * tests do, through tsx), it is the .ts file, and the worker thread needs
 * tsx's loader registered before it can import it.
 */
function startWorker(script: URL, workerData: unknown): Worker {
  if (import.meta.url.endsWith('.js')) return new Worker(script, { workerData });
  const source = new URL(script.href.replace(/\.js$/, '.ts'));
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(source.href)}); });`,
    { eval: true, workerData },
  );
}
