/**
 * DATABASE_URL's sslmode against a real server with a certificate of its own:
 * a throwaway cluster with TLS on, its certificate signed by a test authority.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/database.js';
import { giveToPostgres } from '../../src/ops/postgres-user.js';
import { cliEnv, runCli } from '../support/cli.js';
import { describeOnServer } from '../support/databases.js';
import { createThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';

const run = promisify(execFile);

async function makeAuthority(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  return { cert, key };
}

async function makeServerCertificate(dir: string, authority: { cert: string; key: string }) {
  const key = path.join(dir, 'server.key');
  const request = path.join(dir, 'server.csr');
  const cert = path.join(dir, 'server.crt');
  const extensions = path.join(dir, 'server.ext');
  await writeFile(extensions, 'subjectAltName=IP:127.0.0.1\n');
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    request,
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    request,
    '-CA',
    authority.cert,
    '-CAkey',
    authority.key,
    '-CAcreateserial',
    '-out',
    cert,
    '-days',
    '2',
    '-extfile',
    extensions,
  ]);
  await chmod(key, 0o600);
  return { cert, key };
}

/** Connects as ChamaHub would with this DATABASE_URL and asks whether the session is encrypted. */
async function encrypted(url: string): Promise<boolean> {
  const config = loadConfig({ DATABASE_URL: url });
  const database = await openDatabase(config.database);
  try {
    const result = await sql<{
      ssl: boolean;
    }>`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`.execute(database.db);
    return result.rows[0]?.ssl ?? false;
  } finally {
    await database.close();
  }
}

describeOnServer('TLS to the database (sslmode, sslrootcert)', () => {
  let dir: string;
  let cluster: ThrowawayCluster;
  let authority: { cert: string; key: string };
  let stranger: { cert: string; key: string };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'chamahub-tls-'));
    authority = await makeAuthority(dir, 'chamahub-test-ca');
    stranger = await makeAuthority(dir, 'some-other-ca');
    const server = await makeServerCertificate(dir, authority);
    await giveToPostgres(dir);
    cluster = await createThrowawayCluster({
      ssl: 'on',
      ssl_cert_file: server.cert,
      ssl_key_file: server.key,
      listen_addresses: '127.0.0.1,127.0.0.2',
    });
  });
  after(async () => {
    await cluster?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('sslmode=require connects encrypted, without checking who the server is', async () => {
    assert.equal(await encrypted(`${cluster.url()}?sslmode=require`), true);
    assert.equal(await encrypted(cluster.url()), false, 'no sslmode: a plain connection');
  });

  it('sslmode=verify-full with the right authority connects encrypted; DB_SSL_* say the same', async () => {
    assert.equal(
      await encrypted(`${cluster.url()}?sslmode=verify-full&sslrootcert=${authority.cert}`),
      true,
    );
    assert.equal(
      await encrypted(`${cluster.url()}?sslmode=verify-ca&sslrootcert=${authority.cert}`),
      true,
    );
    const config = loadConfig({
      DATABASE_URL: cluster.url(),
      DB_SSL_MODE: 'verify-full',
      DB_SSL_ROOT_CERT: authority.cert,
    });
    const database = await openDatabase(config.database);
    try {
      const result = await sql<{
        ssl: boolean;
      }>`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`.execute(database.db);
      assert.equal(result.rows[0]?.ssl, true);
    } finally {
      await database.close();
    }
  });

  it('refuses a certificate from another authority, with a clear message', async () => {
    await assert.rejects(
      encrypted(`${cluster.url()}?sslmode=verify-full&sslrootcert=${stranger.cert}`),
      /self-signed certificate in certificate chain|unable to verify/,
    );
    const result = await runCli(
      ['db', 'status'],
      cliEnv({ DATABASE_URL: `${cluster.url()}?sslmode=verify-ca&sslrootcert=${stranger.cert}` }),
    );
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /the database server's TLS certificate was refused .* Check sslrootcert/,
    );
  });

  it('refuses a host name the certificate does not name', async () => {
    const otherHost = cluster.url().replace('127.0.0.1', '127.0.0.2');
    assert.equal(
      await encrypted(`${otherHost}?sslmode=require`),
      true,
      '127.0.0.2 reaches the same server',
    );
    await assert.rejects(
      encrypted(`${otherHost}?sslmode=verify-full&sslrootcert=${authority.cert}`),
      /IP: 127\.0\.0\.2 is not in the cert's list/,
    );
    assert.equal(
      await encrypted(`${otherHost}?sslmode=verify-ca&sslrootcert=${authority.cert}`),
      true,
      'verify-ca does not check the name',
    );
  });
});
