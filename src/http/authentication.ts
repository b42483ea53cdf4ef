import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { AuthService } from '../domain/auth/auth-service.js';
import type { AuthenticatedUser } from '../domain/auth/session-repository.js';
import { forbidden, unauthenticated } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: AuthenticatedUser;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9_-]{16,128})$/;

/** A preHandler that admits only requests with a live bearer token. */
export function requireCaller(auth: AuthService) {
  return async (request: FastifyRequest): Promise<void> => {
    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match?.[1]) {
      throw unauthenticated('unauthenticated', 'Sign in and send Authorization: Bearer <token>');
    }
    const caller = await auth.authenticate(match[1]);
    if (!caller) throw unauthenticated('invalid_token', 'The token is unknown, expired or revoked');
    request.caller = caller;
  };
}

/** The signed-in user of a request that passed requireCaller. */
export function callerOf(request: FastifyRequest): AuthenticatedUser {
  if (!request.caller) throw unauthenticated('unauthenticated', 'Sign in first');
  return request.caller;
}

/**
 * A preHandler for operator endpoints: the bearer token must equal
 * ADMIN_TOKEN. Compared as digests in constant time, so timing tells nothing.
 */
export function requireAdmin(adminToken: string | undefined) {
  const expected = adminToken ? digest(adminToken) : undefined;
  return async (request: FastifyRequest): Promise<void> => {
    if (!expected) {
      throw forbidden('admin_disabled', 'Admin endpoints are off: set ADMIN_TOKEN to use them');
    }
    const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      throw unauthenticated('admin_token_required', 'Send Authorization: Bearer <ADMIN_TOKEN>');
    }
    return Promise.resolve();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
