/**
 * The ChamaHub benchmark (shared/benchmark-contract.md): seeds when needed,
 * starts ChamaHub in production mode, drives every contract endpoint at each
 * client count for a fixed time with autocannon, and prints one table.
 * Traffic goes to 127.0.0.1 only; every run is bounded in time.
 *
 *   npm run bench                      # PostgreSQL, scale 1, 10 s per point
 *   npm run bench -- --quick           # a smoke run: small scale, 2 s per point
 *   npm run bench -- --engine pglite   # the embedded engine
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, urlForDatabase, type Database } from '../src/db/database.js';
import { startPgBouncer } from '../test/support/pgbouncer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const SEARCHES = [
  'savings group',
  'women investment',
  'youth farmers Nakuru',
  'welfare',
  '"table banking" Kisumu',
];
const PASSWORD = 'chamahub-bench';

interface Options {
  engine: 'postgres' | 'pglite';
  quick: boolean;
  scale: number;
  duration: number;
  warmup: number;
  clients: number[];
  only?: string[];
  pooling: boolean;
}

const program = new Command('bench')
  .description('Benchmark every contract endpoint of ChamaHub')
  .option(
    '--engine <engine>',
    'postgres (DATABASE_URL, default a local chamahub_bench_s<scale>) or pglite',
    'postgres',
  )
  .option('--quick', 'smoke run: scale 0.02, 2 s per point, 1 and 16 clients')
  .option('--scale <s>', 'data set scale (default 1; 0.02 with --quick)')
  .option('--duration <seconds>', 'seconds per point (default 10; 2 with --quick)')
  .option('--clients <list>', 'client counts (default 1,16,64; 1,16 with --quick)')
  .option('--only <ids>', 'endpoints to run, e.g. B1,B3')
  .option(
    '--warmup <seconds>',
    'unmeasured load on each endpoint before its points, so JIT and caches are warm (default 3; 0.5 with --quick)',
  )
  .option(
    '--no-pooling',
    'skip the pooling comparison (new connection vs pooled, direct vs PgBouncer)',
  )
  .parse();
const raw = program.opts<Record<string, string | boolean | undefined>>();
const quick = raw.quick === true;
const options: Options = {
  engine: raw.engine === 'pglite' ? 'pglite' : 'postgres',
  quick,
  scale: Number(raw.scale ?? (quick ? 0.02 : 1)),
  duration: Number(raw.duration ?? (quick ? 2 : 10)),
  warmup: Number(raw.warmup ?? (quick ? 0.5 : 3)),
  clients: String(raw.clients ?? (quick ? '1,16' : '1,16,64'))
    .split(',')
    .map(Number),
  ...(typeof raw.only === 'string' ? { only: raw.only.split(',') } : {}),
  pooling: raw.pooling !== false,
};

const NO_POOL = 'direct, new connection per request';

interface Fixtures {
  memberships: { chamaId: number; userId: number }[];
  walletsByUser: Map<number, number>;
  userIds: number[];
}

interface Point {
  endpoint: string;
  clients: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  expectedRefusals: number;
  statementsPerRequest: number;
  peakRssMb: number;
  cpuSeconds: number;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function databaseEnv(): Record<string, string> {
  if (options.engine === 'pglite') {
    return { CHAMAHUB_DATA_DIR: path.join(ROOT, 'bench', `.data-pglite-${options.scale}`) };
  }
  return {
    // One database per scale, so a quick run never re-seeds over the full data set.
    DATABASE_URL:
      process.env.DATABASE_URL ??
      `postgres://postgres@127.0.0.1:5432/chamahub_bench_s${String(options.scale).replace('.', '_')}`,
  };
}

async function ensureServerDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const database = target.pathname.slice(1);
  const client = new pg.Client({ connectionString: urlForDatabase(url, 'postgres') });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!exists.rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

async function openBenchDatabase(): Promise<Database> {
  const env = databaseEnv();
  if (env.DATABASE_URL) {
    return openDatabase({
      engine: 'postgres',
      url: env.DATABASE_URL,
      migrationUrl: env.DATABASE_URL,
    });
  }
  return openDatabase({ engine: 'pglite', dataDir: env.CHAMAHUB_DATA_DIR ?? '' });
}

async function seedIfNeeded(): Promise<void> {
  const expectedUsers = Math.round(20_000 * options.scale);
  let users: number;
  const database = await openBenchDatabase();
  try {
    const result = await sql<{ n: string }>`SELECT count(*)::text AS n FROM users`
      .execute(database.db)
      .catch(() => ({ rows: [{ n: '-1' }] }));
    users = Number(result.rows[0]?.n);
  } finally {
    await database.close();
  }
  if (users === expectedUsers) {
    log(`Data set at scale ${options.scale} already loaded (${users} users).`);
    return;
  }
  log(`Seeding scale ${options.scale}…`);
  const seeded = spawnSync(
    process.execPath,
    [MAIN, 'db', 'seed', '--scale', String(options.scale), '--force'],
    { env: { ...process.env, ...databaseEnv() }, stdio: 'inherit' },
  );
  if (seeded.status !== 0) throw new Error('seeding failed');
}

async function loadFixtures(): Promise<Fixtures> {
  const database = await openBenchDatabase();
  try {
    // Members of active chamas, among active users: the callers of B3 and B4.
    const memberships = await sql<{ chama_id: bigint; user_id: bigint }>`
      SELECT m.chama_id, m.user_id FROM memberships m
        JOIN chamas c ON c.id = m.chama_id AND c.is_active
        JOIN users u ON u.id = m.user_id AND u.is_active
       WHERE m.status = 'active'
       ORDER BY md5(m.id::text) LIMIT 300`.execute(database.db);
    const userIds = [...new Set(memberships.rows.map((row) => Number(row.user_id)))];
    const wallets = await sql<{ user_id: bigint; id: bigint }>`
      SELECT user_id, id FROM accounts WHERE kind = 'wallet' AND user_id = ANY(${userIds})`.execute(
      database.db,
    );
    return {
      memberships: memberships.rows.map((row) => ({
        chamaId: Number(row.chama_id),
        userId: Number(row.user_id),
      })),
      walletsByUser: new Map(wallets.rows.map((row) => [Number(row.user_id), Number(row.id)])),
      userIds,
    };
  } finally {
    await database.close();
  }
}

async function startServer(
  extraEnv: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--no-migrate'], {
    env: {
      ...process.env,
      ...databaseEnv(),
      ...extraEnv,
      NODE_ENV: 'production',
      PORT: '0',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`ChamaHub exited with ${code}: ${seen}`)));
  });
  return { child, url };
}

async function login(url: string, userIds: number[]): Promise<Map<number, string>> {
  const tokens = new Map<number, string>();
  const queue = [...userIds];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const response = await fetch(`${url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `user${id}@example.com`, password: PASSWORD }),
        });
        if (response.ok) tokens.set(id, ((await response.json()) as { token: string }).token);
      }
    }),
  );
  return tokens;
}

/** Peak RSS and CPU time of a process, read from /proc while a run goes on. */
function watchProcess(pid: number) {
  const ticks = 100;
  const cpu = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / ticks;
  };
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const startCpu = cpu();
  let peak = rss();
  const timer = setInterval(() => (peak = Math.max(peak, rss())), 100);
  return () => {
    clearInterval(timer);
    return { peakRssMb: Math.max(peak, rss()), cpuSeconds: cpu() - startCpu };
  };
}

