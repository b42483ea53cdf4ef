/** The guide's security checklist, read off the live server. */
import { sql } from 'kysely';
import type { AnyKysely } from '../../db/schema.js';
import { isInsufficientPrivilege } from '../../db/sqlstate.js';
import { outcome, type CheckOutcome, type Finding, type Skipped } from './finding.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function checkSecurity(db: AnyKysely): Promise<CheckOutcome> {
  const findings: Finding[] = [];
  const skipped: Skipped[] = [];
  const settings = await sql<{ ssl: string; password_encryption: string; listen: string }>`
    SELECT current_setting('ssl') AS ssl,
           current_setting('password_encryption') AS password_encryption,
           current_setting('listen_addresses') AS listen`.execute(db);
  const row = settings.rows[0];
  const listen = row?.listen ?? '';
  const listensBeyondLoopback = listen
    .split(',')
    .map((address) => address.trim())
    .some((address) => address !== '' && !LOOPBACK.has(address));

  findings.push({
    area: 'security',
    check: 'ssl',
    severity: row?.ssl === 'on' ? 'ok' : listensBeyondLoopback ? 'critical' : 'warn',
    evidence: `ssl = ${row?.ssl ?? '?'}, listen_addresses = '${listen}'`,
    ...(row?.ssl === 'on'
      ? {}
      : {
          fix: 'set ssl_cert_file and ssl_key_file, ALTER SYSTEM SET ssl = on; SELECT pg_reload_conf(); then use sslmode=verify-full in DATABASE_URL',
        }),
  });
  const scram = row?.password_encryption === 'scram-sha-256';
  findings.push({
    area: 'security',
    check: 'password_encryption',
    severity: scram ? 'ok' : 'warn',
    evidence: `password_encryption = ${row?.password_encryption ?? '?'}`,
    ...(scram
      ? {}
      : {
          fix: "ALTER SYSTEM SET password_encryption = 'scram-sha-256'; then reset every password",
        }),
  });
  findings.push({
    area: 'security',
    check: 'listen_addresses',
    severity: listen.trim() === '*' ? 'warn' : 'ok',
    evidence: `listen_addresses = '${listen}'`,
    ...(listen.trim() === '*'
      ? {
          fix: "listen only where the app connects from, e.g. listen_addresses = 'localhost,10.0.0.5'",
        }
      : {}),
  });

  try {
    const trust = await sql<{
      line_number: number;
      type: string;
      address: string | null;
      database: string[];
      user_name: string[];
    }>`
      SELECT line_number, type, address, database, user_name FROM pg_hba_file_rules
       WHERE auth_method = 'trust' AND error IS NULL ORDER BY line_number`.execute(db);
    const remote = trust.rows.filter(
      (rule) => rule.type !== 'local' && !LOOPBACK.has(rule.address ?? ''),
    );
    const describe = (rules: typeof trust.rows) =>
      rules
        .map((rule) =>
          `line ${rule.line_number}: ${rule.type} ${rule.database.join(',')} ${rule.user_name.join(',')} ${rule.address ?? ''}`.trim(),
        )
        .join('; ');
    findings.push({
      area: 'security',
      check: 'pg_hba trust',
      severity: remote.length > 0 ? 'critical' : trust.rows.length > 0 ? 'warn' : 'ok',
      evidence:
        trust.rows.length === 0
          ? 'no trust entries in pg_hba.conf'
          : `trust (no password) entries: ${describe(trust.rows)}`,
      ...(trust.rows.length > 0
        ? {
            fix: 'change those entries to scram-sha-256 in pg_hba.conf, then SELECT pg_reload_conf();',
          }
        : {}),
    });
  } catch (error) {
    if (!isInsufficientPrivilege(error)) throw error;
    skipped.push({
      area: 'security',
      check: 'pg_hba trust',
      reason:
        'reading pg_hba_file_rules needs a superuser; run the doctor once with MIGRATION_DATABASE_URL’s role',
    });
  }

  const role = await sql<{ name: string; superuser: boolean; owns: number }>`
    SELECT r.rolname AS name, r.rolsuper AS superuser,
           (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relowner = r.oid AND c.relkind IN ('r', 'p')) AS owns
      FROM pg_roles r WHERE r.rolname = current_user`.execute(db);
  const me = role.rows[0];
  findings.push({
    area: 'security',
    check: 'application role',
    severity: me?.superuser ? 'critical' : (me?.owns ?? 0) > 0 ? 'warn' : 'ok',
    evidence: me?.superuser
      ? `the app connects as ${me.name}, a superuser: a SQL injection would own the whole server`
      : (me?.owns ?? 0) > 0
        ? `the app connects as ${me?.name ?? '?'}, which owns ${me?.owns ?? 0} tables and so may DROP or ALTER them`
        : `the app connects as ${me?.name ?? '?'}: no superuser, owns no tables`,
    ...(me?.superuser || (me?.owns ?? 0) > 0
      ? {
          fix: 'run `chamahub db roles setup` and use the application URL it prints as DATABASE_URL',
        }
      : {}),
  });
  return outcome(findings, skipped);
}
