import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliEnv, runCli } from '../support/cli.js';
import { describeOnServer, serverEngine, type TestDatabase } from '../support/databases.js';
import { makeMigrationFolder, type MigrationFolder } from '../support/migration-folder.js';

describe("chamahub db commands, the guide's flow on the embedded database", () => {
  let folder: MigrationFolder;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    folder = await makeMigrationFolder();
    dataDir = await mkdtemp(path.join(tmpdir(), 'chamahub-db-'));
    env = cliEnv({ CHAMAHUB_DATA_DIR: dataDir, CHAMAHUB_MIGRATIONS_DIR: folder.dir });
  });
  after(async () => {
    await folder.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('makes, previews, applies, lists, rolls back and undoes a migration', async () => {
    const made = await runCli(
      [
        'db',
        'make',
        'Add phone number',
        '--sql',
        'ALTER TABLE chamas ADD COLUMN phone_number text',
        '--down-sql',
        'ALTER TABLE chamas DROP COLUMN phone_number',
      ],
      env,
    );
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout.trim(), /0005_add_phone_number\.ts$/);
    assert.match(
      await readFile(path.join(folder.dir, '0005_add_phone_number.ts'), 'utf8'),
      /lockTimeout/,
    );

    const preview = await runCli(['db', 'sql', '0005_add_phone_number'], env);
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(
      preview.stdout,
      /BEGIN;\nSET LOCAL lock_timeout = '5s';\nALTER TABLE chamas ADD COLUMN phone_number text;\nCOMMIT;/,
    );
    const down = await runCli(['db', 'sql', '0005', '--down'], env);
    assert.match(down.stdout, /ALTER TABLE chamas DROP COLUMN phone_number;/);

    const migrated = await runCli(['db', 'migrate'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /Done: 5 applied, 0 reverted\./);

    const status = await runCli(['db', 'status'], env);
    assert.match(status.stdout, /\[X\] 0005_add_phone_number\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    assert.match(status.stdout, /5 applied, 0 pending\./);

    const back = await runCli(['db', 'migrate', '--to', '0004_hot_route_functions'], env);
    assert.match(back.stdout, /reverted 0005_add_phone_number/);
    const zero = await runCli(['db', 'migrate', '--to', 'zero'], env);
    assert.match(zero.stdout, /Done: 0 applied, 4 reverted\./);
    const again = await runCli(['db', 'migrate'], env);
    assert.match(again.stdout, /Done: 5 applied/);
    const rollback = await runCli(['db', 'rollback', '--steps', '2'], env);
    assert.match(
      rollback.stdout,
      /reverted 0005_add_phone_number[\s\S]*reverted 0004_hot_route_functions/,
    );
    const badSteps = await runCli(['db', 'rollback', '--steps', '0'], env);
    assert.notEqual(badSteps.code, 0);
    assert.match(badSteps.stderr, /whole number/);
  });

  it('lints: fails on a dangerous migration, passes once it states why it is safe', async () => {
    await folder.add(
      '0006_drop_phone_number.ts',
      [
        "import { sql, type Kysely } from 'kysely';",
        "export const lockTimeout = '5s';",
        'export async function up(db: Kysely<unknown>): Promise<void> {',
        '  await sql`ALTER TABLE chamas DROP COLUMN phone_number`.execute(db);',
        '}',
        '',
      ].join('\n'),
    );
    const failing = await runCli(['db', 'lint'], env);
    assert.equal(failing.code, 1);
    assert.match(failing.stdout, /0006_drop_phone_number: \[drop-column\]/);
    await writeFile(
      path.join(folder.dir, '0006_drop_phone_number.ts'),
      [
        "import { sql, type Kysely } from 'kysely';",
        "export const lockTimeout = '5s';",
        'export async function up(db: Kysely<unknown>): Promise<void> {',
        '  await sql`ALTER TABLE chamas DROP COLUMN phone_number',
        '    -- chamahub-lint: allow drop-column because no release ever read it`.execute(db);',
        '}',
        '',
      ].join('\n'),
    );
    const passing = await runCli(['db', 'lint', '0006_drop_phone_number'], env);
    assert.equal(passing.code, 0, passing.stdout);
    assert.match(passing.stdout, /nothing dangerous/);
  });

  it('stops with the file named when an applied migration was edited', async () => {
    const migrated = await runCli(['db', 'migrate', '--to', '0005_add_phone_number'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    const edited = path.join(folder.dir, '0002_idempotency_and_login_throttles.ts');
    await writeFile(
      edited,
      (await readFile(edited, 'utf8')).replace('BETWEEN 1 AND 255', 'BETWEEN 1 AND 200'),
    );
    const refused = await runCli(['db', 'migrate'], env);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /0002_idempotency_and_login_throttles\.ts was edited after it was applied/,
    );
    const status = await runCli(['db', 'status'], env);
    assert.equal(status.code, 1);
    assert.match(status.stdout, /0002_idempotency_and_login_throttles .*FILE CHANGED/);
  });
});

describeOnServer('chamahub db commands on a PostgreSQL server', () => {
  let database: TestDatabase;
  before(async () => {
    database = await serverEngine.create({ migrated: false });
  });
  after(async () => {
    await database.close();
  });

  it('migrates, checks for drift and rolls back over DATABASE_URL', async () => {
    const env = cliEnv({ DATABASE_URL: database.url ?? '' });
    const migrated = await runCli(['db', 'migrate'], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, /Migrating PostgreSQL at /);
    const check = await runCli(['db', 'check'], env);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /No drift/);
    const back = await runCli(['db', 'rollback'], env);
    assert.match(back.stdout, /reverted 0004_hot_route_functions/);
  });
});
