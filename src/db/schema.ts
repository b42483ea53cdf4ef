import type { ColumnType, Generated, Kysely } from 'kysely';

/** bigint columns come back as BigInt and accept a number, BigInt or numeric string. */
type Int8 = ColumnType<bigint, bigint | number | string, bigint | number | string>;
type GeneratedInt8 = ColumnType<bigint, bigint | number | string | undefined, never>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface UserPreferences {
  theme: 'light' | 'dark';
  language: 'en' | 'sw';
  notifications: { email: boolean; sms: boolean };
}

export interface UsersTable {
  id: GeneratedInt8;
  email: string;
  phone: string | null;
  first_name: string;
  last_name: string;
  password_hash: string;
  preferences: ColumnType<UserPreferences, string | undefined, string>;
  is_active: Generated<boolean>;
  created_at: CreatedAt;
  last_login_at: Timestamp | null;
}

export interface SessionsTable {
  id: GeneratedInt8;
  user_id: Int8;
  token_hash: Uint8Array;
  created_at: CreatedAt;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}

export type MembershipRole = 'chair' | 'treasurer' | 'secretary' | 'member';
export type MembershipStatus = 'active' | 'suspended' | 'exited';
export type ContributionMethod = 'mpesa' | 'cash' | 'bank';
export type AccountKind = 'wallet' | 'funding';
export type LedgerTransactionKind = 'deposit' | 'contribution' | 'transfer';

export interface ChamasTable {
  id: GeneratedInt8;
  name: string;
  description: Generated<string>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  chair_id: Int8;
  currency: Generated<string>;
  is_active: Generated<boolean>;
  /** PostgreSQL point text, "(longitude,latitude)". */
  meeting_location: string | null;
  created_at: CreatedAt;
  search_vector: ColumnType<string, never, never>;
  /** Active memberships, kept by the memberships_count_members trigger. */
  member_count: ColumnType<number, never, never>;
}

export interface MembershipsTable {
  id: GeneratedInt8;
  chama_id: Int8;
  user_id: Int8;
  role: ColumnType<MembershipRole, MembershipRole | undefined, MembershipRole>;
  status: ColumnType<MembershipStatus, MembershipStatus | undefined, MembershipStatus>;
  joined_at: CreatedAt;
}

export interface AccountsTable {
  id: GeneratedInt8;
  user_id: Int8 | null;
  chama_id: Int8 | null;
  kind: AccountKind;
  currency: Generated<string>;
  /** Maintained by the ledger triggers only. */
  balance: ColumnType<bigint, never, never>;
  created_at: CreatedAt;
}

export interface LedgerTransactionsTable {
  id: GeneratedInt8;
  kind: LedgerTransactionKind;
  idempotency_key: string | null;
  created_by: Int8 | null;
  created_at: CreatedAt;
}

export interface LedgerEntriesTable {
  id: GeneratedInt8;
  transaction_id: Int8;
  account_id: Int8;
  amount: Int8;
  created_at: CreatedAt;
}

export interface ContributionsTable {
  id: GeneratedInt8;
  chama_id: Int8;
  member_id: Int8;
  amount: Int8;
  method: ContributionMethod;
  reference: string;
  ledger_transaction_id: Int8;
  recorded_by: Int8 | null;
  created_at: CreatedAt;
}

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  chamas: ChamasTable;
  memberships: MembershipsTable;
  accounts: AccountsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  contributions: ContributionsTable;
  idempotency_keys: IdempotencyKeysTable;
  login_throttles: LoginThrottlesTable;
}

/**
 * A Kysely instance of any schema, for schema-agnostic code (the migrator,
 * catalog snapshots) that also accepts the typed `Kysely<DB>`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKysely = Kysely<any>;

export type StoredOutcome =
  { ok: unknown } | { error: { kind: string; code: string; message: string } };

export interface IdempotencyKeysTable {
  user_id: Int8;
  key: string;
  request_fingerprint: string;
  outcome: ColumnType<StoredOutcome, string, string>;
  created_at: CreatedAt;
}

export interface LoginThrottlesTable {
  scope: 'account' | 'address';
  key: string;
  failures: number;
  window_started_at: Timestamp;
}
