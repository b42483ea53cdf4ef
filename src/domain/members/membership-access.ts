import type { MembershipRole } from '../../db/schema.js';
import type { Executor } from '../../db/transaction.js';
import { forbidden, notFound } from '../errors.js';

export interface Access {
  readonly chamaActive: boolean;
  readonly role: MembershipRole;
}

/**
 * Object-level authorization for every chama-scoped call: the caller must be
 * an active member, and, when `roles` is given, hold one of them. A missing
 * chama is 404; anyone else gets the same 403 on every route.
 */
export async function requireMember(
  db: Executor,
  chamaId: bigint,
  userId: bigint,
  roles?: readonly MembershipRole[],
): Promise<Access> {
  const row = await db
    .selectFrom('chamas as c')
    .leftJoin('memberships as m', (join) =>
      join
        .onRef('m.chama_id', '=', 'c.id')
        .on('m.user_id', '=', userId)
        .on('m.status', '=', 'active'),
    )
    .select(['c.is_active', 'm.role'])
    .where('c.id', '=', chamaId)
    .executeTakeFirst();
  if (!row) throw notFound('chama_not_found', `There is no chama ${chamaId}`);
  if (!row.role) throw notAMember();
  if (roles && !roles.includes(row.role)) {
    throw forbidden('role_not_allowed', `Only the ${roles.join(' or ')} may do this`);
  }
  return { chamaActive: row.is_active, role: row.role };
}

export const notAMember = () =>
  forbidden('not_a_member', 'Only active members of this chama may do this');
