import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { IdempotencyService } from '../../src/domain/idempotency/idempotency-service.js';
import { describeEachEngine } from '../support/databases.js';
import { createUser } from '../support/factories.js';

describeEachEngine('idempotency key retention', (database) => {
  it('purges outcomes older than the retention period and keeps the rest', async () => {
    const { db } = database();
    const user = await createUser(db);
    for (const [key, hoursAgo] of [
      ['fresh', 1],
      ['a-day-old', 25],
      ['stale', 49],
    ] as const) {
      await db
        .insertInto('idempotency_keys')
        .values({
          user_id: user.id,
          key,
          request_fingerprint: 'f',
          outcome: JSON.stringify({ ok: null }),
          created_at: sql<Date>`now() - make_interval(hours => ${hoursAgo})`,
        })
        .execute();
    }
    assert.equal(await new IdempotencyService(db).purge(48), 1);
    const left = await db.selectFrom('idempotency_keys').select('key').orderBy('key').execute();
    assert.deepEqual(
      left.map((row) => row.key),
      ['a-day-old', 'fresh'],
    );
  });
});
