#!/usr/bin/env node
import { Command } from 'commander';
import { registerDbCommands } from './db.js';
import { registerPgBouncerCommands } from './pgbouncer.js';
import { registerSecretCommand } from './secret.js';
import { registerServeCommand } from './serve.js';

const program = new Command('chamahub')
  .description('ChamaHub: the backend for chamas, savings groups that pool and lend money.')
  .showHelpAfterError()
  .enablePositionalOptions();

registerServeCommand(program);
registerDbCommands(program);
registerPgBouncerCommands(program);
registerSecretCommand(program);

// `chamahub db stats | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

await program.parseAsync(process.argv);
