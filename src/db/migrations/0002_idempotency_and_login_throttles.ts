import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The stored outcome of a money request, replayed when the client retries
  // with the same Idempotency-Key (the Stripe model).
  await sql`
    CREATE TABLE idempotency_keys (
      user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      key text NOT NULL CONSTRAINT idempotency_keys_key_length CHECK (length(key) BETWEEN 1 AND 255),
      -- sha256 of the method, route and body: the same key with another body is refused.
      request_fingerprint text NOT NULL,
      -- {"ok": body} or {"error": {"kind", "code", "message"}}
      outcome jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      -- Every replay looks up WHERE user_id = $1 AND key = $2.
      PRIMARY KEY (user_id, key)
    )`.execute(db);
  // The retention purge: DELETE ... WHERE created_at < now() - retention.
  await sql`CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at)`.execute(
    db,
  );

  // Failed sign-ins per account (lower-cased email) and per client address.
  await sql`
    CREATE TABLE login_throttles (
      scope text NOT NULL CONSTRAINT login_throttles_scope_valid CHECK (scope IN ('account', 'address')),
      key text NOT NULL,
      failures integer NOT NULL CONSTRAINT login_throttles_failures_positive CHECK (failures > 0),
      window_started_at timestamptz NOT NULL DEFAULT now(),
      -- Every sign-in reads WHERE (scope, key) IN (('account', $1), ('address', $2)).
      PRIMARY KEY (scope, key)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE login_throttles`.execute(db);
  await sql`DROP TABLE idempotency_keys`.execute(db);
}
