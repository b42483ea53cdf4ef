import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { cliEnv, runCli } from '../support/cli.js';
import {
  describeOnServer,
  serverEngine,
  withAdmin,
  type TestDatabase,
} from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { pgbouncerUnavailable, runPgBouncer } from '../support/pgbouncer.js';

describeOnServer('chamahub pgbouncer config', () => {
  const role = `chamahub_pgb_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  let database: TestDatabase;
  let out: string;
  let appUrl: URL;
  before(async () => {
    database = await serverEngine.create();
    await withAdmin(async (client) => {
      await client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      await client.query(
        `GRANT CONNECT ON DATABASE "${new URL(database.url ?? '').pathname.slice(1)}" TO ${role}`,
      );
    });
    out = await mkdtemp(path.join(tmpdir(), 'chamahub-pgbouncer-config-'));
    appUrl = new URL(database.url ?? '');
    appUrl.username = role;
    appUrl.password = password;
  });
  after(async () => {
    await database.close();
    await withAdmin((client) => client.query(`DROP ROLE IF EXISTS ${role}`));
    await rm(out, { recursive: true, force: true });
  });

  it('writes a transaction-mode pgbouncer.ini and a userlist with the SCRAM secret, which a real PgBouncer accepts', async (t) => {
    const port = await freePort();
    const result = await runCli(
      ['pgbouncer', 'config', '--out', out, '--listen-port', String(port), '--workers', '3'],
      cliEnv({ DATABASE_URL: appUrl.toString(), MIGRATION_DATABASE_URL: database.url ?? '' }),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /default_pool_size 11 \(3 worker\(s\) × 2 \+ 5 spare\)/);
    const ini = await readFile(path.join(out, 'pgbouncer.ini'), 'utf8');
    assert.match(ini, /^pool_mode = transaction$/m);
    assert.match(ini, /^auth_type = scram-sha-256$/m);
    assert.match(ini, /^default_pool_size = 11$/m);
    const userlist = await readFile(path.join(out, 'userlist.txt'), 'utf8');
    assert.match(userlist, new RegExp(`^"${role}" "SCRAM-SHA-256\\$4096:`));
    assert.ok(!userlist.includes(password), 'the password itself is never written');
    assert.equal((await stat(path.join(out, 'userlist.txt'))).mode & 0o777, 0o600);

    const missing = await pgbouncerUnavailable();
    if (missing) return t.skip(missing);
    const bouncer = await runPgBouncer(path.join(out, 'pgbouncer.ini'), port, out);
    try {
      const pooled = new URL(appUrl);
      pooled.port = String(port);
      const client = new pg.Client({ connectionString: pooled.toString() });
      await client.connect();
      const row = await client.query<{ who: string; port: number }>(
        'SELECT current_user AS who, inet_server_port() AS port',
      );
      await client.end();
      assert.equal(row.rows[0]?.who, role);
      assert.equal(row.rows[0]?.port, Number(new URL(database.url ?? '').port || 5432));

      // The doctor, through the pooler, sizes max_connections against PgBouncer's pool.
      const doctor = await runCli(
        ['db', 'doctor', '--json', '--ram', '4GB', '--cores', '2'],
        cliEnv({ DATABASE_URL: pooled.toString(), MIGRATION_DATABASE_URL: database.url ?? '' }),
      );
      const report = JSON.parse(doctor.stdout) as {
        findings: { check: string; evidence: string }[];
      };
      assert.match(
        report.findings.find((finding) => finding.check === 'max_connections')?.evidence ?? '',
        /PgBouncer's default_pool_size 11 plus 5 for migrations and tools needs 16/,
      );

      pooled.password = 'not-the-password';
      const wrong = new pg.Client({ connectionString: pooled.toString() });
      await assert.rejects(
        wrong.connect(),
        /SASL authentication failed|password authentication failed/,
      );
    } finally {
      await bouncer.stop();
    }
  });

  it('says what to run when the secret cannot be read, and exits 1', async () => {
    const result = await runCli(
      ['pgbouncer', 'config', '--out', out, '--force'],
      cliEnv({ DATABASE_URL: appUrl.toString() }),
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /only a superuser may read password secrets/);
    assert.match(
      result.stderr,
      new RegExp(`SELECT rolpassword FROM pg_authid WHERE rolname = '${role}'`),
    );
    assert.match(
      await readFile(path.join(out, 'userlist.txt'), 'utf8'),
      /paste the SCRAM secret here/,
    );
  });

  it('refuses to overwrite without --force, and the embedded engine', async () => {
    const again = await runCli(
      ['pgbouncer', 'config', '--out', out],
      cliEnv({ DATABASE_URL: appUrl.toString(), MIGRATION_DATABASE_URL: database.url ?? '' }),
    );
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; pass --force/);
    const embedded = await runCli(
      ['pgbouncer', 'config', '--out', out],
      cliEnv({ CHAMAHUB_DATA_DIR: path.join(out, 'data') }),
    );
    assert.equal(embedded.code, 2);
    assert.match(embedded.stderr, /set DATABASE_URL/);
  });
});
