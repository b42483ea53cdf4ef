import { Type, type TSchema } from '@sinclair/typebox';

/** Shared pieces of the route schemas; the OpenAPI document is generated from them. */

export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const Money = Type.String({
  pattern: '^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,2})?$',
  description: 'A decimal amount with at most two places, e.g. "1500.00"',
  examples: ['1500.00'],
});

export const Timestamp = Type.String({ format: 'date-time' });

export const Cursor = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'The nextCursor of the previous page',
});

export const limit = (defaultValue: number, maximum: number) =>
  Type.Integer({ minimum: 1, maximum, default: defaultValue });

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({ code: Type.String(), message: Type.String() }),
  },
  { $id: 'ErrorResponse' },
);

export const ErrorRef = Type.Ref('ErrorResponse');

/** Error responses every authenticated route can give, plus the ones listed. */
export function withErrors<T extends Record<number, TSchema>>(
  success: T,
  ...statuses: number[]
): T & Record<number, TSchema> {
  const responses: Record<number, TSchema> = { ...success };
  for (const status of [400, ...statuses]) responses[status] = ErrorRef;
  return responses as T & Record<number, TSchema>;
}

export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const IdempotencyHeaders = (required: boolean) =>
  Type.Object({
    'idempotency-key': required
      ? Type.String({ minLength: 1, maxLength: 255 })
      : Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  });

export const bearerAuth = [{ bearerAuth: [] }];
