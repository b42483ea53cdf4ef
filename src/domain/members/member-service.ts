import { sql, type Kysely } from 'kysely';
import type { DB, MembershipRole } from '../../db/schema.js';
import { inTransaction, type Executor } from '../../db/transaction.js';
import { conflict, notFound, unprocessable } from '../errors.js';
import { findActiveUserByContact } from '../users/user-repository.js';
import { requireMember } from './membership-access.js';

export type AssignableRole = Exclude<MembershipRole, 'chair'>;

export class MemberService {
  constructor(private readonly db: Kysely<DB>) {}

  /** Adds an existing user, found by email or phone. Chair or secretary only. */
  async add(
    chamaId: bigint,
    callerId: bigint,
    contact: { email?: string | undefined; phone?: string | undefined },
    role: AssignableRole = 'member',
  ) {
    return inTransaction(this.db, async (trx) => {
      const access = await requireMember(trx, chamaId, callerId, ['chair', 'secretary']);
      if (!access.chamaActive) throw inactiveChama();
      const user = await findActiveUserByContact(trx, contact);
      if (!user)
        throw notFound('user_not_found', 'No active ChamaHub user has that email or phone');
      // A member who left may be welcomed back: their history stays attached.
      const row = await trx
        .insertInto('memberships')
        .values({ chama_id: chamaId, user_id: user.id, role })
        .onConflict((oc) =>
          oc
            .columns(['chama_id', 'user_id'])
            .doUpdateSet({ status: 'active', role })
            .where('memberships.status', '=', 'exited'),
        )
        .returning(['user_id', 'role', 'status', 'joined_at'])
        .executeTakeFirst();
      if (!row) throw conflict('already_a_member', 'That user is already a member of this chama');
      return { ...row, first_name: user.first_name, last_name: user.last_name };
    });
  }

  /**
   * Changes a member's role. Chair only. Making someone chair hands the chair
   * over: the current chair becomes a member, in the same transaction.
   */
  async changeRole(chamaId: bigint, callerId: bigint, userId: bigint, role: MembershipRole) {
    await inTransaction(this.db, async (trx) => {
      await requireMember(trx, chamaId, callerId, ['chair']);
      const target = await activeMembership(trx, chamaId, userId);
      if (target.role === 'chair') {
        throw unprocessable('chair_must_hand_over', 'Hand the chair to another member instead');
      }
      if (role === 'chair') {
        await trx
          .updateTable('memberships')
          .set({ role: 'member' })
          .where('chama_id', '=', chamaId)
          .where('role', '=', 'chair')
          .execute();
        await trx
          .updateTable('chamas')
          .set({ chair_id: userId })
          .where('id', '=', chamaId)
          .execute();
      }
      await trx
        .updateTable('memberships')
        .set({ role })
        .where('chama_id', '=', chamaId)
        .where('user_id', '=', userId)
        .execute();
    });
  }

  /** Suspends, reinstates or removes a member. Chair only; the chair cannot be removed. */
  async changeStatus(
    chamaId: bigint,
    callerId: bigint,
    userId: bigint,
    status: 'active' | 'suspended' | 'exited',
  ) {
    await inTransaction(this.db, async (trx) => {
      await requireMember(trx, chamaId, callerId, ['chair']);
      const current = await trx
        .selectFrom('memberships')
        .select(['role', 'status'])
        .where('chama_id', '=', chamaId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!current || current.status === 'exited') {
        throw notFound('member_not_found', 'That user is not a member of this chama');
      }
      if (current.role === 'chair') {
        throw unprocessable('chair_must_hand_over', 'Hand the chair to another member first');
      }
      await trx
        .updateTable('memberships')
        .set({ status, ...(status === 'exited' ? { role: 'member' as const } : {}) })
        .where('chama_id', '=', chamaId)
        .where('user_id', '=', userId)
        .execute();
    });
  }

  /** Every member with their total contributions, in one statement. Members only. */
  async list(chamaId: bigint, callerId: bigint) {
    await requireMember(this.db, chamaId, callerId);
    return this.db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select([
        'u.id as user_id',
        'u.first_name',
        'u.last_name',
        'm.role',
        'm.status',
        'm.joined_at',
        sql<bigint>`(SELECT coalesce(sum(c.amount), 0)::bigint FROM contributions c
                      WHERE c.chama_id = m.chama_id AND c.member_id = m.user_id)`.as('total'),
      ])
      .where('m.chama_id', '=', chamaId)
      .orderBy('m.joined_at')
      .orderBy('u.id')
      .execute();
  }
}

async function activeMembership(db: Executor, chamaId: bigint, userId: bigint) {
  const row = await db
    .selectFrom('memberships')
    .select(['role'])
    .where('chama_id', '=', chamaId)
    .where('user_id', '=', userId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (!row) throw notFound('member_not_found', 'That user is not an active member of this chama');
  return row;
}

const inactiveChama = () => unprocessable('chama_inactive', 'This chama has been deactivated');
