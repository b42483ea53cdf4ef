import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalid } from '../../domain/errors.js';
import { formatCents } from '../../domain/money.js';
import { callerOf, requireCaller } from '../authentication.js';
import { bearerAuth, Id, Money, withErrors } from '../schemas.js';
import type { Services } from '../services.js';

const Role = Type.Union([
  Type.Literal('chair'),
  Type.Literal('treasurer'),
  Type.Literal('secretary'),
  Type.Literal('member'),
]);
const AssignableRole = Type.Union([
  Type.Literal('treasurer'),
  Type.Literal('secretary'),
  Type.Literal('member'),
]);
const MemberParams = Type.Object({ chamaId: Id, userId: Id });

const Member = Type.Object({
  userId: Id,
  firstName: Type.String(),
  lastName: Type.String(),
  role: Type.String(),
  status: Type.String(),
  joinedAt: Type.String({ format: 'date-time' }),
});

export const memberRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.addHook('preHandler', requireCaller(services.auth));
  const { members } = services;

  app.get(
    '/api/chamas/:chamaId/members',
    {
      config: { queryBudget: 3 },
      schema: {
        tags: ['members'],
        summary: 'Members with their total contributions (members only)',
        security: bearerAuth,
        params: Type.Object({ chamaId: Id }),
        response: withErrors(
          {
            200: Type.Object({
              items: Type.Array(Type.Composite([Member, Type.Object({ totalContributed: Money })])),
            }),
          },
          401,
          403,
          404,
        ),
      },
    },
    async (request) => {
      const rows = await members.list(BigInt(request.params.chamaId), callerOf(request).userId);
      return {
        items: rows.map((row) => ({
          userId: Number(row.user_id),
          firstName: row.first_name,
          lastName: row.last_name,
          role: row.role,
          status: row.status,
          joinedAt: row.joined_at.toISOString(),
          totalContributed: formatCents(row.total),
        })),
      };
    },
  );

  app.post(
    '/api/chamas/:chamaId/members',
    {
      config: { queryBudget: 6 },
      schema: {
        tags: ['members'],
        summary: 'Add an existing user by email or phone (chair or secretary)',
        security: bearerAuth,
        params: Type.Object({ chamaId: Id }),
        body: Type.Object(
          {
            email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
            phone: Type.Optional(Type.String({ pattern: '^\\+[1-9][0-9]{7,14}$' })),
            role: Type.Optional(AssignableRole),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: Member }, 401, 403, 404, 409, 422),
      },
    },
    async (request, reply) => {
      const { email, phone, role } = request.body;
      if ((email === undefined) === (phone === undefined)) {
        throw invalid('email_or_phone', 'Give exactly one of email or phone');
      }
      const added = await members.add(
        BigInt(request.params.chamaId),
        callerOf(request).userId,
        { email, phone },
        role,
      );
      return reply.status(201).send({
        userId: Number(added.user_id),
        firstName: added.first_name,
        lastName: added.last_name,
        role: added.role,
        status: added.status,
        joinedAt: added.joined_at.toISOString(),
      });
    },
  );

  app.patch(
    '/api/chamas/:chamaId/members/:userId',
    {
      // Handing the chair over also updates the old chair and the chama.
      config: { queryBudget: 7 },
      schema: {
        tags: ['members'],
        summary: 'Change a role, or suspend and reinstate a member (chair only)',
        description: 'Giving someone the chair role hands the chair over; you become a member.',
        security: bearerAuth,
        params: MemberParams,
        body: Type.Object(
          {
            role: Type.Optional(Role),
            status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended')])),
          },
          { additionalProperties: false, minProperties: 1, maxProperties: 1 },
        ),
        response: withErrors({ 204: Type.Null() }, 401, 403, 404, 422),
      },
    },
    async (request, reply) => {
      const chamaId = BigInt(request.params.chamaId);
      const userId = BigInt(request.params.userId);
      const callerId = callerOf(request).userId;
      if (request.body.role !== undefined) {
        await members.changeRole(chamaId, callerId, userId, request.body.role);
      } else if (request.body.status !== undefined) {
        await members.changeStatus(chamaId, callerId, userId, request.body.status);
      }
      return reply.status(204).send(null);
    },
  );

  app.delete(
    '/api/chamas/:chamaId/members/:userId',
    {
      config: { queryBudget: 6 },
      schema: {
        tags: ['members'],
        summary: 'Remove a member (chair only); their contributions stay on record',
        security: bearerAuth,
        params: MemberParams,
        response: withErrors({ 204: Type.Null() }, 401, 403, 404, 422),
      },
    },
    async (request, reply) => {
      await members.changeStatus(
        BigInt(request.params.chamaId),
        callerOf(request).userId,
        BigInt(request.params.userId),
        'exited',
      );
      return reply.status(204).send(null);
    },
  );
  return Promise.resolve();
};
