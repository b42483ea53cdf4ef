/**
 * `chamahub db doctor`: every check against the connected database, with a
 * severity, the evidence and the fix. Critical findings fail the command.
 */
import type { Engine } from '../../db/database.js';
import type { AnyKysely } from '../../db/schema.js';
import { checkChamaHub } from './chamahub-checks.js';
import type { CheckOutcome, Finding, Skipped } from './finding.js';
import { checkHealth } from './health-checks.js';
import { checkIndexes } from './index-checks.js';
import { checkSecurity } from './security-checks.js';
import { checkSettings, type SettingsContext } from './settings-checks.js';

export interface DoctorContext extends SettingsContext {
  readonly engine: Engine;
  readonly shippedMigrations: readonly string[];
}

export interface DoctorReport {
  readonly findings: readonly Finding[];
  readonly skipped: readonly Skipped[];
  readonly critical: number;
  readonly warnings: number;
}

const EMBEDDED_SKIPS: Skipped[] = [
  {
    area: 'settings',
    check: 'server settings',
    reason: 'the embedded database runs inside ChamaHub’s process and sizes its own memory',
  },
  {
    area: 'security',
    check: 'ssl, passwords, pg_hba, roles',
    reason: 'the embedded database takes no network connections and has no roles to misuse',
  },
];

export async function runDoctor(db: AnyKysely, context: DoctorContext): Promise<DoctorReport> {
  const outcomes: CheckOutcome[] = [];
  if (context.engine === 'postgres') {
    outcomes.push(await checkSettings(db, context));
    outcomes.push(await checkSecurity(db));
  } else {
    outcomes.push({ findings: [], skipped: EMBEDDED_SKIPS });
  }
  outcomes.push(await checkIndexes(db));
  outcomes.push(await checkHealth(db, context.engine));
  outcomes.push(await checkChamaHub(db, context.shippedMigrations));
  const findings = outcomes.flatMap((entry) => entry.findings);
  return {
    findings,
    skipped: outcomes.flatMap((entry) => entry.skipped),
    critical: findings.filter((finding) => finding.severity === 'critical').length,
    warnings: findings.filter((finding) => finding.severity === 'warn').length,
  };
}
