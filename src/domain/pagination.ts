import { invalid } from './errors.js';

/** Position after the last row of a page ordered by (created_at DESC, id DESC). */
export interface KeysetPosition {
  readonly createdAt: Date;
  readonly id: bigint;
}

/** An opaque cursor: base64url of [ISO time, id]. */
export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(
    JSON.stringify([position.createdAt.toISOString(), position.id.toString()]),
  ).toString('base64url');
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
    !/^[1-9][0-9]{0,18}$/.test(parsed[1])
  ) {
    throw bad();
  }
  const createdAt = new Date(parsed[0]);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== parsed[0]) throw bad();
  return { createdAt, id: BigInt(parsed[1]) };
}

/** Splits the `limit + 1` rows a keyset query fetched into a page and the next cursor. */
export function toPage<T extends { created_at: Date; id: bigint }>(
  rows: readonly T[],
  limit: number,
): { rows: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    rows: page,
    nextCursor:
      rows.length > limit && last
        ? encodeCursor({ createdAt: last.created_at, id: last.id })
        : null,
  };
}