type RequestFactory = () => {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
};

function endpoints(
  fixtures: Fixtures,
  tokens: Map<number, string>,
): Record<string, RequestFactory> {
  const random = <T>(items: readonly T[]): T =>
    items[Math.floor(Math.random() * items.length)] as T;
  const members = fixtures.memberships.filter((membership) => tokens.has(membership.userId));
  const callers = [...tokens.keys()];
  const auth = (userId: number) => ({ authorization: `Bearer ${tokens.get(userId) ?? ''}` });
  const json = { 'content-type': 'application/json' };
  let counter = 0;
  const stamp = `${Date.now().toString(36).toUpperCase()}`;
  return {
    L: () => ({
      method: 'POST',
      path: '/api/auth/login',
      headers: json,
      body: JSON.stringify({ email: `user${random(callers)}@example.com`, password: PASSWORD }),
    }),
    M: () => ({ method: 'GET', path: '/api/me', headers: auth(random(callers)) }),
    A: () => {
      const user = random(callers);
      return {
        method: 'GET',
        path: `/api/accounts/${fixtures.walletsByUser.get(user) ?? 0}`,
        headers: auth(user),
      };
    },
    B1: () => ({ method: 'GET', path: '/api/chamas?limit=50' }),
    B2: () => ({
      method: 'GET',
      path: `/api/chamas/search?q=${encodeURIComponent(random(SEARCHES))}&limit=20`,
    }),
    B3: () => {
      const membership = random(members);
      return {
        method: 'GET',
        path: `/api/chamas/${membership.chamaId}/members/${membership.userId}/statement?limit=50`,
        headers: auth(membership.userId),
      };
    },
    B4: () => {
      const membership = random(members);
      counter++;
      return {
        method: 'POST',
        path: `/api/chamas/${membership.chamaId}/contributions`,
        headers: { ...json, ...auth(membership.userId) },
        body: JSON.stringify({
          memberId: membership.userId,
          amount: `${100 + Math.floor(Math.random() * 9900)}.00`,
          method: 'mpesa',
          reference: `B${stamp}${counter}`,
        }),
      };
    },
    B5: () => {
      const from = random(callers);
      let to = random(callers);
      if (to === from) to = callers[(callers.indexOf(from) + 1) % callers.length] ?? from;
      counter++;
      return {
        method: 'POST',
        path: '/api/transfers',
        headers: { ...json, ...auth(from), 'idempotency-key': `bench-${stamp}-${counter}` },
        body: JSON.stringify({
          fromAccountId: fixtures.walletsByUser.get(from),
          toAccountId: fixtures.walletsByUser.get(to),
          amount: `${1 + Math.floor(Math.random() * 50)}.${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`,
        }),
      };
    },
  };
}

