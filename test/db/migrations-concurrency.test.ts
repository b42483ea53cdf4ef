import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.js';
import { Migrator, readHistory } from '../../src/db/migrator/index.js';
import { describeOnServer, serverEngine, type TestDatabase } from '../support/databases.js';
import {
  makeMigrationFolder,
  sqlMigration,
  type MigrationFolder,
} from '../support/migration-folder.js';

describeOnServer('one migrator at a time', () => {
  let database: TestDatabase;
  let second: Database;
  let folder: MigrationFolder;
  before(async () => {
    database = await serverEngine.create({ migrated: false });
    const url = database.url ?? '';
    second = await openDatabase({ engine: 'postgres', url, migrationUrl: url });
    folder = await makeMigrationFolder();
    await folder.add(
      '0005_slow_change.ts',
      sqlMigration(
        'SELECT pg_sleep(1.5); ALTER TABLE chamas ADD COLUMN motto text',
        'ALTER TABLE chamas DROP COLUMN motto',
      ),
    );
  });
  after(async () => {
    await second.close();
    await database.close();
    await folder.remove();
  });

  it('serialises two processes migrating at once; the second reports the work already done', async () => {
    const logs: string[][] = [[], []];
    const migrators = [database, second].map(
      (db, index) =>
        new Migrator(db.db, { dir: folder.dir, log: (line) => logs[index]?.push(line) }),
    );
    const [first, other] = await Promise.all([
      migrators[0]!.migrate(),
      new Promise((resolve) => setTimeout(resolve, 200)).then(() => migrators[1]!.migrate()),
    ]);
    const reports = [first, other];
    const worked = reports.filter((report) => report.steps.length > 0);
    const waited = reports.filter((report) => report.waitedForOtherMigrator);
    assert.equal(worked.length, 1, 'exactly one migrator applied the migrations');
    assert.deepEqual(
      worked[0]?.steps.map((step) => step.name),
      [
        '0001_initial_schema',
        '0002_idempotency_and_login_throttles',
        '0003_chama_member_count',
        '0004_hot_route_functions',
        '0005_slow_change',
      ],
    );
    assert.equal(waited.length, 1);
    assert.deepEqual(waited[0]?.steps, []);
    assert.ok(logs.flat().some((line) => /Another migrator is working/.test(line)));
    const history = await readHistory(database.db);
    assert.deepEqual(
      history.map((row) => row.name),
      [
        '0001_initial_schema',
        '0002_idempotency_and_login_throttles',
        '0003_chama_member_count',
        '0004_hot_route_functions',
        '0005_slow_change',
      ],
    );
  });

  it('imports the history an earlier ChamaHub kept, without re-running anything', async () => {
    await sql`CREATE TABLE chamahub_migrations (name varchar(255) PRIMARY KEY, timestamp varchar(255) NOT NULL)`.execute(
      database.db,
    );
    await sql`INSERT INTO chamahub_migrations SELECT name, applied_at::text FROM chamahub_schema_migrations`.execute(
      database.db,
    );
    await sql`DROP TABLE chamahub_schema_migrations`.execute(database.db);
    const report = await new Migrator(database.db, { dir: folder.dir }).migrate();
    assert.deepEqual(report.steps, []);
    const status = await new Migrator(database.db, { dir: folder.dir }).status();
    assert.ok(status.every((row) => row.state === 'applied' && row.file === 'matches'));
    const legacy = await sql<{
      name: string | null;
    }>`SELECT to_regclass('chamahub_migrations')::text AS name`.execute(database.db);
    assert.equal(legacy.rows[0]?.name, null);
  });
});
