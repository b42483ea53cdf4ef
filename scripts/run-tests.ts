// Runs every *.test.ts file under src/ and test/ with Node's test runner.
// Usage: npm test [-- file-or-folder ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { probeServer, redactUrl, SERVER_URL } from '../test/support/server-probe.js';

function collect(target: string, found: string[]): string[] {
  if (statSync(target).isFile()) {
    if (target.endsWith('.test.ts')) found.push(target);
    return found;
  }
  for (const entry of readdirSync(target)) {
    if (entry === 'node_modules') continue;
    collect(path.join(target, entry), found);
  }
  return found;
}

const targets = process.argv.slice(2);
const files = (targets.length > 0 ? targets : ['src', 'test'])
  .flatMap((target) => collect(target, []))
  .sort();

if (files.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}

const serverProblem = await probeServer();
if (serverProblem) {
  const consequence =
    process.env.CI === 'true' ? 'CI=true, so the run will fail' : 'its tests will be skipped';
  console.log(
    `PostgreSQL test server ${redactUrl(SERVER_URL)}: unreachable (${serverProblem}); ${consequence}.`,
  );
} else {
  console.log(
    `PostgreSQL test server ${redactUrl(SERVER_URL)}: reachable; tests run on PGlite and on it.`,
  );
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