/** Unmeasured load, so the first point of an endpoint is not its cold start. */
async function warmUp(url: string, make: RequestFactory): Promise<void> {
  if (options.warmup <= 0) return;
  await autocannon({
    url,
    connections: 16,
    duration: options.warmup,
    requests: [{ setupRequest: (request) => ({ ...request, ...make() }) }],
  });
}

async function measure(
  url: string,
  pid: number,
  endpoint: string,
  make: RequestFactory,
  clients: number,
): Promise<Point> {
  const statuses = new Map<number, number>();
  let statements = 0;
  let counted = 0;
  const stop = watchProcess(pid);
  const result = await autocannon({
    url,
    connections: clients,
    duration: options.duration,
    requests: [
      {
        setupRequest: (request) => ({ ...request, ...make() }),
        onResponse: (status, _body, _context, headers) => {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          const count = Number((headers as Record<string, string> | undefined)?.['x-query-count']);
          if (Number.isFinite(count)) {
            statements += count;
            counted++;
          }
        },
      },
    ],
  });
  const usage = stop();
  const expected = (endpoint === 'B4' || endpoint === 'B5' ? [409, 422] : []).reduce(
    (sum, status) => sum + (statuses.get(status) ?? 0),
    0,
  );
  const failures = [...statuses.entries()]
    .filter(([status]) => status >= 400)
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    endpoint,
    clients,
    requestsPerSecond: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: failures - expected + result.errors + result.timeouts,
    expectedRefusals: expected,
    statementsPerRequest: counted ? Math.round((statements / counted) * 10) / 10 : 0,
    peakRssMb: Math.round(usage.peakRssMb),
    cpuSeconds: Math.round(usage.cpuSeconds * 10) / 10,
  };
}

function printTable(points: Point[]): void {
  const header = [
    'endpoint',
    'clients',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    '409/422',
    'SQL/req',
    'peak RSS MB',
    'CPU s',
  ];
  const rows = points.map((point) => [
    point.endpoint,
    String(point.clients),
    String(point.requestsPerSecond),
    String(point.p50),
    String(point.p99),
    String(point.errors),
    String(point.expectedRefusals),
    String(point.statementsPerRequest),
    String(point.peakRssMb),
    String(point.cpuSeconds),
  ]);
  log(`| ${header.join(' | ')} |`);
  log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) log(`| ${row.join(' | ')} |`);
}

async function stopServer(server: { child: ChildProcess }): Promise<void> {
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
}

