import assert from 'node:assert/strict';
import { readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { snapshotSchema, type SchemaSnapshot } from '../../src/db/catalog.js';
import { findDrift } from '../../src/db/migrator/drift.js';
import { MigrationError, Migrator, readMigrationFiles, ZERO } from '../../src/db/migrator/index.js';
import { squashMigrations } from '../../src/db/migrator/squash.js';
import { describeEachEngine } from '../support/databases.js';
import {
  makeMigrationFolder,
  sqlMigration,
  type MigrationFolder,
} from '../support/migration-folder.js';

describeEachEngine(
  'migrations',
  (database) => {
    let folder: MigrationFolder;
    let migrator: Migrator;
    before(async () => {
      folder = await makeMigrationFolder({ withExamples: true });
      migrator = new Migrator(database().db, { dir: folder.dir });
    });
    after(async () => {
      await folder.remove();
    });

    it('applies every migration, rolls back to zero step by step, and applies again to the same schema', async () => {
      const names = (await migrator.files()).map((file) => file.name);
      const snapshots: SchemaSnapshot[] = [await snapshotSchema(database().db)];
      for (const name of names) {
        await migrator.migrate(name);
        snapshots.push(await snapshotSchema(database().db));
      }
      for (let index = names.length - 1; index >= 0; index--) {
        const report = await migrator.rollback(1);
        assert.deepEqual(
          report.steps.map((step) => step.name),
          [names[index]],
        );
        assert.deepEqual(
          await snapshotSchema(database().db),
          snapshots[index],
          `down() of ${names[index]} restores the schema before it`,
        );
      }
      await migrator.migrate();
      assert.deepEqual(await snapshotSchema(database().db), snapshots.at(-1));
    });

    it('moves to a named migration and back, and to zero', async () => {
      await migrator.migrate('0004_hot_route_functions');
      let status = await migrator.status();
      assert.deepEqual(
        status.map((row) => row.state),
        ['applied', 'applied', 'applied', 'applied', 'pending', 'pending'],
      );
      await migrator.migrate('0006_index_users_email_domain');
      await migrator.migrate(ZERO);
      status = await migrator.status();
      assert.ok(status.every((row) => row.state === 'pending'));
      const tables = await snapshotSchema(database().db);
      assert.deepEqual(tables.tables, []);
      await assert.rejects(migrator.migrate('9999_nope'), MigrationError);
      await migrator.migrate();
    });

    it('backfills a column in batches and reverses it (the data migration example)', async () => {
      await migrator.migrate('0004_hot_route_functions');
      await sql`
        INSERT INTO users (email, first_name, last_name, password_hash)
        SELECT 'member' || n || '@Example' || (n % 3) || '.com', 'A', 'B', 'x'
          FROM generate_series(1, 2500) AS n`.execute(database().db);
      await migrator.migrate('0005_backfill_users_email_domain');
      const counts = await sql<{ domain: string; n: string }>`
        SELECT email_domain AS domain, count(*)::text AS n FROM users GROUP BY 1 ORDER BY 1`.execute(
        database().db,
      );
      assert.deepEqual(counts.rows, [
        { domain: 'example0.com', n: '833' },
        { domain: 'example1.com', n: '834' },
        { domain: 'example2.com', n: '833' },
      ]);
      await migrator.migrate();
      const index = await sql<{ indexdef: string }>`
        SELECT indexdef FROM pg_indexes WHERE indexname = 'users_email_domain_idx'`.execute(
        database().db,
      );
      assert.equal(index.rows.length, 1, 'the non-transactional CREATE INDEX CONCURRENTLY ran');
      await migrator.migrate('0004_hot_route_functions');
      const column = await sql`
        SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email_domain'`.execute(
        database().db,
      );
      assert.equal(column.rows.length, 0);
      await sql`DELETE FROM users`.execute(database().db);
      await migrator.migrate();
    });

    it('refuses to continue when an applied migration file was edited, naming the file', async () => {
      const file = path.join(folder.dir, '0005_backfill_users_email_domain.ts');
      const original = await readFile(file, 'utf8');
      await writeFile(file, original.replace('BATCH_SIZE = 1000', 'BATCH_SIZE = 500'));
      try {
        await assert.rejects(migrator.migrate(), (error: unknown) => {
          assert.ok(error instanceof MigrationError);
          assert.match(
            error.message,
            /0005_backfill_users_email_domain\.ts was edited after it was applied/,
          );
          return true;
        });
        const status = await migrator.status();
        assert.equal(
          status.find((row) => row.name === '0005_backfill_users_email_domain')?.file,
          'changed',
        );
      } finally {
        await writeFile(file, original);
      }
      await migrator.migrate();
    });

    it('rolls back a failed transactional migration completely', async () => {
      const filePath = await folder.add(
        '0007_half_done.ts',
        sqlMigration(
          'ALTER TABLE chamas ADD COLUMN motto text; SELECT 1/0',
          'ALTER TABLE chamas DROP COLUMN motto',
        ),
      );
      await assert.rejects(
        migrator.migrate(),
        /0007_half_done \(up\) failed: division by zero.*rolled back/,
      );
      const column = await sql`
        SELECT 1 FROM information_schema.columns WHERE table_name = 'chamas' AND column_name = 'motto'`.execute(
        database().db,
      );
      assert.equal(column.rows.length, 0);
      assert.equal(
        (await migrator.status()).find((row) => row.name === '0007_half_done')?.state,
        'pending',
      );
      await unlink(filePath);
    });

    it('reports no drift, then the drift someone made by hand', async () => {
      assert.deepEqual(await findDrift(database().db, folder.dir), []);
      await sql`CREATE INDEX chamas_name_idx ON chamas (name)`.execute(database().db);
      const drift = await findDrift(database().db, folder.dir);
      assert.deepEqual(
        drift.map((item) => [item.part, item.unexpected, item.missing]),
        [['indexes', ['CREATE INDEX chamas_name_idx ON public.chamas USING btree (name)'], []]],
      );
      await sql`DROP INDEX chamas_name_idx`.execute(database().db);
    });

    it('squashes a run into one equivalent migration that databases which applied the run accept', async () => {
      await folder.add(
        '0007_add_chama_motto.ts',
        sqlMigration(
          'ALTER TABLE chamas ADD COLUMN motto text',
          'ALTER TABLE chamas DROP COLUMN motto',
        ),
      );
      await folder.add(
        '0008_add_chama_founded_on.ts',
        sqlMigration(
          'ALTER TABLE chamas ADD COLUMN founded_on date',
          'ALTER TABLE chamas DROP COLUMN founded_on',
        ),
      );
      await migrator.migrate();
      const before = await snapshotSchema(database().db);

      const result = await squashMigrations(
        folder.dir,
        '0007_add_chama_motto',
        '0008_add_chama_founded_on',
      );
      assert.deepEqual(result.replaces, ['0007_add_chama_motto', '0008_add_chama_founded_on']);
      const names = (await readMigrationFiles(folder.dir)).map((file) => file.name);
      assert.deepEqual(names.slice(-1), [
        '0007_squashed_0007_add_chama_motto_to_0008_add_chama_founded_on',
      ]);
      assert.ok(
        !(await readdir(folder.dir)).some((entry) => entry.startsWith('.squash-')),
        'no scratch left',
      );

      // This database applied the originals: status already counts the squash as applied,
      // and migrate records it in their place without re-running anything.
      const squashedName = '0007_squashed_0007_add_chama_motto_to_0008_add_chama_founded_on';
      assert.equal(
        (await migrator.status()).find((row) => row.name === squashedName)?.state,
        'applied',
      );
      const report = await migrator.migrate();
      assert.deepEqual(report.steps, []);
      const status = await migrator.status();
      assert.deepEqual(
        status.slice(-1).map((row) => [row.name, row.state, row.file]),
        [['0007_squashed_0007_add_chama_motto_to_0008_add_chama_founded_on', 'applied', 'matches']],
      );
      assert.deepEqual(await snapshotSchema(database().db), before);
      await migrator.rollback(1);
      const columns = await sql<{ column_name: string }>`
        SELECT column_name FROM information_schema.columns
         WHERE table_name = 'chamas' AND column_name IN ('motto', 'founded_on')`.execute(
        database().db,
      );
      assert.deepEqual(columns.rows, []);
      await migrator.migrate();
      assert.deepEqual(await snapshotSchema(database().db), before);
    });

    it('refuses to squash a data migration, and leaves the folder as it was', async () => {
      const before = await readdir(folder.dir);
      await assert.rejects(
        squashMigrations(
          folder.dir,
          '0004_hot_route_functions',
          '0005_backfill_users_email_domain',
        ),
        /reads or writes rows/,
      );
      await assert.rejects(
        squashMigrations(
          folder.dir,
          '0005_backfill_users_email_domain',
          '0006_index_users_email_domain',
        ),
        /reads or writes rows|not transactional/,
      );
      assert.deepEqual(await readdir(folder.dir), before);
    });
  },
  { migrated: false },
);
