import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError, RateLimitedError, type DomainErrorKind } from '../domain/errors.js';
import { isDatabaseUnavailable, isPoolExhausted } from '../db/sqlstate.js';

const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
};

export interface ErrorBody {
  error: { code: string; message: string };
}

const body = (code: string, message: string): ErrorBody => ({ error: { code, message } });

/** The one place where errors become HTTP statuses and the {error:{code,message}} shape. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(body('not_found', `No route for ${request.method} ${request.url}`)),
  );

  app.setErrorHandler((error: FastifyError | DomainError | Error, request, reply) => {
    if (error instanceof RateLimitedError) {
      void reply.header('retry-after', String(error.retryAfterSeconds));
    }
    if (error instanceof DomainError) {
      return reply.status(STATUS_BY_KIND[error.kind]).send(body(error.code, error.message));
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      return reply.status(400).send(body('validation_failed', fastifyError.message));
    }
    if (isPoolExhausted(error)) {
      request.log.warn('no database connection free within the acquire timeout');
      return reply
        .status(503)
        .header('retry-after', '1')
        .send(body('database_busy', 'Every database connection is busy; try again shortly'));
    }
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      return reply
        .status(503)
        .send(body('database_unavailable', 'The database is unavailable; try again shortly'));
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, body too large, wrong content type.
      const code = (fastifyError.code ?? 'bad_request').replace(/^FST_ERR_/, '').toLowerCase();
      return reply.status(status).send(body(code, fastifyError.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(body('internal_error', 'Something went wrong on our side'));
  });
}
