import type { Kysely } from 'kysely';
import type { Executor } from '../../db/transaction.js';
import type { ContributionMethod, DB } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/sqlstate.js';
import { conflict, forbidden, notFound, unprocessable } from '../errors.js';
import type { IdempotencyService, IdempotentRequest } from '../idempotency/idempotency-service.js';
import { requireMember, notAMember } from '../members/membership-access.js';
import { formatCents, type Cents } from '../money.js';
import { clientPage, decodeCursor } from '../pagination.js';
import {
  chamaStatement,
  memberStatement,
  recordContribution,
  topContributors,
  type RecordingOutcome,
} from './contribution-repository.js';

export interface ContributionInput {
  readonly memberId: bigint;
  readonly amount: Cents;
  readonly method: ContributionMethod;
  readonly reference: string;
}

/** A recorded contribution: JSON-safe, money as a two-place string. */
export interface ContributionReceipt {
  readonly id: number;
  readonly chamaId: number;
  readonly memberId: number;
  readonly amount: string;
  readonly method: ContributionMethod;
  readonly reference: string;
  readonly createdAt: string;
}

export class ContributionService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Contract B4: records a contribution and credits the chama wallet in one
   * transaction. The chair or treasurer may record for any member; a member
   * only for themself. Without an Idempotency-Key the one call is the whole
   * transaction; with one, it runs inside the key's transaction.
   */
  async record(
    chamaId: bigint,
    callerId: bigint,
    input: ContributionInput,
    request: IdempotentRequest | undefined,
  ) {
    const work = async (db: Executor): Promise<ContributionReceipt> => {
      let row;
      try {
        row = await recordContribution(db, { chamaId, recordedBy: callerId, ...input });
      } catch (error) {
        if (isUniqueViolation(error, 'contributions_reference_key')) {
          throw conflict('duplicate_reference', `Reference ${input.reference} is already recorded`);
        }
        throw error;
      }
      if (row.outcome !== 'recorded') throw refusal(row.outcome, chamaId);
      return {
        id: Number(row.contribution_id),
        chamaId: Number(chamaId),
        memberId: Number(input.memberId),
        amount: formatCents(input.amount),
        method: input.method,
        reference: input.reference,
        createdAt: (row.recorded_at as Date).toISOString(),
      };
    };
    if (!request) return { value: await work(this.db), replayed: false };
    return this.idempotency.run(request, work);
  }

  /** Contract B3 (with memberId) or the whole chama's statement (without). */
  async statement(options: {
    chamaId: bigint;
    readerId: bigint;
    memberId?: bigint | undefined;
    limit: number;
    cursor?: string | undefined;
  }) {
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const { memberId } = options;
    const page =
      memberId === undefined
        ? await chamaStatement(this.db, { ...options, after })
        : await memberStatement(this.db, { ...options, memberId, after });
    if (!page.chama_exists) {
      throw notFound('chama_not_found', `There is no chama ${options.chamaId}`);
    }
    if (!page.allowed) throw notAMember();
    return clientPage(page);
  }

  async topContributors(
    chamaId: bigint,
    readerId: bigint,
    period: { from: Date; to: Date },
    limit: number,
  ) {
    await requireMember(this.db, chamaId, readerId);
    return topContributors(this.db, chamaId, period, limit);
  }
}

function refusal(outcome: Exclude<RecordingOutcome, 'recorded'>, chamaId: bigint) {
  switch (outcome) {
    case 'chama_not_found':
      return notFound('chama_not_found', `There is no chama ${chamaId}`);
    case 'not_a_member':
      return notAMember();
    case 'role_not_allowed':
      return forbidden(
        'role_not_allowed',
        'Only the chair or treasurer may record a contribution for another member',
      );
    case 'chama_inactive':
      return unprocessable('chama_inactive', 'This chama has been deactivated');
    case 'member_not_active':
      return unprocessable('member_not_active', 'That user is not an active member of this chama');
  }
}
