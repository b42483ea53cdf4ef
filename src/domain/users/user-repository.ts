import { sql } from 'kysely';
import type { Executor } from '../../db/transaction.js';
import type { UserPreferences } from '../../db/schema.js';

export interface NewUser {
  readonly email: string;
  readonly phone: string | null;
  readonly firstName: string;
  readonly lastName: string;
  readonly passwordHash: string;
}

export async function insertUser(db: Executor, user: NewUser) {
  return db
    .insertInto('users')
    .values({
      email: user.email,
      phone: user.phone,
      first_name: user.firstName,
      last_name: user.lastName,
      password_hash: user.passwordHash,
    })
    .returning(['id', 'email', 'first_name', 'last_name', 'phone', 'created_at'])
    .executeTakeFirstOrThrow();
}

/** Sign-in lookup, served by users_email_lower_key. */
export async function findUserForLogin(db: Executor, email: string) {
  return db
    .selectFrom('users')
    .select(['id', 'password_hash', 'is_active'])
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

/** Finds an active user by email (any case) or by phone, to add to a chama. */
export async function findActiveUserByContact(
  db: Executor,
  contact: { email?: string | undefined; phone?: string | undefined },
) {
  let query = db
    .selectFrom('users')
    .select(['id', 'first_name', 'last_name'])
    .where('is_active', '=', true);
  if (contact.email !== undefined) {
    query = query.where(sql<string>`lower(email)`, '=', contact.email.toLowerCase());
  } else {
    query = query.where('phone', '=', contact.phone ?? '');
  }
  return query.executeTakeFirst();
}

export async function getPreferences(db: Executor, userId: bigint): Promise<UserPreferences> {
  const row = await db
    .selectFrom('users')
    .select('preferences')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.preferences;
}

/**
 * Deep-merges `patch` into the stored preferences in one statement, so two
 * concurrent PATCHes of different keys both survive.
 */
export async function mergePreferences(
  db: Executor,
  userId: bigint,
  patch: Partial<Omit<UserPreferences, 'notifications'>> & {
    notifications?: Partial<UserPreferences['notifications']>;
  },
): Promise<UserPreferences> {
  const { notifications, ...topLevel } = patch;
  const row = await db
    .updateTable('users')
    .set({
      preferences: sql`preferences || ${JSON.stringify(topLevel)}::jsonb
        || jsonb_build_object('notifications',
             coalesce(preferences -> 'notifications', '{}'::jsonb) || ${JSON.stringify(notifications ?? {})}::jsonb)`,
    })
    .where('id', '=', userId)
    .returning('preferences')
    .executeTakeFirstOrThrow();
  return row.preferences;
}

export type NotificationChannel = 'sms' | 'email' | 'push';

/**
 * Users who asked to be told by this channel, for an operator's reminder run:
 * WHERE preferences @> '{"notifications": {"sms": true}}', served by
 * users_preferences_gin.
 */
export async function usersWantingNotification(
  db: Executor,
  channel: NotificationChannel,
  limit: number,
) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'phone', 'first_name'])
    .where('is_active', '=', true)
    .where(
      'preferences',
      '@>',
      sql<UserPreferences>`${JSON.stringify({ notifications: { [channel]: true } })}::jsonb`,
    )
    .orderBy('id')
    .limit(limit)
    .execute();
}
