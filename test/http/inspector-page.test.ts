/**
 * The /_inspector page in a real browser (Debian's Chromium, driven by
 * playwright-core): load it, make a request, see it appear, open its SQL,
 * run EXPLAIN. The screenshot in docs/ is taken here.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { openInMemoryDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrator/index.js';
import { buildTestApp, createChamaVia, registerUser } from '../support/api.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const noBrowser = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
if (noBrowser && process.env.CI === 'true') throw new Error(`CI=true but ${noBrowser}`);

describe('the /_inspector page in a real browser', { skip: noBrowser }, () => {
  let database: Database;
  let app: FastifyInstance;
  let browser: Browser;
  let base: string;
  before(async () => {
    database = await openInMemoryDatabase();
    await migrateToLatest(database.db);
    app = await buildTestApp(database);
    const chair = await registerUser(app);
    for (let i = 0; i < 3; i++) await createChamaVia(app, chair, { tags: ['savings'] });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  it('shows a new request, its SQL and an EXPLAIN plan', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/_inspector`);
    await page.getByRole('heading', { name: 'ChamaHub query inspector' }).waitFor();

    const listed = await fetch(`${base}/api/chamas?limit=50&tag=savings`);
    assert.equal(listed.status, 200);
    const row = page.locator('tr.request', { hasText: '/api/chamas?limit=50&tag=savings' });
    await row.waitFor({ timeout: 10_000 });
    assert.match(await row.innerText(), /200\s+1 \/ 1/);

    await row.click();
    // One row: PostgreSQL renders the whole page as JSON.
    const statement = page.locator('.statement', { hasText: 'FROM chamas c' }).first();
    await statement.waitFor();
    assert.match(
      await statement.innerText(),
      /SELECT [\s\S]*FROM chamas c[\s\S]*1 rows? · \d+ parameters/,
    );

    await statement.getByRole('button', { name: 'EXPLAIN' }).click();
    const plan = statement.locator('pre.plan');
    await plan.waitFor({ timeout: 10_000 });
    assert.match(
      await plan.innerText(),
      /^OK: no sequential scan on a large table[\s\S]*(Scan|Limit)/,
    );

    // CHAMAHUB_UPDATE_SCREENSHOT=1 refreshes the picture in the README.
    const shots = process.env.CHAMAHUB_UPDATE_SCREENSHOT === '1' ? DOCS : tmpdir() + path.sep;
    await mkdir(shots, { recursive: true });
    await page.screenshot({ path: `${shots}inspector.png`, fullPage: true });
    await page.close();
  });

  it('is closed in production without the admin token', async () => {
    const production = await buildTestApp(database, {
      NODE_ENV: 'production',
      ADMIN_TOKEN: 'inspector-admin-token-0123456789abcdef',
    });
    try {
      assert.equal(
        (await production.inject({ method: 'GET', url: '/_inspector' })).statusCode,
        401,
      );
      const withToken = await production.inject({
        method: 'GET',
        url: '/_inspector?token=inspector-admin-token-0123456789abcdef',
      });
      assert.equal(withToken.statusCode, 200);
      assert.match(withToken.body, /ChamaHub query inspector/);
    } finally {
      await production.close();
    }
  });
});
