import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { collectStats, type DatabaseStats } from '../ops/monitoring/stats.js';
import { positiveInteger } from './arguments.js';
import { formatBytes, formatCount, formatPercent, formatTable } from './format.js';
import { runCommand } from './run-command.js';
import { print, withDatabase } from './session.js';

export function registerStatsCommand(db: Command): void {
  db.command('stats')
    .description(
      'Show connections by state, database, table and index sizes, the cache hit rate, the ' +
        'heaviest statements (with pg_stat_statements) and the pool. The same data is served ' +
        'at GET /api/admin/db/stats.',
    )
    .option('--json', 'print JSON instead of tables')
    .option('--watch [seconds]', 'refresh every few seconds until Ctrl-C', positiveInteger)
    .action(runCommand(stats));
}

async function stats(options: { json?: boolean; watch?: number | true }): Promise<void> {
  const interval = options.watch === true ? 5 : options.watch;
  await withDatabase(async (database) => {
    for (;;) {
      const snapshot = await collectStats(database.db, database.engine, database.pool);
      if (interval) process.stdout.write('\x1b[2J\x1b[H');
      if (options.json) print(JSON.stringify(snapshot, null, 2));
      else printStats(snapshot, database.location);
      if (!interval) return;
      print(`\nRefreshing every ${interval} s; Ctrl-C to stop.`);
      await sleep(interval * 1000);
    }
  });
}

function printStats(stats: DatabaseStats, location: string): void {
  print(`Database ${stats.database} on ${location} (PostgreSQL ${stats.serverVersion})`);
  print(`Size:            ${formatBytes(stats.databaseBytes)}`);
  print(
    `Connections:     ${stats.connections.total} of max_connections ${stats.connections.max} (` +
      Object.entries(stats.connections.byState)
        .map(([state, n]) => `${state} ${n}`)
        .join(', ') +
      ')',
  );
  print(`Cache hit rate:  ${formatPercent(stats.cacheHitRate)} (aim for 99 % or more)`);
  if (stats.pool) {
    print(
      `This process's pool: ${stats.pool.total} open, ${stats.pool.idle} idle, ${stats.pool.waiting} waiting, max ${stats.pool.max}`,
    );
  }
  print('\nTables');
  for (const line of formatTable(
    ['table', 'rows (est.)', 'table', 'indexes', 'total'],
    stats.tables.map((table) => [
      table.table,
      formatCount(table.estimatedRows),
      formatBytes(table.tableBytes),
      formatBytes(table.indexBytes),
      formatBytes(table.totalBytes),
    ]),
  )) {
    print(`  ${line}`);
  }
  print('\nLargest indexes');
  for (const line of formatTable(
    ['index', 'table', 'size', 'scans'],
    stats.indexes.map((index) => [
      index.index,
      index.table,
      formatBytes(index.bytes),
      formatCount(index.scans),
    ]),
  )) {
    print(`  ${line}`);
  }
  print('\nHeaviest statements');
  if (!stats.statements.available) {
    print(`  ${stats.statements.reason}`);
    return;
  }
  for (const line of formatTable(
    ['total ms', 'calls', 'mean ms', 'statement'],
    stats.statements.statements.map((statement) => [
      statement.totalMs.toFixed(1),
      formatCount(statement.calls),
      statement.meanMs.toFixed(3),
      statement.query.slice(0, 80),
    ]),
  )) {
    print(`  ${line}`);
  }
}
