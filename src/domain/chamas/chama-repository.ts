import { sql } from 'kysely';
import type { Executor } from '../../db/transaction.js';
import { renderPage, type RenderedPage } from '../../db/rendered-page.js';
import type { KeysetPosition } from '../pagination.js';

export interface GeoPoint {
  readonly lat: number;
  readonly lng: number;
}

/** point(x, y) is (longitude, latitude). */
const toPoint = (location: GeoPoint) => sql<string>`point(${location.lng}, ${location.lat})`;

export interface NewChama {
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly chairId: bigint;
  readonly currency: string;
  readonly meetingLocation: GeoPoint | null;
}

export async function insertChama(db: Executor, chama: NewChama) {
  return db
    .insertInto('chamas')
    .values({
      name: chama.name,
      description: chama.description,
      tags: [...chama.tags],
      chair_id: chama.chairId,
      currency: chama.currency,
      meeting_location: chama.meetingLocation ? toPoint(chama.meetingLocation) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

/**
 * Contract B1: active chamas, newest first, keyset-paginated, with member
 * count and chair in the same statement whatever the page size, rendered as
 * JSON by PostgreSQL. Served by chamas_active_newest_idx, or chamas_tags_gin
 * with a tag.
 */
export async function listActiveChamas(
  db: Executor,
  options: { limit: number; after?: KeysetPosition | undefined; tag?: string | undefined },
) {
  const tagFilter =
    options.tag === undefined ? sql`` : sql`AND c.tags @> ARRAY[${options.tag}]::text[]`;
  const afterFilter = options.after
    ? sql`AND (c.created_at, c.id) < (${options.after.createdAt}::timestamptz, ${options.after.id})`
    : sql``;
  const rows = sql`
    SELECT c.id, c.created_at,
           json_build_object(
             'id', c.id, 'name', c.name, 'tags', c.tags,
             'memberCount', c.member_count,
             'chair', json_build_object('id', u.id, 'name', u.first_name || ' ' || u.last_name)
           ) AS item
      FROM chamas c
      JOIN users u ON u.id = c.chair_id
     WHERE c.is_active ${tagFilter} ${afterFilter}
     ORDER BY c.created_at DESC, c.id DESC
     LIMIT ${options.limit + 1}`;
  const result = await renderPage(rows, options.limit).execute(db);
  return result.rows[0] as RenderedPage;
}

/**
 * Contract B2: web-search syntax over name (weight A) and description
 * (weight B), best match first, rendered as a JSON array by PostgreSQL.
 * The statement lives in the function chama_search (migration 0004), whose
 * plan PostgreSQL keeps per connection. Served by chamas_search_vector_gin.
 */
export async function searchChamas(db: Executor, text: string, limit: number) {
  const result = await sql<{ items: string }>`
    SELECT chama_search(${text}, ${limit}) AS items`.execute(db);
  return (result.rows[0] as { items: string }).items;
}

/** Nearest active chamas to a point, nearest first. Served by chamas_meeting_location_gist. */
export async function nearbyChamas(db: Executor, origin: GeoPoint, limit: number) {
  const result = await sql<{ id: bigint; name: string; lng: number; lat: number }>`
    SELECT c.id, c.name, c.meeting_location[0] AS lng, c.meeting_location[1] AS lat
      FROM chamas c
     WHERE c.is_active AND c.meeting_location IS NOT NULL
     ORDER BY c.meeting_location <-> ${toPoint(origin)}
     LIMIT ${limit}`.execute(db);
  return result.rows;
}

export interface MemberSummary {
  userId: number;
  firstName: string;
  lastName: string;
  role: string;
  status: string;
  joinedAt: string;
}

/**
 * A chama with all its members and wallet, plus the reader's own role, in one
 * statement: no query per member.
 */
export async function findChamaDetail(db: Executor, chamaId: bigint, readerId: bigint) {
  const result = await sql<{
    id: bigint;
    name: string;
    description: string;
    tags: string[];
    currency: string;
    is_active: boolean;
    created_at: Date;
    lng: number | null;
    lat: number | null;
    chair_id: bigint;
    wallet_account_id: bigint | null;
    wallet_balance: bigint | null;
    reader_role: string | null;
    members: MemberSummary[];
  }>`
    SELECT c.id, c.name, c.description, c.tags, c.currency, c.is_active, c.created_at,
           c.meeting_location[0] AS lng, c.meeting_location[1] AS lat, c.chair_id,
           w.id AS wallet_account_id, w.balance AS wallet_balance,
           (SELECT r.role FROM memberships r
             WHERE r.chama_id = c.id AND r.user_id = ${readerId} AND r.status = 'active') AS reader_role,
           coalesce((
             SELECT json_agg(json_build_object(
                      'userId', u.id, 'firstName', u.first_name, 'lastName', u.last_name,
                      'role', m.role, 'status', m.status, 'joinedAt', m.joined_at)
                    ORDER BY m.joined_at, u.id)
               FROM memberships m JOIN users u ON u.id = m.user_id
              WHERE m.chama_id = c.id), '[]'::json) AS members
      FROM chamas c
      LEFT JOIN accounts w ON w.chama_id = c.id AND w.kind = 'wallet'
     WHERE c.id = ${chamaId}`.execute(db);
  return result.rows[0];
}

/** The chamas a user belongs to (any status), newest membership first. Served by memberships_user_id_idx. */
export async function chamasOfUser(db: Executor, userId: bigint) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('chamas as c', 'c.id', 'm.chama_id')
    .select(['c.id', 'c.name', 'c.is_active', 'm.role', 'm.status', 'm.joined_at'])
    .where('m.user_id', '=', userId)
    .orderBy('m.joined_at', 'desc')
    .orderBy('c.id', 'desc')
    .execute();
}

export interface ChamaChanges {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly meetingLocation?: GeoPoint | null | undefined;
}

export async function updateChama(db: Executor, chamaId: bigint, changes: ChamaChanges) {
  await db
    .updateTable('chamas')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.tags !== undefined ? { tags: [...changes.tags] } : {}),
      ...(changes.meetingLocation !== undefined
        ? { meeting_location: changes.meetingLocation ? toPoint(changes.meetingLocation) : null }
        : {}),
    })
    .where('id', '=', chamaId)
    .execute();
}

export async function deactivateChama(db: Executor, chamaId: bigint) {
  await db.updateTable('chamas').set({ is_active: false }).where('id', '=', chamaId).execute();
}
