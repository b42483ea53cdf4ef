import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Manifest } from './manifest.js';
import { decidePrune } from './retention.js';

const NOW = new Date('2026-11-28T03:00:00Z');

function backupTakenDaysAgo(days: number, verified?: boolean): Manifest {
  const createdAt = new Date(NOW.getTime() - days * 86_400_000).toISOString();
  return {
    name: `chamahub-${days}d.dump`,
    path: `/backups/chamahub-${days}d.dump`,
    format: 'custom',
    engine: 'postgres',
    database: 'chamahub',
    createdAt,
    durationMs: 1,
    sizeBytes: 1,
    sha256: 'x',
    serverVersion: '15',
    dumpedWith: 'pg_dump',
    latestMigration: null,
    tables: null,
    rowCounts: {},
    verification: verified === undefined ? null : { at: createdAt, ok: verified, problems: [] },
  };
}

const names = (manifests: readonly Manifest[]) => manifests.map((manifest) => manifest.name);

describe('backup retention', () => {
  it('removes what is older than keep-days, beyond the newest keep-last', () => {
    const backups = [1, 5, 29, 31, 45, 60].map((days) => backupTakenDaysAgo(days));
    const decision = decidePrune(backups, { keepDays: 30, keepLast: 2 }, NOW);
    assert.deepEqual(names(decision.remove), [
      'chamahub-31d.dump',
      'chamahub-45d.dump',
      'chamahub-60d.dump',
    ]);
  });

  it('keeps the newest keep-last even when all are old', () => {
    const backups = [40, 50, 60].map((days) => backupTakenDaysAgo(days));
    const decision = decidePrune(backups, { keepDays: 30, keepLast: 2 }, NOW);
    assert.deepEqual(names(decision.remove), ['chamahub-60d.dump']);
  });

  it('never removes the newest verified backup, however old', () => {
    const backups = [
      backupTakenDaysAgo(1, false),
      backupTakenDaysAgo(2),
      backupTakenDaysAgo(90, true),
      backupTakenDaysAgo(120, true),
    ];
    const decision = decidePrune(backups, { keepDays: 30, keepLast: 1 }, NOW);
    assert.deepEqual(names(decision.remove), ['chamahub-120d.dump']);
    assert.ok(
      decision.keep.some(
        (kept) =>
          kept.manifest.name === 'chamahub-90d.dump' && kept.why === 'the newest verified backup',
      ),
    );
  });
});
