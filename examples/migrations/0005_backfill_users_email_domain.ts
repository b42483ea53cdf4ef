// Example of a data migration: add a column, then backfill it in batches.
//
// Batches keep each UPDATE short, so the rows it locks are released quickly
// and the table stays usable while a large backfill runs. Copy this file into
// src/db/migrations with the next number to use the pattern.
import { sql, type Kysely } from 'kysely';

export const lockTimeout = '5s';

const BATCH_SIZE = 1000;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE users ADD COLUMN email_domain text`.execute(db);
  for (;;) {
    const result = await sql`
      UPDATE users SET email_domain = lower(split_part(email, '@', 2))
       WHERE id IN (SELECT id FROM users WHERE email_domain IS NULL ORDER BY id LIMIT ${BATCH_SIZE})`.execute(
      db,
    );
    if (Number(result.numAffectedRows ?? 0n) < BATCH_SIZE) break;
  }
}

// The reverse: the backfilled values are derived from email, so dropping the
// column loses nothing that up() cannot rebuild.
export async function down(db: Kysely<unknown>): Promise<void> {
  // chamahub-lint applies to up() only; dropping here undoes this migration's own column.
  await sql`ALTER TABLE users DROP COLUMN email_domain`.execute(db);
}
