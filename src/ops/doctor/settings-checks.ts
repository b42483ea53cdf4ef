/** The server's memory and planner settings against PGTune's advice for its machine. */
import { sql } from 'kysely';
import type { AnyKysely } from '../../db/schema.js';
import { formatMemory, tune, type TuneInput } from '../tuning/pgtune.js';
import { outcome, type CheckOutcome, type Finding } from './finding.js';

export interface SettingsContext {
  readonly machine: Omit<TuneInput, 'profile'>;
  /** Connections the app pool may open (DB_POOL_MAX). */
  readonly poolMax: number;
  /** PgBouncer's default_pool_size, when the app connects through it. */
  readonly pgbouncerPoolSize?: number;
}

export async function checkSettings(
  db: AnyKysely,
  context: SettingsContext,
): Promise<CheckOutcome> {
  const rows = await sql<{ name: string; kb: number | null; setting: string }>`
    SELECT name, setting,
           CASE unit WHEN '8kB' THEN setting::float8 * 8 WHEN 'kB' THEN setting::float8
                     WHEN 'MB' THEN setting::float8 * 1024 END AS kb
      FROM pg_settings
     WHERE name IN ('shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem',
                    'max_connections', 'superuser_reserved_connections',
                    'checkpoint_completion_target', 'wal_buffers', 'random_page_cost')`.execute(db);
  const current = new Map(rows.rows.map((row) => [row.name, row]));
  const advice = new Map(tune({ ...context.machine, profile: 'web' }).map((s) => [s.name, s]));
  const findings: Finding[] = [];
  const ram = Math.floor(context.machine.ramBytes / 1024);
  const memoryCheck = (name: string, low: number, high: number) => {
    const kb = current.get(name)?.kb ?? 0;
    const recommended = advice.get(name);
    const inRange = kb >= low && kb <= high;
    findings.push({
      area: 'settings',
      check: name,
      severity: inRange ? 'ok' : 'warn',
      evidence: `${name} = ${formatMemory(kb)}; for ${formatMemory(ram)} of RAM PGTune advises ${recommended?.value ?? '?'}`,
      ...(inRange ? {} : { fix: `ALTER SYSTEM SET ${name} = '${recommended?.value ?? ''}';` }),
    });
  };
  memoryCheck('shared_buffers', ram * 0.15, ram * 0.4);
  memoryCheck('effective_cache_size', ram * 0.5, ram * 0.9);
  const workMemAdvice = advice.get('work_mem')?.kb ?? 4096;
  memoryCheck('work_mem', 4096, Math.max(workMemAdvice * 4, 4096));
  memoryCheck('maintenance_work_mem', 64 * 1024, 2 * 1024 * 1024);

  const target = Number(current.get('checkpoint_completion_target')?.setting ?? 0);
  findings.push({
    area: 'settings',
    check: 'checkpoint_completion_target',
    severity: target >= 0.9 ? 'ok' : 'warn',
    evidence: `checkpoint_completion_target = ${target}`,
    ...(target >= 0.9 ? {} : { fix: 'ALTER SYSTEM SET checkpoint_completion_target = 0.9;' }),
  });
  const walBuffers = current.get('wal_buffers')?.kb ?? 0;
  const walAdvice = advice.get('wal_buffers')?.kb ?? 0;
  findings.push({
    area: 'settings',
    check: 'wal_buffers',
    severity: walBuffers >= walAdvice ? 'ok' : 'warn',
    evidence: `wal_buffers = ${formatMemory(walBuffers)}; advised ${formatMemory(walAdvice)}`,
    ...(walBuffers >= walAdvice
      ? {}
      : { fix: `ALTER SYSTEM SET wal_buffers = '${formatMemory(walAdvice)}'; (restart)` }),
  });
  const pageCost = Number(current.get('random_page_cost')?.setting ?? 4);
  const ssd = context.machine.storage === 'ssd';
  const costOk = ssd ? pageCost <= 1.5 : pageCost >= 2;
  findings.push({
    area: 'settings',
    check: 'random_page_cost',
    severity: costOk ? 'ok' : 'warn',
    evidence: `random_page_cost = ${pageCost} on ${context.machine.storage}`,
    ...(costOk ? {} : { fix: `ALTER SYSTEM SET random_page_cost = ${ssd ? '1.1' : '4'};` }),
  });
  const maxConnections = Number(current.get('max_connections')?.setting ?? 0);
  const reserved = Number(current.get('superuser_reserved_connections')?.setting ?? 0);
  const available = maxConnections - reserved;
  const clients =
    context.pgbouncerPoolSize !== undefined
      ? `PgBouncer's default_pool_size ${context.pgbouncerPoolSize}`
      : `ChamaHub's pool (DB_POOL_MAX ${context.poolMax})`;
  const needed = (context.pgbouncerPoolSize ?? context.poolMax) + 5;
  findings.push({
    area: 'settings',
    check: 'max_connections',
    severity: available >= needed ? 'ok' : 'critical',
    evidence:
      `max_connections ${maxConnections} - ${reserved} reserved = ${available} for clients; ` +
      `${clients} plus 5 for migrations and tools needs ${needed}`,
    ...(available >= needed
      ? {}
      : {
          fix: `lower DB_POOL_MAX, put PgBouncer in front, or ALTER SYSTEM SET max_connections = ${needed + reserved};`,
        }),
  });
  return outcome(findings);
}
