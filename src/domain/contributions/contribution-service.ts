import type { Kysely } from 'kysely';
import type { ContributionMethod, DB } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/sqlstate.js';
import { conflict, forbidden, notFound, unprocessable } from '../errors.js';
import type { IdempotencyService, IdempotentRequest } from '../idempotency/idempotency-service.js';
import { requireMember, notAMember } from '../members/membership-access.js';
import { formatCents, type Cents } from '../money.js';
import { clientPage, decodeCursor } from '../pagination.js';
import {
  contributionContext,
  insertContribution,
  statement,
  topContributors,
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

const RECORDERS = new Set(['chair', 'treasurer']);

export class ContributionService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Contract B4: records a contribution and credits the chama wallet in one
   * transaction. The chair or treasurer may record for any member; a member
   * only for themself.
   */
  async record(
    chamaId: bigint,
    callerId: bigint,
    input: ContributionInput,
    request: IdempotentRequest | undefined,
  ) {
    return this.idempotency.run(request, async (trx) => {
      const context = await contributionContext(trx, chamaId, callerId, input.memberId);
      if (!context) throw notFound('chama_not_found', `There is no chama ${chamaId}`);
      if (!context.caller_role) throw notAMember();
      if (!RECORDERS.has(context.caller_role) && callerId !== input.memberId) {
        throw forbidden(
          'role_not_allowed',
          'Only the chair or treasurer may record a contribution for another member',
        );
      }
      if (!context.is_active) {
        throw unprocessable('chama_inactive', 'This chama has been deactivated');
      }
      if (context.member_status !== 'active') {
        throw unprocessable('member_not_active', 'That user is not an active member of this chama');
      }
      let row;
      try {
        row = await insertContribution(trx, {
          chamaId,
          memberId: input.memberId,
          amount: input.amount,
          method: input.method,
          reference: input.reference,
          recordedBy: callerId,
          fundingId: context.funding_id,
          walletId: context.wallet_id,
        });
      } catch (error) {
        if (isUniqueViolation(error, 'contributions_reference_key')) {
          throw conflict('duplicate_reference', `Reference ${input.reference} is already recorded`);
        }
        throw error;
      }
      const receipt: ContributionReceipt = {
        id: Number(row.id),
        chamaId: Number(chamaId),
        memberId: Number(input.memberId),
        amount: formatCents(input.amount),
        method: input.method,
        reference: input.reference,
        createdAt: row.created_at.toISOString(),
      };
      return receipt;
    });
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
    const page = await statement(this.db, { ...options, after });
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
