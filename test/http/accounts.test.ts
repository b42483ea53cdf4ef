import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { API_ENGINES, describeEachEngine } from '../support/databases.js';
import { as, buildTestApp, errorCode, PASSWORD, registerUser } from '../support/api.js';

describeEachEngine(
  'accounts and sessions',
  (database) => {
    let app: FastifyInstance;
    before(async () => {
      app = await buildTestApp(database(), {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
        LOGIN_MAX_FAILURES_PER_ADDRESS: '1000',
      });
    });
    after(async () => {
      await app.close();
    });

    const register = (payload: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/api/auth/register', payload });
    const login = (email: string, password: string, remoteAddress = '127.0.0.1') =>
      app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email, password },
        remoteAddress,
      });

    it('registers a user with a wallet, stores an Argon2id hash, and refuses the email again in any case', async () => {
      const response = await register({
        email: 'Wanjiru.Mwangi@example.com',
        password: 'tujenge-pamoja-1',
        firstName: 'Wanjiru',
        lastName: 'Mwangi',
        phone: '+254711000111',
      });
      assert.equal(response.statusCode, 201, response.body);
      const user = response.json<{ id: number; walletAccountId: number; email: string }>();
      assert.equal(user.email, 'Wanjiru.Mwangi@example.com');
      assert.ok(Number.isInteger(user.walletAccountId));

      const stored = await database()
        .db.selectFrom('users')
        .select('password_hash')
        .where('id', '=', BigInt(user.id))
        .executeTakeFirstOrThrow();
      assert.match(stored.password_hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

      const again = await register({
        email: 'wanjiru.mwangi@EXAMPLE.com',
        password: 'another-password',
        firstName: 'W',
        lastName: 'M',
      });
      assert.equal(again.statusCode, 409);
      assert.equal(errorCode(again), 'email_taken');

      const samePhone = await register({
        email: 'someone.else@example.com',
        password: 'another-password',
        firstName: 'S',
        lastName: 'E',
        phone: '+254711000111',
      });
      assert.equal(samePhone.statusCode, 409);
      assert.equal(errorCode(samePhone), 'phone_taken');
    });

    it('refuses malformed registrations with 400 and writes nothing', async () => {
      const before = await database()
        .db.selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      for (const payload of [
        { email: 'not-an-email', password: 'long-enough-1', firstName: 'A', lastName: 'B' },
        { email: 'a@example.com', password: 'short', firstName: 'A', lastName: 'B' },
        { email: 'a@example.com', password: 'long-enough-1', firstName: '', lastName: 'B' },
        {
          email: 'a@example.com',
          password: 'long-enough-1',
          firstName: 'A',
          lastName: 'B',
          phone: '0712',
        },
        {
          email: 'a@example.com',
          password: 'long-enough-1',
          firstName: 'A',
          lastName: 'B',
          isAdmin: true,
        },
        { email: 'a@example.com' },
      ]) {
        const response = await register(payload);
        assert.equal(response.statusCode, 400, JSON.stringify(payload));
        assert.equal(errorCode(response), 'validation_failed');
      }
      const malformedJson = await app.inject({
        method: 'POST',
        url: '/api/auth/register',
        headers: { 'content-type': 'application/json' },
        payload: '{"email": ',
      });
      assert.equal(malformedJson.statusCode, 400);
      const after = await database()
        .db.selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(after.n, before.n);
    });

    it('signs in with the right password only, and M returns the caller (contract L and M)', async () => {
      const user = await registerUser(app);
      const wrong = await login(user.email, 'not-the-password');
      assert.equal(wrong.statusCode, 401);
      assert.equal(errorCode(wrong), 'invalid_credentials');
      const unknown = await login('nobody@example.com', PASSWORD);
      assert.equal(unknown.statusCode, 401);

      const me = await as(app, user, { method: 'GET', url: '/api/me' });
      assert.equal(me.statusCode, 200);
      assert.deepEqual(Object.keys(me.json<object>()).sort(), [
        'email',
        'firstName',
        'id',
        'lastName',
        'walletAccountId',
      ]);
      assert.equal(me.json<{ id: number }>().id, user.id);
      assert.equal(me.json<{ walletAccountId: number }>().walletAccountId, user.walletAccountId);
    });

    it('refuses requests without a valid token', async () => {
      const none = await app.inject({ method: 'GET', url: '/api/me' });
      assert.equal(none.statusCode, 401);
      const garbage = await app.inject({
        method: 'GET',
        url: '/api/me',
        headers: { authorization: 'Bearer not-a-token-at-all-123' },
      });
      assert.equal(garbage.statusCode, 401);
      assert.equal(errorCode(garbage), 'invalid_token');
      const wrongScheme = await app.inject({
        method: 'GET',
        url: '/api/me',
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
      });
      assert.equal(wrongScheme.statusCode, 401);
    });

    it('revokes the token on logout', async () => {
      const user = await registerUser(app);
      const out = await as(app, user, { method: 'POST', url: '/api/auth/logout' });
      assert.equal(out.statusCode, 204);
      const me = await as(app, user, { method: 'GET', url: '/api/me' });
      assert.equal(me.statusCode, 401);
      const stored = await database()
        .db.selectFrom('sessions')
        .select(['revoked_at'])
        .where('user_id', '=', BigInt(user.id))
        .execute();
      assert.ok(stored.every((session) => session.revoked_at !== null));
    });

    it('refuses a token once it has expired', async () => {
      const uncached = await buildTestApp(database(), { SESSION_CACHE_TTL_MS: '0' });
      try {
        const user = await registerUser(uncached);
        assert.equal((await as(uncached, user, { method: 'GET', url: '/api/me' })).statusCode, 200);
        await sql`UPDATE sessions SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second'
                 WHERE user_id = ${user.id}`.execute(database().db);
        const expired = await as(uncached, user, { method: 'GET', url: '/api/me' });
        assert.equal(expired.statusCode, 401);
        assert.equal(errorCode(expired), 'invalid_token');
      } finally {
        await uncached.close();
      }
    });

    it('ends a cached session at logout, at once', async () => {
      const user = await registerUser(app);
      // Twice, so the second is served from the session cache.
      assert.equal((await as(app, user, { method: 'GET', url: '/api/me' })).statusCode, 200);
      const cached = await as(app, user, { method: 'GET', url: '/api/me' });
      assert.equal(cached.headers['x-query-count'], '0');
      assert.equal(
        (await as(app, user, { method: 'POST', url: '/api/auth/logout' })).statusCode,
        204,
      );
      assert.equal((await as(app, user, { method: 'GET', url: '/api/me' })).statusCode, 401);
    });

    it('rate-limits failed sign-ins per account, without touching other accounts', async () => {
      const victim = await registerUser(app);
      const bystander = await registerUser(app);
      for (let attempt = 0; attempt < 3; attempt++) {
        assert.equal((await login(victim.email, 'guess-' + attempt)).statusCode, 401);
      }
      const blocked = await login(victim.email, PASSWORD);
      assert.equal(blocked.statusCode, 429);
      assert.equal(errorCode(blocked), 'too_many_attempts');
      assert.ok(Number(blocked.headers['retry-after']) > 0);
      // Another account from the same address signs in at once.
      assert.equal((await login(bystander.email, PASSWORD)).statusCode, 200);
    });

    it('rate-limits failed sign-ins per address', async () => {
      const limited = await buildTestApp(database(), {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
        LOGIN_MAX_FAILURES_PER_ADDRESS: '2',
      });
      try {
        const user = await registerUser(app);
        const attempt = (email: string, password: string, remoteAddress: string) =>
          limited.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { email, password },
            remoteAddress,
          });
        assert.equal((await attempt('a@example.com', 'x', '10.9.9.9')).statusCode, 401);
        assert.equal((await attempt('b@example.com', 'x', '10.9.9.9')).statusCode, 401);
        assert.equal((await attempt(user.email, PASSWORD, '10.9.9.9')).statusCode, 429);
        assert.equal((await attempt(user.email, PASSWORD, '10.9.9.10')).statusCode, 200);
      } finally {
        await limited.close();
      }
    });

    it('reads and merges nested preferences', async () => {
      const user = await registerUser(app);
      const initial = await as(app, user, { method: 'GET', url: '/api/me/preferences' });
      assert.deepEqual(initial.json(), {
        theme: 'light',
        language: 'en',
        notifications: { email: true, sms: false },
      });
      const patched = await as(app, user, {
        method: 'PATCH',
        url: '/api/me/preferences',
        payload: { theme: 'dark', notifications: { sms: true } },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.deepEqual(patched.json(), {
        theme: 'dark',
        language: 'en',
        notifications: { email: true, sms: true },
      });
      for (const payload of [
        {},
        { theme: 'purple' },
        { notifications: { push: true } },
        { extra: 1 },
      ]) {
        const bad = await as(app, user, { method: 'PATCH', url: '/api/me/preferences', payload });
        assert.equal(bad.statusCode, 400, JSON.stringify(payload));
      }
      const stored = await as(app, user, { method: 'GET', url: '/api/me/preferences' });
      assert.equal(stored.json<{ theme: string }>().theme, 'dark');
    });
  },
  { engines: API_ENGINES },
);
