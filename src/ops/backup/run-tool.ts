import { spawn } from 'node:child_process';
import { BackupError } from './manifest.js';

/**
 * Runs one of PostgreSQL's programs, handing each line it writes on stderr
 * (its --verbose or --progress output, which ends lines with \r) to
 * `onLine`; fails with the last lines it wrote.
 */
export function runTool(
  program: string,
  args: readonly string[],
  options: { onLine?: (line: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    const tail: string[] = [];
    let pending = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split(/[\r\n]+/);
      pending = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onLine?.(line);
      }
    });
    child.on('error', (error) =>
      reject(new BackupError(`${program} could not start: ${error.message}`)),
    );
    child.on('close', (code) => {
      if (pending) tail.push(pending);
      if (code === 0) return resolve();
      const errors = tail.filter((line) => /error|fatal|could not|invalid/i.test(line));
      reject(
        new BackupError(
          `${program} failed (exit ${code}): ${(errors.length ? errors : tail).slice(-5).join(' | ')}`,
        ),
      );
    });
  });
}
