import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { snapshotSchema, type SchemaSnapshot } from '../../src/db/catalog.js';
import {
  describeOnServer,
  pgliteEngine,
  serverEngine,
  type TestDatabase,
} from '../support/databases.js';

describeOnServer('migrations build the same schema on PGlite and on PostgreSQL', () => {
  const opened: TestDatabase[] = [];
  let embedded: SchemaSnapshot;
  let server: SchemaSnapshot;

  before(async () => {
    const [a, b] = await Promise.all([pgliteEngine.create(), serverEngine.create()]);
    opened.push(a, b);
    [embedded, server] = await Promise.all([snapshotSchema(a.db), snapshotSchema(b.db)]);
  });
  after(async () => {
    await Promise.all(opened.map((database) => database.close()));
  });

  for (const part of [
    'tables',
    'columns',
    'constraints',
    'indexes',
    'triggers',
    'functions',
  ] as const) {
    it(`has identical ${part}`, () => {
      assert.ok(server[part].length > 0, `the server schema has ${part}`);
      assert.deepEqual(embedded[part], server[part]);
    });
  }

  it('has every index kind the hot queries need', () => {
    const using = (method: string) =>
      server.indexes.filter((line) => line.includes(`USING ${method} `));
    assert.ok(using('hash').some((line) => line.includes('sessions_token_hash_idx')));
    assert.ok(using('gist').some((line) => line.includes('chamas_meeting_location_gist')));
    for (const name of ['chamas_tags_gin', 'chamas_search_vector_gin', 'users_preferences_gin']) {
      assert.ok(
        using('gin').some((line) => line.includes(name)),
        name,
      );
    }
    assert.ok(
      server.indexes.some(
        (line) => line.includes('users_email_lower_key') && line.includes('lower(email)'),
      ),
    );
    assert.ok(
      server.indexes.some(
        (line) =>
          line.includes('contributions_member_statement_idx') &&
          line.includes('(chama_id, member_id, created_at DESC, id DESC)'),
      ),
    );
  });
});
