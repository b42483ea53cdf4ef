import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import { forbidden, invalid, notFound } from '../errors.js';
import { openAccounts } from '../ledger/account-repository.js';
import { requireMember } from '../members/membership-access.js';
import { clientPage, decodeCursor } from '../pagination.js';
import {
  chamasOfUser,
  deactivateChama,
  findChamaDetail,
  insertChama,
  listActiveChamas,
  nearbyChamas,
  searchChamas,
  updateChama,
  type ChamaChanges,
  type GeoPoint,
} from './chama-repository.js';

export interface NewChamaInput {
  readonly name: string;
  readonly description?: string | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly currency?: string | undefined;
  readonly meetingLocation?: GeoPoint | undefined;
}

export class ChamaService {
  constructor(private readonly db: Kysely<DB>) {}

  /** Creates a chama: its creator becomes chair and first member, and its wallet opens. */
  async create(creatorId: bigint, input: NewChamaInput): Promise<bigint> {
    return inTransaction(this.db, async (trx) => {
      const currency = input.currency ?? 'KES';
      const { id } = await insertChama(trx, {
        name: input.name,
        description: input.description ?? '',
        tags: normaliseTags(input.tags ?? []),
        chairId: creatorId,
        currency,
        meetingLocation: input.meetingLocation ?? null,
      });
      await trx
        .insertInto('memberships')
        .values({ chama_id: id, user_id: creatorId, role: 'chair' })
        .execute();
      await openAccounts(trx, { chamaId: id }, currency);
      return id;
    });
  }

  async list(options: { limit: number; cursor?: string | undefined; tag?: string | undefined }) {
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const page = await listActiveChamas(this.db, { limit: options.limit, after, tag: options.tag });
    return clientPage(page);
  }

  search(text: string, limit: number) {
    if (text.trim() === '') throw invalid('empty_query', 'Give some words to search for');
    return searchChamas(this.db, text, limit);
  }

  nearby(origin: GeoPoint, limit: number) {
    return nearbyChamas(this.db, origin, limit);
  }

  /** A chama with its members; for its active members only. */
  async detail(chamaId: bigint, readerId: bigint) {
    const chama = await findChamaDetail(this.db, chamaId, readerId);
    if (!chama) throw notFound('chama_not_found', `There is no chama ${chamaId}`);
    if (!chama.reader_role) {
      throw forbidden('not_a_member', 'Only active members of this chama may do this');
    }
    return chama;
  }

  mine(userId: bigint) {
    return chamasOfUser(this.db, userId);
  }

  async update(chamaId: bigint, callerId: bigint, changes: ChamaChanges): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await requireMember(trx, chamaId, callerId, ['chair']);
      await updateChama(trx, chamaId, {
        ...changes,
        tags: changes.tags === undefined ? undefined : normaliseTags(changes.tags),
      });
    });
  }

  async deactivate(chamaId: bigint, callerId: bigint): Promise<void> {
    await inTransaction(this.db, async (trx) => {
      await requireMember(trx, chamaId, callerId, ['chair']);
      await deactivateChama(trx, chamaId);
    });
  }
}

/** Tags are lower-case and listed once. */
function normaliseTags(tags: readonly string[]): string[] {
  return [...new Set(tags.map((tag) => tag.trim().toLowerCase()))];
}
