import { invalid } from './errors.js';

/** Position after the last row of a page ordered by (created_at DESC, id DESC). */
export interface KeysetPosition {
  /** ISO 8601 in UTC, with PostgreSQL's microseconds when the row has them. */
  readonly createdAt: string;
  readonly id: bigint;
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** An opaque cursor: base64url of [ISO time, id]. */
export function encodeCursor(position: { createdAt: string; id: bigint | string }): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id.toString()])).toString(
    'base64url',
  );
}

/** Decodes a cursor from a client; anything malformed is a 400, never a crash. */
export function decodeCursor(cursor: string): KeysetPosition {
  const bad = () => invalid('invalid_cursor', 'The cursor is not one this API handed out');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[1] !== 'string' ||
    !CURSOR_TIME.test(parsed[0]) ||
    !isRealTime(parsed[0]) ||
    !/^[1-9][0-9]{0,18}$/.test(parsed[1])
  ) {
    throw bad();
  }
  return { createdAt: parsed[0], id: BigInt(parsed[1]) };
}

/** Rejects times JavaScript would roll over, such as 30 February, before PostgreSQL sees them. */
function isRealTime(text: string): boolean {
  const time = new Date(text);
  return !Number.isNaN(time.getTime()) && time.toISOString().slice(0, 19) === text.slice(0, 19);
}

/**
 * What a service hands its route for a page PostgreSQL rendered: the items'
 * JSON and the client's cursor for the next page (null on the last one). A
 * page that was not read (no access) has no fields at all.
 */
export function clientPage(page: {
  items?: string | null;
  next_created_at?: string | null;
  next_id?: string | null;
}): { items: string; nextCursor: string | null } {
  const { next_created_at: createdAt, next_id: id } = page;
  return {
    items: page.items ?? '[]',
    nextCursor: createdAt && id ? encodeCursor({ createdAt, id }) : null,
  };
}
