/**
 * Two roles instead of one all-powerful user: an owner that runs migrations
 * and owns the schema, and an application role that can only read and write
 * rows. Ledger rows are append-only for the application.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { AnyKysely } from '../../db/schema.js';

export interface RoleNames {
  readonly owner: string;
  readonly app: string;
}

export interface CreatedRoles extends RoleNames {
  readonly ownerPassword: string;
  readonly appPassword: string;
  /** The objects whose owner changed to the owner role. */
  readonly objectsReassigned: number;
}

/** Rows the application may add but never change or remove. */
const APPEND_ONLY = ['ledger_entries', 'ledger_transactions'];
const READ_ONLY = ['chamahub_schema_migrations'];

export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

export async function setupRoles(db: AnyKysely, names: RoleNames): Promise<CreatedRoles> {
  const ownerPassword = newPassword();
  const appPassword = newPassword();
  const owner = sql.id(names.owner);
  const app = sql.id(names.app);
  const objectsReassigned = await db.transaction().execute(async (tx) => {
    await ensureRole(tx, names.owner, ownerPassword);
    await ensureRole(tx, names.app, appPassword);
    const database = sql.id(await currentDatabase(tx));
    await sql`ALTER DATABASE ${database} OWNER TO ${owner}`.execute(tx);
    await sql`ALTER SCHEMA public OWNER TO ${owner}`.execute(tx);
    const reassigned = await reassignSchemaObjects(tx, names.owner);

    await sql`REVOKE ALL ON DATABASE ${database} FROM PUBLIC`.execute(tx);
    await sql`GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${app}`.execute(tx);
    await sql`REVOKE CREATE ON SCHEMA public FROM PUBLIC`.execute(tx);
    await sql`GRANT USAGE ON SCHEMA public TO ${app}`.execute(tx);
    await sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`.execute(
      tx,
    );
    await sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`.execute(tx);
    for (const table of APPEND_ONLY) {
      await sql`REVOKE UPDATE, DELETE ON ${sql.table(table)} FROM ${app}`.execute(tx);
    }
    for (const table of READ_ONLY) {
      await sql`REVOKE INSERT, UPDATE, DELETE ON ${sql.table(table)} FROM ${app}`.execute(tx);
    }
    // Tables later migrations create (run as the owner) are usable by the app too.
    await sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public
              GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`.execute(tx);
    await sql`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public
              GRANT USAGE, SELECT ON SEQUENCES TO ${app}`.execute(tx);
    // Set on the role, not per connection, so they hold through PgBouncer too.
    await sql`ALTER ROLE ${app} SET statement_timeout = '30s'`.execute(tx);
    await sql`ALTER ROLE ${app} SET idle_in_transaction_session_timeout = '60s'`.execute(tx);
    return reassigned;
  });
  return { ...names, ownerPassword, appPassword, objectsReassigned };
}

async function ensureRole(tx: Transaction<unknown>, name: string, password: string): Promise<void> {
  const exists = await sql<{
    n: number;
  }>`SELECT 1 AS n FROM pg_roles WHERE rolname = ${name}`.execute(tx);
  const verb = exists.rows.length > 0 ? sql`ALTER ROLE` : sql`CREATE ROLE`;
  // Role passwords cannot be bound parameters; the value is ours (base64url), so a literal is safe.
  await sql`${verb} ${sql.id(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${sql.lit(password)}`.execute(
    tx,
  );
}

async function currentDatabase(tx: Transaction<unknown>): Promise<string> {
  const result = await sql<{ name: string }>`SELECT current_database() AS name`.execute(tx);
  return result.rows[0]?.name ?? '';
}

async function reassignSchemaObjects(tx: Transaction<unknown>, owner: string): Promise<number> {
  const relations = await sql<{ name: string; kind: string }>`
    SELECT c.relname AS name, c.relkind AS kind
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.objid = c.oid AND d.deptype IN ('a', 'i') AND c.relkind = 'S')`.execute(
    tx,
  );
  for (const relation of relations.rows) {
    const keyword =
      relation.kind === 'S'
        ? sql`SEQUENCE`
        : relation.kind === 'v'
          ? sql`VIEW`
          : relation.kind === 'm'
            ? sql`MATERIALIZED VIEW`
            : sql`TABLE`;
    await sql`ALTER ${keyword} ${sql.table(relation.name)} OWNER TO ${sql.id(owner)}`.execute(tx);
  }
  const functions = await sql<{ signature: string }>`
    SELECT p.oid::regprocedure::text AS signature
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public'`.execute(tx);
  for (const fn of functions.rows) {
    await sql`ALTER FUNCTION ${sql.raw(fn.signature)} OWNER TO ${sql.id(owner)}`.execute(tx);
  }
  return relations.rows.length + functions.rows.length;
}
