export type Severity = 'ok' | 'warn' | 'critical';
export type Area = 'settings' | 'security' | 'indexes' | 'health' | 'chamahub';

/** One thing the doctor looked at: how bad, what it saw, and how to fix it. */
export interface Finding {
  readonly area: Area;
  readonly check: string;
  readonly severity: Severity;
  readonly evidence: string;
  readonly fix?: string;
}

/** A check that could not run here, and why (embedded engine, missing privilege). */
export interface Skipped {
  readonly area: Area;
  readonly check: string;
  readonly reason: string;
}

export interface CheckOutcome {
  readonly findings: Finding[];
  readonly skipped: Skipped[];
}

export const outcome = (findings: Finding[] = [], skipped: Skipped[] = []): CheckOutcome => ({
  findings,
  skipped,
});
