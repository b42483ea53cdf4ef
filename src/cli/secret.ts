import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { runCommand } from './run-command.js';
import { print } from './session.js';

const FORMATS = ['base64', 'base64url', 'hex'] as const;
type Format = (typeof FORMATS)[number];

export function registerSecretCommand(program: Command): void {
  program
    .command('secret')
    .description(
      'Print a strong random password or key (like `openssl rand -base64 32`): for database ' +
        'passwords, ADMIN_TOKEN, and the like.',
    )
    .option('--bytes <n>', 'random bytes (16 to 1024)', byteCount, 32)
    .option('--format <format>', 'base64, base64url (safe in URLs) or hex', secretFormat, 'base64')
    .action(
      runCommand(async (options: { bytes: number; format: Format }) => {
        print(randomBytes(options.bytes).toString(options.format));
        return Promise.resolve();
      }),
    );
}

function byteCount(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 16 || parsed > 1024)
    throw new InvalidArgumentError('16 to 1024');
  return parsed;
}

function secretFormat(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(FORMATS.join(', '));
  return value as Format;
}
