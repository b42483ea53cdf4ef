import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { ConfigError, defaultPoolMax, loadConfig } from './config.js';

const SERVER = { DATABASE_URL: 'postgres://app@db.example:5432/chamahub' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('sizes the pool with the guide formula, CPU cores × 2 + 5 spare, unless DB_POOL_MAX says otherwise', () => {
    assert.equal(defaultPoolMax(2), 9);
    assert.equal(defaultPoolMax(10, 5), 25);
    const config = loadConfig(SERVER);
    assert.equal(config.database.engine, 'postgres');
    if (config.database.engine === 'postgres') {
      assert.equal(config.database.poolMax, availableParallelism() * 2 + 5);
    }
    const fixed = loadConfig({ ...SERVER, DB_POOL_MAX: '4' });
    assert.equal(fixed.database.engine === 'postgres' && fixed.database.poolMax, 4);
  });

  it('reads sslmode and sslrootcert from the URL, or DB_SSL_MODE and DB_SSL_ROOT_CERT', () => {
    const fromUrl = loadConfig({
      DATABASE_URL: `${SERVER.DATABASE_URL}?sslmode=verify-full&sslrootcert=/etc/ssl/chama-ca.pem`,
    });
    assert.deepEqual(fromUrl.database.engine === 'postgres' && fromUrl.database.ssl, {
      mode: 'verify-full',
      rootCertPath: '/etc/ssl/chama-ca.pem',
    });
    const fromSettings = loadConfig({ ...SERVER, DB_SSL_MODE: 'require' });
    assert.deepEqual(fromSettings.database.engine === 'postgres' && fromSettings.database.ssl, {
      mode: 'require',
    });
    assert.deepEqual(problemsOf({ ...SERVER, DB_SSL_MODE: 'verify-ca' }), [
      'sslmode=verify-ca needs the CA certificate: set sslrootcert or DB_SSL_ROOT_CERT',
    ]);
    assert.match(problemsOf({ ...SERVER, DB_SSL_MODE: 'sometimes' })[0] ?? '', /sslmode/);
  });

  it('refuses a short ADMIN_TOKEN and a BACKUP_SCHEDULE that is not cron', () => {
    const problems = problemsOf({ ADMIN_TOKEN: 'letmein', BACKUP_SCHEDULE: 'daily' });
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /ADMIN_TOKEN must be at least 32 characters/);
    assert.match(problems[1] ?? '', /BACKUP_SCHEDULE must be a cron expression/);
    const config = loadConfig({ BACKUP_SCHEDULE: '30 2 * * *' });
    assert.equal(config.backup.schedule, '30 2 * * *');
    assert.equal(config.backup.keepDays, 30);
  });
});
