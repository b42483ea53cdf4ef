import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { describe, it } from 'node:test';
import { cliEnv, runCli } from '../support/cli.js';

describe('chamahub db tune and chamahub secret', () => {
  it('prints a commented postgresql.conf snippet for the given machine', async () => {
    const result = await runCli(
      ['db', 'tune', '--ram', '4GB', '--cores', '2', '--storage', 'ssd'],
      cliEnv({}),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^# PGTune for 4GB RAM, 2 cores, ssd, web profile$/m);
    assert.match(result.stdout, /^shared_buffers = 1GB\s+# a quarter of RAM/m);
    assert.match(result.stdout, /^work_mem = 5041kB\s+# \(RAM - shared_buffers\)/m);
  });

  it('describes the machine it runs on without flags, and refuses nonsense', async () => {
    const result = await runCli(['db', 'tune'], cliEnv({}));
    assert.equal(result.code, 0, result.stderr);
    const gigabytes = Math.max(Math.floor(totalmem() / 1024 ** 3), 1);
    assert.match(result.stdout, new RegExp(`^# PGTune for ${gigabytes}GB RAM`, 'm'));
    const bad = await runCli(['db', 'tune', '--ram', 'lots'], cliEnv({}));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /a size such as 4GB/);
  });

  it('prints a different strong secret every time', async () => {
    const first = await runCli(['secret'], cliEnv({}));
    const second = await runCli(['secret', '--format', 'hex', '--bytes', '16'], cliEnv({}));
    assert.equal(first.code, 0);
    assert.equal(Buffer.from(first.stdout.trim(), 'base64').length, 32);
    assert.match(second.stdout.trim(), /^[0-9a-f]{32}$/);
    const tooShort = await runCli(['secret', '--bytes', '4'], cliEnv({}));
    assert.notEqual(tooShort.code, 0);
  });
});
