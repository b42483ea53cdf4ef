import type { Kysely } from 'kysely';
import type { DB, UserPreferences } from '../../db/schema.js';
import { getPreferences, mergePreferences } from './user-repository.js';

export type PreferencesPatch = Partial<Omit<UserPreferences, 'notifications'>> & {
  notifications?: Partial<UserPreferences['notifications']>;
};

export class UserService {
  constructor(private readonly db: Kysely<DB>) {}

  preferences(userId: bigint): Promise<UserPreferences> {
    return getPreferences(this.db, userId);
  }

  /** Merges nested keys: {"notifications": {"sms": true}} leaves notifications.email as it was. */
  updatePreferences(userId: bigint, patch: PreferencesPatch): Promise<UserPreferences> {
    return mergePreferences(this.db, userId, patch);
  }
}
