/** Drives the real HTTP app through inject(), as a client would. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { Database } from '../../src/db/database.js';
import { buildApp } from '../../src/http/app.js';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', ...env });
}

export interface TestAppOptions {
  /** Why this app may run duplicate or N+1 SQL; without it such a request fails its test. */
  readonly allowQueryProblems?: string;
  readonly logStream?: NodeJS.WritableStream;
}

/**
 * The real app on a test database. A request whose SQL repeats itself (the
 * same statement twice, or one shape five times: an N+1 loop), or exceeds its
 * route's query budget, makes inject() throw, so the test fails at that call.
 */
export async function buildTestApp(
  database: Database,
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<FastifyInstance> {
  const app = await buildApp({
    config: testConfig(env),
    database,
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  if (options.allowQueryProblems) return app;
  const inject = app.inject.bind(app);
  const checked = async (request: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const response = await inject(request);
    const problems = response.headers['x-query-problems'];
    if (typeof problems === 'string') {
      const what =
        typeof request === 'string'
          ? request
          : `${request.method ?? 'GET'} ${typeof request.url === 'string' ? request.url : JSON.stringify(request.url)}`;
      throw new assert.AssertionError({
        message: `${what} ran problem SQL: ${decodeURIComponent(problems)}`,
      });
    }
    return response;
  };
  app.inject = checked as typeof app.inject;
  return app;
}

export interface TestUser {
  readonly id: number;
  readonly email: string;
  readonly token: string;
  readonly walletAccountId: number;
}

export const PASSWORD = 'harambee-2026';
const unique = () => randomBytes(5).toString('hex');

export async function registerUser(
  app: FastifyInstance,
  overrides: Partial<{ email: string; phone: string; firstName: string }> = {},
): Promise<TestUser> {
  const email = overrides.email ?? `member-${unique()}@example.com`;
  const registered = await app.inject({
    method: 'POST',
    url: '/api/auth/register',
    payload: {
      email,
      password: PASSWORD,
      firstName: overrides.firstName ?? 'Achieng',
      lastName: 'Odhiambo',
      ...(overrides.phone ? { phone: overrides.phone } : {}),
    },
  });
  assert.equal(registered.statusCode, 201, registered.body);
  const user = registered.json<{ id: number; walletAccountId: number }>();
  const login = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password: PASSWORD },
  });
  assert.equal(login.statusCode, 200, login.body);
  return {
    id: user.id,
    email,
    token: login.json<{ token: string }>().token,
    walletAccountId: user.walletAccountId,
  };
}

/** inject() with the user's bearer token. */
export function as(
  app: FastifyInstance,
  user: TestUser,
  options: InjectOptions & { method: string; url: string },
): Promise<LightMyRequestResponse> {
  return app.inject({
    ...options,
    headers: { ...(options.headers ?? {}), authorization: `Bearer ${user.token}` },
  } as InjectOptions);
}

export interface TestChama {
  readonly id: number;
  readonly walletAccountId: number;
}

export async function createChamaVia(
  app: FastifyInstance,
  chair: TestUser,
  body: Record<string, unknown> = {},
): Promise<TestChama> {
  const response = await as(app, chair, {
    method: 'POST',
    url: '/api/chamas',
    payload: {
      name: `Umoja ${unique()}`,
      description: 'Monthly savings',
      tags: ['savings'],
      ...body,
    },
  });
  assert.equal(response.statusCode, 201, response.body);
  const chama = response.json<{ id: number; walletAccountId: number }>();
  return { id: chama.id, walletAccountId: chama.walletAccountId };
}

export async function addMemberVia(
  app: FastifyInstance,
  chair: TestUser,
  chamaId: number,
  member: TestUser,
  role = 'member',
): Promise<void> {
  const response = await as(app, chair, {
    method: 'POST',
    url: `/api/chamas/${chamaId}/members`,
    payload: { email: member.email, role },
  });
  assert.equal(response.statusCode, 201, response.body);
}

export function errorCode(response: LightMyRequestResponse): string {
  return response.json<{ error: { code: string } }>().error.code;
}

export const newReference = () => randomBytes(5).toString('hex').toUpperCase();
