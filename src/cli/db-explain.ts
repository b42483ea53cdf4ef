/** `db explain` and `db top`: where the database spends its time. */
import type { Command } from 'commander';
import { explain } from '../db/inspector/explain.js';
import { describeScans } from '../db/inspector/scan-counts.js';
import { findHotRoute, HOT_ROUTES, loadSample, traceRoute } from '../ops/explain/hot-routes.js';
import { heaviestStatements } from '../ops/monitoring/statements.js';
import { positiveInteger } from './arguments.js';
import { formatCount, formatPercent, formatTable } from './format.js';
import { ExitCode, runCommand, UsageError } from './run-command.js';
import { print, withDatabase } from './session.js';

export function registerExplainCommands(db: Command): void {
  db.command('explain')
    .description(
      'Print the plan of a statement (EXPLAIN; with --analyze, EXPLAIN (ANALYZE, BUFFERS) in a ' +
        'transaction that is rolled back) and a one-line verdict naming sequential scans on large ' +
        `tables. --route explains the statements a hot route runs: ${HOT_ROUTES.map((route) => route.name).join(', ')}.`,
    )
    .argument('[sql]', 'the statement, in quotes')
    .option('--analyze', 'run it and show real times and buffers')
    .option('--route <name>', 'explain what this route runs instead')
    .action(runCommand(explainCommand));

  db.command('top')
    .description(
      'The heaviest statements by total time, from pg_stat_statements: calls, total and mean time, rows, cache hit share.',
    )
    .option('--limit <n>', 'how many', positiveInteger, 10)
    .action(runCommand(top));
}

async function explainCommand(
  statement: string | undefined,
  options: { analyze?: boolean; route?: string },
): Promise<void> {
  if (!statement && !options.route)
    throw new UsageError('give a statement in quotes, or --route <name>');
  if (statement && options.route) throw new UsageError('give a statement or --route, not both');
  await withDatabase(async (database) => {
    if (statement) {
      const result = await explain(database.db, statement, [], {
        analyze: options.analyze ?? false,
      });
      print(result.plan);
      print('');
      print(result.verdict);
      if (result.verdict.startsWith('SEQUENTIAL')) process.exitCode = ExitCode.failed;
      return;
    }
    const route = findHotRoute(options.route ?? '');
    if (!route) {
      throw new UsageError(
        `no route named ${options.route}; choose one of ${HOT_ROUTES.map((r) => r.name).join(', ')}`,
      );
    }
    const sample = await loadSample(database.db);
    const { statements, scans } = await database.db
      .transaction()
      .execute((trx) => traceRoute(trx, route, sample));
    print(
      `${route.name}: ${route.route} runs ${statements.length} statement(s); intended index ${route.intendedIndex}`,
    );
    for (const [index, captured] of statements.entries()) {
      const result = await explain(database.db, captured.sql, captured.parameters, {
        analyze: options.analyze ?? false,
      });
      print(`\n[${index + 1}] ${captured.sql.replace(/\s+/g, ' ')}`);
      print(
        `    parameters: ${JSON.stringify(captured.parameters, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}`,
      );
      print(result.plan);
      print(result.verdict);
    }
    // EXPLAIN shows a function's call, not its statements: these counts see inside.
    print(`\nScans PostgreSQL counted while the route ran:`);
    print(`  indexes: ${describeScans(scans.indexScans) || 'none'}`);
    print(`  sequential: ${describeScans(scans.sequentialScans) || 'none'}`);
  });
}

async function top(options: { limit: number }): Promise<void> {
  await withDatabase(async (database) => {
    const report = await heaviestStatements(database.db, database.engine, options.limit);
    if (!report.available) {
      print(report.reason);
      process.exitCode = ExitCode.failed;
      return;
    }
    print(
      `The ${report.statements.length} heaviest statements on ${database.location}, by total time:`,
    );
    for (const line of formatTable(
      ['calls', 'total ms', 'mean ms', 'rows', 'cache hit', 'statement'],
      report.statements.map((statement) => [
        formatCount(statement.calls),
        statement.totalMs.toFixed(1),
        statement.meanMs.toFixed(3),
        formatCount(statement.rows),
        formatPercent(statement.cacheHitRate),
        statement.query.slice(0, 100),
      ]),
    )) {
      print(`  ${line}`);
    }
  });
}
