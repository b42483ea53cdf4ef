#!/usr/bin/env node
import { Command } from 'commander';
import { registerDbCommands } from './db.js';
import { registerServeCommand } from './serve.js';

const program = new Command('chamahub')
  .description('ChamaHub: the backend for chamas, savings groups that pool and lend money.')
  .showHelpAfterError()
  .enablePositionalOptions();

registerServeCommand(program);
registerDbCommands(program);

await program.parseAsync(process.argv);
