// Example of a non-transactional migration: PostgreSQL refuses to run
// CREATE INDEX CONCURRENTLY inside a transaction, and CONCURRENTLY is what
// keeps the table writable while a large index builds.
import { sql, type Kysely } from 'kysely';

export const transactional = false;
export const lockTimeout = '5s';

// "Members by email provider" reports: WHERE email_domain = $1.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_domain_idx ON users (email_domain)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX CONCURRENTLY IF EXISTS users_email_domain_idx`.execute(db);
}
