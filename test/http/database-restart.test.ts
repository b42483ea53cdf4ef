import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrator/index.js';
import { buildTestApp, errorCode } from '../support/api.js';
import { describeOnServer } from '../support/databases.js';
import { createThrowawayCluster, type ThrowawayCluster } from '../support/throwaway-cluster.js';

describeOnServer('a database restart while requests flow', () => {
  let cluster: ThrowawayCluster;
  let database: Database;
  let app: FastifyInstance;
  before(async () => {
    cluster = await createThrowawayCluster();
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE chamahub');
    await admin.end();
    const url = cluster.url('chamahub');
    database = await openDatabase({
      engine: 'postgres',
      url,
      migrationUrl: url,
      connectTimeoutMs: 1_000,
    });
    await migrateToLatest(database.db);
    app = await buildTestApp(database);
  });
  after(async () => {
    await app?.close();
    await database?.close();
    await cluster?.remove();
  });

  it('answers 503 during the outage, never crashes, and recovers by itself', async () => {
    const seen: { at: number; status: number; code?: string }[] = [];
    let running = true;
    const traffic = (async () => {
      while (running) {
        const response = await app.inject({ method: 'GET', url: '/api/chamas' });
        seen.push({
          at: Date.now(),
          status: response.statusCode,
          ...(response.statusCode >= 400 ? { code: errorCode(response) } : {}),
        });
        await sleep(20);
      }
    })();
    await sleep(500);
    await cluster.stop();
    await sleep(1_500);
    await cluster.start();
    const backAt = Date.now();
    const deadline = backAt + 10_000;
    while (
      Date.now() < deadline &&
      !seen.some((entry) => entry.at > backAt && entry.status === 200)
    ) {
      await sleep(50);
    }
    running = false;
    await traffic;

    const statuses = new Set(seen.map((entry) => entry.status));
    assert.deepEqual(
      [...statuses].filter((status) => status !== 200 && status !== 503),
      [],
      JSON.stringify([...statuses]),
    );
    const outage = seen.filter((entry) => entry.status === 503);
    assert.ok(outage.length > 0, 'requests during the outage got 503');
    assert.ok(
      outage.every(
        (entry) => entry.code === 'database_unavailable' || entry.code === 'database_busy',
      ),
    );
    const recovered = seen.find((entry) => entry.at > backAt && entry.status === 200);
    assert.ok(recovered, 'traffic succeeds again once the server is back');
    assert.ok(recovered.at - backAt < 5_000, `recovered after ${recovered.at - backAt} ms`);
  });
});
