import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMemory, parseMemory, tune, type TuneInput } from './pgtune.js';

const GiB = 1024 ** 3;

function settingsOf(input: TuneInput): Record<string, string> {
  return Object.fromEntries(tune(input).map((setting) => [setting.name, setting.value]));
}

describe('db tune: PGTune formulas', () => {
  it('4 GB, 2 cores, SSD, web: the worked example', () => {
    const settings = settingsOf({ ramBytes: 4 * GiB, cores: 2, storage: 'ssd', profile: 'web' });
    // work_mem = (4 GB - 1 GB) / ((200 + 8) × 3) = 3,145,728 kB / 624 = 5041 kB
    assert.deepEqual(settings, {
      max_connections: '200',
      shared_buffers: '1GB',
      effective_cache_size: '3GB',
      maintenance_work_mem: '256MB',
      checkpoint_completion_target: '0.9',
      wal_buffers: '16MB',
      default_statistics_target: '100',
      random_page_cost: '1.1',
      effective_io_concurrency: '200',
      work_mem: '5041kB',
      min_wal_size: '1GB',
      max_wal_size: '4GB',
    });
  });

  it('64 GB, 16 cores, HDD, OLTP with 400 connections: parallel workers, capped maintenance memory, huge pages', () => {
    const settings = settingsOf({
      ramBytes: 64 * GiB,
      cores: 16,
      storage: 'hdd',
      profile: 'oltp',
      connections: 400,
    });
    // (64 GB - 16 GB) / ((400 + 16) × 3) = 50,331,648 kB / 1248 = 40329 kB
    assert.equal(settings.shared_buffers, '16GB');
    assert.equal(settings.effective_cache_size, '48GB');
    assert.equal(settings.maintenance_work_mem, '2GB');
    assert.equal(settings.work_mem, '40329kB');
    assert.equal(settings.random_page_cost, '4');
    assert.equal(settings.effective_io_concurrency, '2');
    assert.equal(settings.max_worker_processes, '16');
    assert.equal(settings.max_parallel_workers_per_gather, '4');
    assert.equal(settings.max_parallel_maintenance_workers, '4');
    assert.equal(settings.min_wal_size, '2GB');
    assert.equal(settings.max_wal_size, '8GB');
    assert.equal(settings.huge_pages, 'try');
  });

  it('1 GB, 1 core, SSD, mixed: small wal_buffers and the 4 MB work_mem floor', () => {
    const settings = settingsOf({ ramBytes: 1 * GiB, cores: 1, storage: 'ssd', profile: 'mixed' });
    // shared_buffers 256 MB; wal_buffers 3 % = 7864 kB; work_mem (768 MB / 324) / 2 = 1213 kB → 4 MB
    assert.equal(settings.shared_buffers, '256MB');
    assert.equal(settings.wal_buffers, '7864kB');
    assert.equal(settings.maintenance_work_mem, '64MB');
    assert.equal(settings.work_mem, '4MB');
    assert.equal(settings.max_connections, '100');
    assert.equal(settings.max_worker_processes, undefined);
  });

  it('reads and writes memory sizes the way postgresql.conf does', () => {
    assert.equal(parseMemory('4GB'), 4 * GiB);
    assert.equal(parseMemory('512mb'), 512 * 1024 ** 2);
    assert.equal(parseMemory('2048'), 2 * GiB);
    assert.equal(parseMemory('lots'), undefined);
    assert.equal(formatMemory(1024 * 1024), '1GB');
    assert.equal(formatMemory(5041), '5041kB');
  });
});
