import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { callerOf, requireCaller } from '../authentication.js';
import { bearerAuth, Id, withErrors } from '../schemas.js';
import type { Services } from '../services.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Phone = Type.String({
  pattern: '^\\+[1-9][0-9]{7,14}$',
  description: 'E.164, e.g. +254712345678',
});

const Me = Type.Object({
  id: Id,
  email: Type.String(),
  firstName: Type.String(),
  lastName: Type.String(),
  walletAccountId: Type.Union([Id, Type.Null()]),
});

const Preferences = Type.Object({
  theme: Type.Union([Type.Literal('light'), Type.Literal('dark')]),
  language: Type.Union([Type.Literal('en'), Type.Literal('sw')]),
  notifications: Type.Object({ email: Type.Boolean(), sms: Type.Boolean() }),
});

const PreferencesPatch = Type.Object(
  {
    theme: Type.Optional(Type.Union([Type.Literal('light'), Type.Literal('dark')])),
    language: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('sw')])),
    notifications: Type.Optional(
      Type.Object(
        { email: Type.Optional(Type.Boolean()), sms: Type.Optional(Type.Boolean()) },
        { additionalProperties: false, minProperties: 1 },
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const authRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const authenticated = requireCaller(services.auth);

  app.post(
    '/api/auth/register',
    {
      // insert the user and both accounts in one transaction.
      config: { queryBudget: 4 },
      schema: {
        tags: ['accounts'],
        summary: 'Create an account; a wallet opens with it',
        body: Type.Object(
          {
            email: Email,
            password: Type.String({ minLength: 10, maxLength: 200 }),
            firstName: Name,
            lastName: Name,
            phone: Type.Optional(Phone),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: Me }, 409),
      },
    },
    async (request, reply) => {
      const user = await services.auth.register(request.body);
      return reply.status(201).send({
        id: Number(user.id),
        email: user.email,
        firstName: user.firstName,
        lastName: user.lastName,
        walletAccountId: Number(user.walletAccountId),
      });
    },
  );

  app.post(
    '/api/auth/login',
    {
      // throttle check, user by email, new session, and clearing old failures.
      config: { queryBudget: 4 },
      schema: {
        tags: ['accounts'],
        summary: 'Sign in (contract L): returns a bearer token',
        body: Type.Object(
          {
            email: Type.String({ minLength: 1, maxLength: 254 }),
            password: Type.String({ maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 200: Type.Object({ token: Type.String() }) }, 401, 429),
      },
    },
    async (request) => {
      const token = await services.auth.login(
        request.body.email,
        request.body.password,
        request.ip,
      );
      return { token };
    },
  );

  app.post(
    '/api/auth/logout',
    {
      config: { queryBudget: 2 },
      preHandler: authenticated,
      schema: {
        tags: ['accounts'],
        summary: 'Revoke the token this request is signed with',
        security: bearerAuth,
        response: withErrors({ 204: Type.Null() }, 401),
      },
    },
    async (request, reply) => {
      await services.auth.logout(callerOf(request).sessionId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/me',
    {
      config: { queryBudget: 1 },
      preHandler: authenticated,
      schema: {
        tags: ['accounts'],
        summary: 'The signed-in user (contract M)',
        security: bearerAuth,
        response: withErrors({ 200: Me }, 401),
      },
    },
    (request) => {
      const caller = callerOf(request);
      return {
        id: Number(caller.userId),
        email: caller.email,
        firstName: caller.firstName,
        lastName: caller.lastName,
        walletAccountId: caller.walletAccountId === null ? null : Number(caller.walletAccountId),
      };
    },
  );

  app.get(
    '/api/me/preferences',
    {
      config: { queryBudget: 2 },
      preHandler: authenticated,
      schema: {
        tags: ['accounts'],
        summary: 'Theme, language and notification preferences',
        security: bearerAuth,
        response: withErrors({ 200: Preferences }, 401),
      },
    },
    (request) => services.users.preferences(callerOf(request).userId),
  );

  app.patch(
    '/api/me/preferences',
    {
      config: { queryBudget: 2 },
      preHandler: authenticated,
      schema: {
        tags: ['accounts'],
        summary: 'Change preferences; nested keys merge ({"notifications":{"sms":true}})',
        security: bearerAuth,
        body: PreferencesPatch,
        response: withErrors({ 200: Preferences }, 401),
      },
    },
    (request) => services.users.updatePreferences(callerOf(request).userId, request.body),
  );

  app.get(
    '/api/me/chamas',
    {
      config: { queryBudget: 2 },
      preHandler: authenticated,
      schema: {
        tags: ['chamas'],
        summary: 'The chamas I belong to, with my role and status in each',
        security: bearerAuth,
        response: withErrors(
          {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  id: Id,
                  name: Type.String(),
                  isActive: Type.Boolean(),
                  role: Type.String(),
                  status: Type.String(),
                  joinedAt: Type.String({ format: 'date-time' }),
                }),
              ),
            }),
          },
          401,
        ),
      },
    },
    async (request) => {
      const rows = await services.chamas.mine(callerOf(request).userId);
      return {
        items: rows.map((row) => ({
          id: Number(row.id),
          name: row.name,
          isActive: row.is_active,
          role: row.role,
          status: row.status,
          joinedAt: row.joined_at.toISOString(),
        })),
      };
    },
  );
  return Promise.resolve();
};
