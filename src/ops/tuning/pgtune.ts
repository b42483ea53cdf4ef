/**
 * postgresql.conf advice computed with PGTune's published formulas
 * (pgtune.leopard.in.ua), for the profiles a chama backend runs as.
 */
export type TuneProfile = 'web' | 'oltp' | 'mixed';
export type Storage = 'ssd' | 'hdd';
export const TUNE_PROFILES: readonly TuneProfile[] = ['web', 'oltp', 'mixed'];

export interface TuneInput {
  readonly ramBytes: number;
  readonly cores: number;
  readonly storage: Storage;
  readonly profile: TuneProfile;
  /** Default per profile: web 200, oltp 300, mixed 100. */
  readonly connections?: number;
}

export interface TunedSetting {
  readonly name: string;
  /** The value as postgresql.conf takes it: '1GB', '5041kB', '0.9'. */
  readonly value: string;
  /** Numeric value in kB for memory settings, for comparison with the server. */
  readonly kb?: number;
  readonly why: string;
}

const KB = 1024;
const MB = 1024;
const GB = 1024 * 1024;
const WORK_MEM_FLOOR_KB = 4 * MB;

const DEFAULT_CONNECTIONS: Record<TuneProfile, number> = { web: 200, oltp: 300, mixed: 100 };
const WAL_SIZES: Record<TuneProfile, [number, number]> = {
  web: [1 * GB, 4 * GB],
  oltp: [2 * GB, 8 * GB],
  mixed: [1 * GB, 4 * GB],
};

export function tune(input: TuneInput): TunedSetting[] {
  const ramKb = Math.floor(input.ramBytes / KB);
  const connections = input.connections ?? DEFAULT_CONNECTIONS[input.profile];
  const sharedBuffersKb = Math.floor(ramKb / 4);
  const effectiveCacheKb = Math.floor((ramKb * 3) / 4);
  const maintenanceKb = Math.min(Math.floor(ramKb / 16), 2 * GB);
  const walBuffersKb = walBuffers(sharedBuffersKb);
  // Below 4 cores PGTune sets no parallel workers, leaving PostgreSQL's default of 8.
  const workerProcesses = input.cores >= 4 ? input.cores : 8;
  const perConnection = (ramKb - sharedBuffersKb) / ((connections + workerProcesses) * 3);
  const workMemKb = Math.max(
    Math.floor(perConnection / (input.profile === 'mixed' ? 2 : 1)),
    WORK_MEM_FLOOR_KB,
  );
  const [minWal, maxWal] = WAL_SIZES[input.profile];

  const settings: TunedSetting[] = [
    {
      name: 'max_connections',
      value: String(connections),
      why: `${input.profile} profile; behind PgBouncer far fewer server connections are needed`,
    },
    memory('shared_buffers', sharedBuffersKb, 'a quarter of RAM: PostgreSQL’s own page cache'),
    memory(
      'effective_cache_size',
      effectiveCacheKb,
      'three quarters of RAM: what the planner may assume the OS caches',
    ),
    memory(
      'maintenance_work_mem',
      maintenanceKb,
      'RAM / 16, at most 2 GB: VACUUM and CREATE INDEX',
    ),
    { name: 'checkpoint_completion_target', value: '0.9', why: 'spread checkpoint writes out' },
    memory('wal_buffers', walBuffersKb, '3 % of shared_buffers, at most 16 MB'),
    { name: 'default_statistics_target', value: '100', why: 'the planner’s sample size' },
    {
      name: 'random_page_cost',
      value: input.storage === 'ssd' ? '1.1' : '4',
      why:
        input.storage === 'ssd'
          ? 'random reads cost almost what sequential ones do on SSD'
          : 'random reads are slow on spinning disks',
    },
    {
      name: 'effective_io_concurrency',
      value: input.storage === 'ssd' ? '200' : '2',
      why: `concurrent I/O the ${input.storage} can serve`,
    },
    memory(
      'work_mem',
      workMemKb,
      `(RAM - shared_buffers) / ((max_connections + ${workerProcesses} worker processes) × 3)` +
        `${input.profile === 'mixed' ? ' / 2' : ''}, at least 4 MB: per sort or hash`,
    ),
    memory('min_wal_size', minWal, 'keep this much WAL recycled rather than removed'),
    memory('max_wal_size', maxWal, 'checkpoint at most this much WAL apart'),
  ];
  if (input.cores >= 4) {
    const half = Math.min(Math.ceil(input.cores / 2), 4);
    settings.push(
      { name: 'max_worker_processes', value: String(input.cores), why: 'one per core' },
      {
        name: 'max_parallel_workers_per_gather',
        value: String(half),
        why: 'half the cores, at most 4',
      },
      { name: 'max_parallel_workers', value: String(input.cores), why: 'one per core' },
      {
        name: 'max_parallel_maintenance_workers',
        value: String(half),
        why: 'half the cores, at most 4',
      },
    );
  }
  if (ramKb >= 32 * GB) {
    settings.push({ name: 'huge_pages', value: 'try', why: '32 GB of RAM or more' });
  }
  return settings;
}

function walBuffers(sharedBuffersKb: number): number {
  const value = Math.floor((3 * sharedBuffersKb) / 100);
  if (value > 14 * MB) return 16 * MB;
  return Math.max(value, 32);
}

function memory(name: string, kb: number, why: string): TunedSetting {
  return { name, value: formatMemory(kb), kb, why };
}

/** kB as postgresql.conf writes it: whole GB or MB when exact, else kB. */
export function formatMemory(kb: number): string {
  if (kb % GB === 0) return `${kb / GB}GB`;
  if (kb % MB === 0) return `${kb / MB}MB`;
  return `${kb}kB`;
}

/** "4GB", "512MB", "2048" (MB) → bytes. */
export function parseMemory(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(kb|mb|gb|tb)?$/i.exec(text.trim());
  if (!match?.[1]) return undefined;
  const factor = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 }[
    (match[2] ?? 'mb').toLowerCase() as 'kb' | 'mb' | 'gb' | 'tb'
  ];
  return Math.round(Number(match[1]) * factor);
}

export function renderPostgresqlConf(settings: readonly TunedSetting[], header: string): string {
  const width = Math.max(...settings.map((setting) => `${setting.name} = ${setting.value}`.length));
  return [
    `# ${header}`,
    ...settings.map(
      (setting) => `${`${setting.name} = ${setting.value}`.padEnd(width)}  # ${setting.why}`,
    ),
    '',
  ].join('\n');
}
