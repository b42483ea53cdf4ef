/**
 * `chamahub db backups verify`: a backup is only as good as its restore.
 * Checks the checksum, restores into a scratch database, compares every
 * table's rows with the manifest, checks the ledger's rules, and drops it.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseConfig } from '../../config/config.js';
import { openDatabase, openInMemoryDatabase, type Database } from '../../db/database.js';
import { createDatabase, dropDatabase } from '../../db/server-databases.js';
import { sql } from 'kysely';
import { checkLedgerInvariants } from '../integrity/ledger-invariants.js';
import { checksumOf, writeManifest, type Manifest, type Verification } from './manifest.js';
import { restoreBackup } from './restore.js';

export async function verifyBackup(
  manifest: Manifest,
  server: Extract<DatabaseConfig, { engine: 'postgres' }> | undefined,
  log: (line: string) => void,
): Promise<Verification> {
  const problems: string[] = [];
  const { sha256, sizeBytes } = await checksumOf(manifest.path);
  if (sha256 !== manifest.sha256 || sizeBytes !== manifest.sizeBytes) {
    problems.push(
      `checksum mismatch: the manifest says sha256 ${manifest.sha256.slice(0, 12)}… (${manifest.sizeBytes} bytes), the file is ${sha256.slice(0, 12)}… (${sizeBytes} bytes)`,
    );
    return record(manifest, problems);
  }
  log(`Checksum matches (sha256 ${sha256.slice(0, 12)}…).`);

  const scratch = await openScratch(manifest, server);
  log(`Restoring into scratch database ${scratch.name}…`);
  try {
    await restoreBackup(manifest, scratch.target, { log: () => undefined, jobs: 2 });
    for (const [table, expected] of Object.entries(manifest.rowCounts)) {
      const result = await sql<{ n: number }>`SELECT count(*)::float8 AS n FROM ${sql.table(table)}`
        .execute(scratch.database.db)
        .catch(() => ({ rows: [{ n: -1 }] }));
      const actual = result.rows[0]?.n ?? -1;
      if (actual !== expected)
        problems.push(
          `${table}: ${actual < 0 ? 'missing' : `${actual} rows`}, the manifest says ${expected}`,
        );
    }
    log(
      `Row counts: ${problems.length === 0 ? `all ${Object.keys(manifest.rowCounts).length} tables match` : `${problems.length} differ`}.`,
    );
    if (manifest.tables === null) {
      for (const invariant of await checkLedgerInvariants(scratch.database.db)) {
        if (invariant.violations > 0) {
          problems.push(
            `${invariant.rule}: ${invariant.violations} violation(s), e.g. id ${invariant.examples.join(', ')}`,
          );
        }
      }
      log(`Ledger rules: ${problems.some((p) => /violation/.test(p)) ? 'BROKEN' : 'hold'}.`);
    }
  } catch (error) {
    problems.push(`restore failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await scratch.drop();
    log(`Dropped ${scratch.name}.`);
  }
  return record(manifest, problems);
}

async function record(manifest: Manifest, problems: string[]): Promise<Verification> {
  const verification: Verification = {
    at: new Date().toISOString(),
    ok: problems.length === 0,
    problems,
  };
  await writeManifest({ ...manifest, verification });
  return verification;
}

interface Scratch {
  readonly name: string;
  readonly database: Database;
  readonly target: Parameters<typeof restoreBackup>[1];
  drop(): Promise<void>;
}

/** Embedded backups verify in memory; server backups in a new database on that server. */
async function openScratch(
  manifest: Manifest,
  server: Extract<DatabaseConfig, { engine: 'postgres' }> | undefined,
): Promise<Scratch> {
  if (manifest.engine === 'pglite' && !server) {
    const database = await openInMemoryDatabase();
    const pglite = database.embedded;
    if (!pglite) throw new Error('in-memory database without PGlite');
    return {
      name: 'in memory',
      database,
      target: { engine: 'pglite', pglite, location: 'a scratch database in memory' },
      drop: () => database.close(),
    };
  }
  if (!server) throw new Error('verifying a server backup needs DATABASE_URL');
  const name = `chamahub_verify_${randomBytes(4).toString('hex')}`;
  const url = await createDatabase(server.migrationUrl, name, server.ssl);
  const database = await openDatabase({
    engine: 'postgres',
    url,
    migrationUrl: url,
    ...(server.ssl ? { ssl: server.ssl } : {}),
  });
  return {
    name,
    database,
    target: { engine: 'postgres', url, ssl: server.ssl },
    drop: async () => {
      await database.close();
      await dropDatabase(server.migrationUrl, name, server.ssl);
    },
  };
}