interface PoolingPoint {
  setup: string;
  clients: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

/**
 * What pooling is worth, on B1 (one statement per request): the same server
 * opening a new connection for every request (DB_POOL_MAX_USES=1) against its
 * pool, and its pool direct against the same pool through PgBouncer.
 */
async function comparePooling(
  fixtures: Fixtures,
  tokens: Map<number, string>,
): Promise<PoolingPoint[]> {
  const directUrl = databaseEnv().DATABASE_URL ?? '';
  const bouncer = await startPgBouncer(directUrl);
  const setups: { setup: string; env: Record<string, string> }[] = [
    { setup: 'direct, pooled', env: {} },
    { setup: NO_POOL, env: { DB_POOL_MAX_USES: '1' } },
    {
      setup: 'through PgBouncer (transaction mode), pooled',
      env: { DATABASE_URL: bouncer.through(directUrl), MIGRATION_DATABASE_URL: directUrl },
    },
    // The servers above run with the production default, QUERY_INSPECTOR=off.
    { setup: 'direct, pooled, QUERY_INSPECTOR=all', env: { QUERY_INSPECTOR: 'all' } },
  ];
  const points: PoolingPoint[] = [];
  try {
    for (const { setup, env } of setups) {
      const server = await startServer(env);
      try {
        const b1 = endpoints(fixtures, tokens).B1;
        if (!b1) throw new Error('no B1 endpoint');
        for (const clients of options.clients.filter((n) => n > 1)) {
          const point = await measure(server.url, server.child.pid ?? 0, 'B1', b1, clients);
          log(
            `  ${setup}, ${clients} clients: ${point.requestsPerSecond} req/s, p99 ${point.p99} ms`,
          );
          points.push({ setup, clients, ...pick(point) });
        }
      } finally {
        await stopServer(server);
      }
    }
  } finally {
    await bouncer.stop();
  }
  return points;
}

function pick(point: Point) {
  const { requestsPerSecond, p50, p99, errors } = point;
  return { requestsPerSecond, p50, p99, errors };
}

async function main(): Promise<void> {
  log(
    `ChamaHub benchmark: engine ${options.engine}, scale ${options.scale}, ${options.duration} s per point, clients ${options.clients.join('/')}`,
  );
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const env = databaseEnv();
  if (env.DATABASE_URL) await ensureServerDatabase(env.DATABASE_URL);
  const migrated = spawnSync(process.execPath, [MAIN, 'db', 'migrate'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  if (migrated.status !== 0) throw new Error('migrating the benchmark database failed');
  await seedIfNeeded();
  const fixtures = await loadFixtures();
  const server = await startServer();
  try {
    const tokens = await login(server.url, fixtures.userIds.slice(0, 200));
    log(`ChamaHub at ${server.url} (pid ${server.child.pid}); ${tokens.size} users signed in.`);
    const requests = endpoints(fixtures, tokens);
    const points: Point[] = [];
    for (const [endpoint, make] of Object.entries(requests)) {
      if (options.only && !options.only.includes(endpoint)) continue;
      await warmUp(server.url, make);
      for (const clients of options.clients) {
        const point = await measure(server.url, server.child.pid ?? 0, endpoint, make, clients);
        log(
          `  ${endpoint.padEnd(3)} ${String(clients).padStart(3)} clients: ${point.requestsPerSecond} req/s, p99 ${point.p99} ms, errors ${point.errors}`,
        );
        points.push(point);
      }
    }
    log('');
    printTable(points);
    let pooling: PoolingPoint[] = [];
    if (options.pooling && options.engine === 'postgres') {
      await stopServer(server);
      log('\nPooling and query inspector comparison (B1):');
      pooling = await comparePooling(fixtures, tokens);
      log('');
      log('| setup | clients | req/s | p50 ms | p99 ms | errors |');
      log('|---|---|---|---|---|---|');
      for (const point of pooling) {
        log(
          `| ${point.setup} | ${point.clients} | ${point.requestsPerSecond} | ${point.p50} | ${point.p99} | ${point.errors} |`,
        );
      }
    }
    const resultsDir = path.join(ROOT, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const file = path.join(
      resultsDir,
      `${new Date().toISOString().replace(/[:.]/g, '-')}-${options.engine}.json`,
    );
    writeFileSync(file, JSON.stringify({ options, points, pooling }, null, 2));
    log(`\nWrote ${path.relative(ROOT, file)}`);
    // Without a pool, 64 clients can wait longer than autocannon's timeout
    // for a connection: that is the failure the comparison exists to show.
    const failed = [
      ...points,
      ...pooling
        .filter((point) => point.setup !== NO_POOL)
        .map((point) => ({ ...point, endpoint: point.setup })),
    ].filter((point) => point.errors > 0);
    if (failed.length > 0) {
      log(
        `Unexpected errors at: ${failed.map((point) => `${point.endpoint}@${point.clients}`).join(', ')}`,
      );
      process.exitCode = 1;
    }
  } finally {
    if (server.child.exitCode === null) await stopServer(server);
  }
}

await main();
