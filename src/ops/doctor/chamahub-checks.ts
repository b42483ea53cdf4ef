/** ChamaHub's own state: schema current and the books balanced. */
import type { AnyKysely } from '../../db/schema.js';
import { checkReadiness } from '../../db/readiness.js';
import { checkLedgerInvariants } from '../integrity/ledger-invariants.js';
import { outcome, type CheckOutcome, type Finding } from './finding.js';

export async function checkChamaHub(
  db: AnyKysely,
  shippedMigrations: readonly string[],
): Promise<CheckOutcome> {
  const findings: Finding[] = [];
  const readiness = await checkReadiness(db, shippedMigrations);
  findings.push({
    area: 'chamahub',
    check: 'migrations',
    severity: readiness.ready ? 'ok' : 'critical',
    evidence: readiness.ready
      ? `all ${readiness.appliedMigrations} migrations applied`
      : `not applied: ${readiness.pendingMigrations.join(', ') || (readiness.problem ?? '?')}`,
    ...(readiness.ready ? {} : { fix: 'chamahub db migrate' }),
  });
  if (!readiness.databaseReachable) return outcome(findings);
  for (const invariant of await checkLedgerInvariants(db)) {
    findings.push({
      area: 'chamahub',
      check: invariant.rule,
      severity: invariant.violations === 0 ? 'ok' : 'critical',
      evidence:
        invariant.violations === 0
          ? 'holds'
          : `${invariant.violations} violation(s), e.g. id ${invariant.examples.join(', ')}`,
      ...(invariant.violations === 0
        ? {}
        : {
            fix: 'stop writes, find what changed the ledger outside ChamaHub, and restore or correct it with a balancing transaction',
          }),
    });
  }
  return outcome(findings);
}
