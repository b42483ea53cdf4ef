import type { Kysely } from 'kysely';
import type { Config } from '../config/config.js';
import type { DB } from '../db/schema.js';
import { AuthService } from '../domain/auth/auth-service.js';
import { ChamaService } from '../domain/chamas/chama-service.js';
import { ContributionService } from '../domain/contributions/contribution-service.js';
import { IdempotencyService } from '../domain/idempotency/idempotency-service.js';
import { TransferService } from '../domain/ledger/transfer-service.js';
import { MemberService } from '../domain/members/member-service.js';
import { UserService } from '../domain/users/user-service.js';

/** The domain services, wired once per app; each gets only what it uses. */
export interface Services {
  readonly auth: AuthService;
  readonly users: UserService;
  readonly chamas: ChamaService;
  readonly members: MemberService;
  readonly contributions: ContributionService;
  readonly transfers: TransferService;
  readonly idempotency: IdempotencyService;
}

export function createServices(db: Kysely<DB>, config: Pick<Config, 'auth'>): Services {
  const idempotency = new IdempotencyService(db);
  return {
    auth: new AuthService(db, config.auth),
    users: new UserService(db),
    chamas: new ChamaService(db),
    members: new MemberService(db),
    contributions: new ContributionService(db, idempotency),
    transfers: new TransferService(db, idempotency),
    idempotency,
  };
}
