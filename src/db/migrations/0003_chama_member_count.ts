import { sql, type Kysely } from 'kysely';

// Backfilling locks every chama row for a moment; give up rather than stall requests.
export const lockTimeout = '5s';

/**
 * Each chama keeps its number of active members, maintained by a trigger on
 * memberships. The chama list (contract B1) shows it for every row, and
 * counting memberships per chama on every request was half of that
 * statement's cost.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE chamas ADD COLUMN member_count integer NOT NULL DEFAULT 0
      CONSTRAINT chamas_member_count_not_negative CHECK (member_count >= 0)`.execute(db);
  await sql`
    UPDATE chamas c
       SET member_count = (SELECT count(*) FROM memberships m
                            WHERE m.chama_id = c.id AND m.status = 'active')`.execute(db);
  await sql`
    CREATE FUNCTION memberships_count_members() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.chama_id = NEW.chama_id THEN
        RETURN NULL;
      END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
        UPDATE chamas SET member_count = member_count - 1 WHERE id = OLD.chama_id;
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'active' THEN
        UPDATE chamas SET member_count = member_count + 1 WHERE id = NEW.chama_id;
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER memberships_count_members
    AFTER INSERT OR DELETE OR UPDATE OF status, chama_id ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_count_members()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER memberships_count_members ON memberships`.execute(db);
  await sql`DROP FUNCTION memberships_count_members()`.execute(db);
  await sql`ALTER TABLE chamas DROP COLUMN member_count`.execute(db);
}
