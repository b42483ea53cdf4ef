import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { invalid } from '../../domain/errors.js';
import { formatCents, parsePositiveAmount } from '../../domain/money.js';
import { callerOf, requireCaller } from '../authentication.js';
import { idempotentRequest } from '../idempotency.js';
import {
  bearerAuth,
  Cursor,
  Id,
  IdempotencyHeaders,
  limit,
  Money,
  Page,
  Timestamp,
  withErrors,
} from '../schemas.js';
import type { Services } from '../services.js';
import { sendRenderedPage } from '../rendered.js';

const Method = Type.Union([Type.Literal('mpesa'), Type.Literal('cash'), Type.Literal('bank')]);

const Contribution = Type.Object({
  id: Id,
  chamaId: Id,
  memberId: Id,
  amount: Money,
  method: Method,
  reference: Type.String(),
  createdAt: Timestamp,
});

const StatementItem = Type.Object({
  id: Id,
  amount: Money,
  method: Method,
  reference: Type.String(),
  createdAt: Timestamp,
  runningBalance: Money,
});

const Transfer = Type.Object({
  id: Id,
  fromAccountId: Id,
  toAccountId: Id,
  amount: Money,
  currency: Type.String(),
  createdAt: Timestamp,
});

const PageQuery = Type.Object(
  { limit: limit(50, 200), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

const DAY_MS = 24 * 60 * 60 * 1000;

export const moneyRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  app.addHook('preHandler', requireCaller(services.auth));
  const { contributions, transfers } = services;

  app.post(
    '/api/chamas/:chamaId/contributions',
    {
      // contract B4, with an Idempotency-Key.
      config: { queryBudget: 8 },
      schema: {
        tags: ['money'],
        summary: 'Record a contribution and credit the chama wallet (contract B4)',
        description:
          'The chair or treasurer may record for any member, a member for themself. ' +
          'An optional Idempotency-Key makes a retry safe.',
        security: bearerAuth,
        params: Type.Object({ chamaId: Id }),
        headers: IdempotencyHeaders(false),
        body: Type.Object(
          {
            memberId: Id,
            amount: Money,
            method: Method,
            reference: Type.String({ pattern: '^[A-Za-z0-9-]{4,40}$' }),
          },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: Contribution }, 401, 403, 404, 409, 422),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { value, replayed } = await contributions.record(
        BigInt(request.params.chamaId),
        caller.userId,
        {
          memberId: BigInt(request.body.memberId),
          amount: parsePositiveAmount(request.body.amount),
          method: request.body.method,
          reference: request.body.reference,
        },
        idempotentRequest(request, caller.userId),
      );
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.status(201).send(value);
    },
  );

  app.get(
    '/api/chamas/:chamaId/members/:userId/statement',
    {
      // contract B3.
      config: { queryBudget: 2 },
      schema: {
        tags: ['money'],
        summary: "A member's contributions with running balance (contract B3)",
        security: bearerAuth,
        params: Type.Object({ chamaId: Id, userId: Id }),
        querystring: PageQuery,
        response: withErrors({ 200: Page(StatementItem) }, 401, 403, 404),
      },
    },
    async (request, reply) => {
      const page = await contributions.statement({
        chamaId: BigInt(request.params.chamaId),
        readerId: callerOf(request).userId,
        memberId: BigInt(request.params.userId),
        limit: request.query.limit,
        cursor: request.query.cursor,
      });
      return sendRenderedPage(reply, page);
    },
  );

  app.get(
    '/api/chamas/:chamaId/statement',
    {
      config: { queryBudget: 2 },
      schema: {
        tags: ['money'],
        summary: "The chama's contributions with its running total (members only)",
        security: bearerAuth,
        params: Type.Object({ chamaId: Id }),
        querystring: PageQuery,
        response: withErrors(
          {
            200: Page(
              Type.Composite([
                StatementItem,
                Type.Object({ memberId: Id, memberName: Type.String() }),
              ]),
            ),
          },
          401,
          403,
          404,
        ),
      },
    },
    async (request, reply) => {
      const page = await contributions.statement({
        chamaId: BigInt(request.params.chamaId),
        readerId: callerOf(request).userId,
        limit: request.query.limit,
        cursor: request.query.cursor,
      });
      return sendRenderedPage(reply, page);
    },
  );

  app.get(
    '/api/chamas/:chamaId/contributors/top',
    {
      config: { queryBudget: 3 },
      schema: {
        tags: ['money'],
        summary: 'Members ranked by what they contributed in a period (default: last 30 days)',
        security: bearerAuth,
        params: Type.Object({ chamaId: Id }),
        querystring: Type.Object(
          {
            from: Type.Optional(Timestamp),
            to: Type.Optional(Timestamp),
            limit: limit(10, 100),
          },
          { additionalProperties: false },
        ),
        response: withErrors(
          {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  rank: Type.Integer(),
                  memberId: Id,
                  name: Type.String(),
                  total: Money,
                  contributions: Type.Integer(),
                }),
              ),
            }),
          },
          401,
          403,
          404,
        ),
      },
    },
    async (request) => {
      const to = request.query.to ? new Date(request.query.to) : new Date();
      const from = request.query.from
        ? new Date(request.query.from)
        : new Date(to.getTime() - 30 * DAY_MS);
      if (!(from < to)) throw invalid('invalid_period', '"from" must be before "to"');
      const rows = await contributions.topContributors(
        BigInt(request.params.chamaId),
        callerOf(request).userId,
        { from, to },
        request.query.limit,
      );
      return {
        items: rows.map((row) => ({
          rank: Number(row.rank),
          memberId: Number(row.member_id),
          name: `${row.first_name} ${row.last_name}`,
          total: formatCents(row.total),
          contributions: Number(row.contributions),
        })),
      };
    },
  );

  app.get(
    '/api/accounts/:accountId',
    {
      // contract A.
      config: { queryBudget: 2 },
      schema: {
        tags: ['money'],
        summary: "An account's balance (contract A): its owner, or for a chama wallet its members",
        security: bearerAuth,
        params: Type.Object({ accountId: Id }),
        response: withErrors(
          { 200: Type.Object({ id: Id, balance: Money, currency: Type.String() }) },
          401,
          403,
          404,
        ),
      },
    },
    async (request) => {
      const account = await transfers.balance(
        BigInt(request.params.accountId),
        callerOf(request).userId,
      );
      return {
        id: Number(account.id),
        balance: formatCents(account.balance),
        currency: account.currency,
      };
    },
  );

  app.post(
    '/api/transfers',
    {
      // contract B5, with an Idempotency-Key.
      config: { queryBudget: 8 },
      schema: {
        tags: ['money'],
        summary: 'Move money between wallets (contract B5); Idempotency-Key required',
        description:
          'The same key with the same body returns the first result and moves nothing; ' +
          'with another body it is a 409. Keys are kept at least 24 hours.',
        security: bearerAuth,
        headers: IdempotencyHeaders(true),
        body: Type.Object(
          { fromAccountId: Id, toAccountId: Id, amount: Money },
          { additionalProperties: false },
        ),
        response: withErrors({ 201: Transfer }, 401, 403, 404, 409, 422),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { value, replayed } = await transfers.transfer(
        caller.userId,
        {
          fromAccountId: BigInt(request.body.fromAccountId),
          toAccountId: BigInt(request.body.toAccountId),
          amount: parsePositiveAmount(request.body.amount),
        },
        idempotentRequest(request, caller.userId),
      );
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.status(201).send(value);
    },
  );
  return Promise.resolve();
};
