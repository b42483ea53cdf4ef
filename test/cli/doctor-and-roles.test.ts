import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import pg from 'pg';
import type { DoctorReport } from '../../src/ops/doctor/doctor.js';
import { cliEnv, runCli } from '../support/cli.js';
import {
  describeOnServer,
  serverEngine,
  withAdmin,
  type TestDatabase,
} from '../support/databases.js';

async function onDatabase(url: string, work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

async function doctor(url: string): Promise<{ code: number | null; report: DoctorReport }> {
  const result = await runCli(
    ['db', 'doctor', '--json', '--ram', '4GB', '--cores', '2', '--storage', 'ssd'],
    cliEnv({ DATABASE_URL: url }),
  );
  assert.ok(result.stdout.startsWith('{'), result.stderr);
  return { code: result.code, report: JSON.parse(result.stdout) as DoctorReport };
}

function flagged(report: DoctorReport, check: string): string[] {
  return report.findings
    .filter((finding) => finding.check === check && finding.severity !== 'ok')
    .map((finding) => `${finding.severity}: ${finding.evidence}`);
}

describeOnServer('db doctor finds seeded problems', () => {
  let database: TestDatabase;
  before(async () => {
    database = await serverEngine.create();
    await onDatabase(database.url ?? '', async (client) => {
      await client.query('CREATE INDEX chamas_chair_id_copy ON chamas (chair_id)');
      await client.query(
        'CREATE TABLE chama_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, chama_id bigint REFERENCES chamas (id), body text)',
      );
      await client.query('CREATE INDEX chama_notes_body_idx ON chama_notes (body)');
      await client.query('CREATE SEQUENCE receipt_numbers AS integer');
      await client.query("SELECT setval('receipt_numbers', 2000000000)");
      // A workload that reads chama_notes without ever using its body index.
      for (let i = 0; i < 120; i++) await client.query('SELECT count(*) FROM chama_notes');
      await client.query('SELECT pg_stat_force_next_flush()');
      await client.query('SELECT 1');
    });
  });
  after(async () => {
    await database.close();
  });

  it('reports each one with evidence and a fix, and exits 1', async () => {
    const { code, report } = await doctor(database.url ?? '');
    assert.equal(code, 1);
    assert.match(
      flagged(report, 'duplicate index').join(),
      /chamas_chair_id_copy on chamas indexes the same columns as chamas_chair_id_idx/,
    );
    assert.match(
      flagged(report, 'unused index').join(),
      /chama_notes_body_idx on chama_notes has never been used/,
    );
    assert.match(
      flagged(report, 'foreign key without index').join(),
      /chama_notes_chama_id_fkey on chama_notes \(chama_id\)/,
    );
    assert.match(
      flagged(report, 'sequence near its limit').join(),
      /^critical: public\.receipt_numbers is at 2000000000 of 2147483647 \(93\.1 %\)/,
    );
    assert.match(
      flagged(report, 'application role').join(),
      /^critical: the app connects as postgres, a superuser/,
    );
    const fixes = report.findings.map((finding) => finding.fix ?? '').join('\n');
    assert.match(fixes, /DROP INDEX CONCURRENTLY chamas_chair_id_copy;/);
    assert.match(
      fixes,
      /CREATE INDEX CONCURRENTLY chama_notes_chama_id_idx ON chama_notes \(chama_id\);/,
    );
  });
});

describeOnServer('db roles setup, then a clean bill of health', () => {
  const suffix = randomBytes(3).toString('hex');
  const owner = `chamahub_owner_${suffix}`;
  const app = `chamahub_app_${suffix}`;
  let database: TestDatabase;
  let ownerUrl = '';
  let appUrl = '';
  before(async () => {
    database = await serverEngine.create();
    const result = await runCli(
      ['db', 'roles', 'setup', '--owner', owner, '--app', app],
      cliEnv({ DATABASE_URL: database.url ?? '' }),
    );
    assert.equal(result.code, 0, result.stderr);
    ownerUrl = /MIGRATION_DATABASE_URL=(\S+)/.exec(result.stdout)?.[1] ?? '';
    appUrl =
      /\bDATABASE_URL=(\S+)/.exec(result.stdout.replace(/MIGRATION_DATABASE_URL=\S+/, ''))?.[1] ??
      '';
    assert.ok(ownerUrl.includes(owner) && appUrl.includes(app), result.stdout);
  });
  after(async () => {
    await database.close();
    await withAdmin(async (client) => {
      await client.query(`DROP ROLE IF EXISTS ${app}`);
      await client.query(`DROP ROLE IF EXISTS ${owner}`);
    });
  });

  it('gives the application rows to read and write, and nothing more', async () => {
    await onDatabase(appUrl, async (client) => {
      const who = await client.query<{ superuser: boolean }>(
        'SELECT rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
      );
      assert.equal(who.rows[0]?.superuser, false);
      await client.query(
        "INSERT INTO users (email, password_hash, first_name, last_name) VALUES ('wanjiru@example.com', 'x', 'Wanjiru', 'Kamau')",
      );
      assert.equal((await client.query('SELECT * FROM users')).rowCount, 1);
      for (const ddl of [
        'CREATE TABLE sneaky (id int)',
        'DROP TABLE contributions',
        'ALTER TABLE users ADD COLUMN is_admin boolean',
        'UPDATE ledger_entries SET amount = 1',
        'DELETE FROM ledger_transactions',
        'DELETE FROM chamahub_schema_migrations',
      ]) {
        await assert.rejects(client.query(ddl), (error: { code?: string }) => {
          assert.equal(error.code, '42501', ddl);
          return true;
        });
      }
      const timeout = await client.query<{ statement_timeout: string }>('SHOW statement_timeout');
      assert.equal(timeout.rows[0]?.statement_timeout, '30s');
    });
  });

  it('lets the owner run migrations, and the app use what they create', async () => {
    const status = await runCli(
      ['db', 'status'],
      cliEnv({ DATABASE_URL: appUrl, MIGRATION_DATABASE_URL: ownerUrl }),
    );
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /4 applied, 0 pending/);
    await onDatabase(ownerUrl, async (client) => {
      await client.query(
        'CREATE TABLE chama_rules (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, text text)',
      );
    });
    await onDatabase(appUrl, async (client) => {
      await client.query("INSERT INTO chama_rules (text) VALUES ('Contribute by the 5th')");
    });
    await onDatabase(ownerUrl, (client) =>
      client.query('DROP TABLE chama_rules').then(() => undefined),
    );
  });

  it('gives no index, sequence, role or ChamaHub finding for the clean database', async () => {
    const { report } = await doctor(appUrl);
    for (const check of [
      'application role',
      'duplicate index',
      'unused index',
      'foreign key without index',
      'invalid index',
      'sequence near its limit',
      'migrations',
    ]) {
      assert.deepEqual(flagged(report, check), [], check);
    }
    assert.deepEqual(
      report.findings.filter((f) => f.area === 'chamahub' && f.severity !== 'ok'),
      [],
    );
    assert.equal(
      report.critical,
      0,
      JSON.stringify(report.findings.filter((f) => f.severity === 'critical')),
    );
    assert.ok(
      report.skipped.some((skip) => skip.check === 'pg_hba trust'),
      'pg_hba needs a superuser, and says so',
    );
  });

  it('refuses bad role names', async () => {
    const result = await runCli(
      ['db', 'roles', 'setup', '--app', 'Robert"; DROP'],
      cliEnv({ DATABASE_URL: database.url ?? '' }),
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /is not a role name/);
  });
});
