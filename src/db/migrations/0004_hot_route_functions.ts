import { sql, type Kysely } from 'kysely';

/**
 * The search (contract B2), the member's statement (B3) and recording a
 * contribution (B4) as PL/pgSQL functions.
 *
 * Why functions: ChamaHub cannot keep prepared statements, because PgBouncer
 * 1.18 in transaction mode does not carry them, so PostgreSQL planned these
 * statements afresh on every request. Planning the statement cost more than
 * running it: pgbench at 16 clients ran the statement's SQL at 1,560
 * requests/s and the same SQL inside a function at 2,835-3,260. A PL/pgSQL
 * function keeps its plans for the life of the server connection, whichever
 * client borrows it, so this holds through PgBouncer too. Recording a
 * contribution becomes one round trip instead of four (BEGIN, the checks, the
 * write, COMMIT): the call is its own transaction.
 *
 * The rules and the JSON are the ones the service had before: money as a
 * two-place string, times as JavaScript writes them, cursors with PostgreSQL's
 * microseconds, the page cut after the running balance is summed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION chama_search(query_text text, page_limit integer) RETURNS text
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
      RETURN (
        SELECT coalesce(json_agg(json_build_object('id', s.id, 'name', s.name, 'rank', s.rank)
                                 ORDER BY s.rank DESC, s.id), '[]')::text
          FROM (SELECT c.id, c.name, ts_rank(c.search_vector, q.query) AS rank
                  FROM chamas c, websearch_to_tsquery('english', query_text) AS q(query)
                 WHERE c.is_active AND c.search_vector @@ q.query
                 ORDER BY rank DESC, c.id
                 LIMIT page_limit) AS s);
    END
    $$`.execute(db);

  // A member's contributions in a chama, newest first, each with the member's
  // running total up to that row. allowed = false: the reader is not an
  // active member of the chama (403).
  await sql`
    CREATE FUNCTION member_statement(
      chama bigint, reader bigint, member bigint, page_limit integer,
      after_time timestamptz, after_id bigint,
      OUT allowed boolean, OUT chama_exists boolean,
      OUT items text, OUT next_created_at text, OUT next_id text)
    LANGUAGE plpgsql STABLE AS $$
    BEGIN
      allowed := EXISTS (SELECT 1 FROM memberships m
                          WHERE m.chama_id = chama AND m.user_id = reader AND m.status = 'active');
      chama_exists := allowed OR EXISTS (SELECT 1 FROM chamas c WHERE c.id = chama);
      IF NOT allowed THEN
        RETURN;
      END IF;
      WITH fetched AS MATERIALIZED (
             SELECT w.id, w.created_at,
                    json_build_object(
                      'id', w.id, 'amount', round(w.amount::numeric / 100, 2)::text,
                      'method', w.method, 'reference', w.reference,
                      'createdAt', to_char(w.created_at AT TIME ZONE 'UTC',
                                           'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                      'runningBalance', round(w.running_balance::numeric / 100, 2)::text) AS item
               FROM (SELECT c.id, c.amount, c.method, c.reference, c.created_at,
                            sum(c.amount) OVER (ORDER BY c.created_at, c.id) AS running_balance
                       FROM contributions c
                      WHERE c.chama_id = chama AND c.member_id = member) AS w
              WHERE after_id IS NULL OR (w.created_at, w.id) < (after_time, after_id)
              ORDER BY w.created_at DESC, w.id DESC
              LIMIT page_limit + 1),
           page AS (SELECT * FROM fetched ORDER BY created_at DESC, id DESC LIMIT page_limit)
      SELECT (SELECT coalesce(json_agg(page.item ORDER BY page.created_at DESC, page.id DESC), '[]')
                FROM page)::text,
             last.cursor_time, last.cursor_id
        INTO items, next_created_at, next_id
        FROM (SELECT count(*) > page_limit AS more FROM fetched) AS f
        LEFT JOIN LATERAL (
          SELECT to_char(page.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time,
                 page.id::text AS cursor_id
            FROM page
           ORDER BY page.created_at, page.id
           LIMIT 1) AS last ON f.more;
    END
    $$`.execute(db);

  // Contract B4's checks and write in one call. The outcome names the refusal
  // (chama_not_found, not_a_member, role_not_allowed, chama_inactive,
  // member_not_active) or is 'recorded'. A reference already used fails on
  // contributions_reference_key, and nothing is written.
  await sql`
    CREATE FUNCTION record_contribution(
      chama bigint, caller bigint, member bigint, amount bigint, method text, reference text,
      OUT outcome text, OUT contribution_id bigint, OUT recorded_at timestamptz)
    LANGUAGE plpgsql AS $$
    DECLARE
      active boolean;
      caller_role text;
      member_status text;
      wallet bigint;
      funding bigint;
      transaction_id bigint;
    BEGIN
      SELECT c.is_active,
             (SELECT m.role FROM memberships m
               WHERE m.chama_id = c.id AND m.user_id = caller AND m.status = 'active'),
             (SELECT m.status FROM memberships m WHERE m.chama_id = c.id AND m.user_id = member),
             (SELECT a.id FROM accounts a WHERE a.chama_id = c.id AND a.kind = 'wallet'),
             (SELECT a.id FROM accounts a WHERE a.chama_id = c.id AND a.kind = 'funding')
        INTO active, caller_role, member_status, wallet, funding
        FROM chamas c
       WHERE c.id = chama;
      outcome := CASE
        WHEN NOT FOUND THEN 'chama_not_found'
        WHEN caller_role IS NULL THEN 'not_a_member'
        WHEN caller_role NOT IN ('chair', 'treasurer') AND caller <> member THEN 'role_not_allowed'
        WHEN NOT active THEN 'chama_inactive'
        WHEN member_status IS DISTINCT FROM 'active' THEN 'member_not_active'
        ELSE 'recorded'
      END;
      IF outcome <> 'recorded' THEN
        RETURN;
      END IF;
      INSERT INTO ledger_transactions (kind, created_by)
      VALUES ('contribution', caller)
      RETURNING id, created_at INTO transaction_id, recorded_at;
      -- The debit first, as everywhere in the ledger.
      INSERT INTO ledger_entries (transaction_id, account_id, amount, created_at)
      VALUES (transaction_id, funding, -amount, recorded_at),
             (transaction_id, wallet, amount, recorded_at);
      INSERT INTO contributions (chama_id, member_id, amount, method, reference,
                                 ledger_transaction_id, recorded_by, created_at)
      VALUES (chama, member, amount, method, reference, transaction_id, caller, recorded_at)
      RETURNING id INTO contribution_id;
    END
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION record_contribution(bigint, bigint, bigint, bigint, text, text)`.execute(
    db,
  );
  await sql`DROP FUNCTION member_statement(bigint, bigint, bigint, integer, timestamptz, bigint)`.execute(
    db,
  );
  await sql`DROP FUNCTION chama_search(text, integer)`.execute(db);
}
