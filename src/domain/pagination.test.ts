import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from './errors.js';
import { decodeCursor, encodeCursor } from './pagination.js';

describe('keyset cursors', () => {
  it('round-trip a position exactly, microseconds included', () => {
    for (const createdAt of ['2026-03-01T08:15:30.123Z', '2026-03-01T08:15:30.123456Z']) {
      const position = { createdAt, id: 9_007_199_254_740_993n };
      assert.deepEqual(decodeCursor(encodeCursor(position)), position);
    }
  });

  it('refuse garbage with a 400-kind error, never a crash', () => {
    const samples = [
      '',
      'not a cursor!',
      'AAAA',
      Buffer.from('{}').toString('base64url'),
      Buffer.from('["2026-01-01T00:00:00.000Z", "-1"]').toString('base64url'),
      Buffer.from('["yesterday", "5"]').toString('base64url'),
      Buffer.from('["2026-02-30T00:00:00.000Z", "5"]').toString('base64url'),
      Buffer.from('["2026-01-01T00:00:00.1234567Z", "5"]').toString('base64url'),
      Buffer.from('["2026-01-01T00:00:00.000Z", 5]').toString('base64url'),
      'x'.repeat(500),
    ];
    for (const sample of samples) {
      assert.throws(
        () => decodeCursor(sample),
        (error: unknown) => error instanceof DomainError && error.kind === 'invalid',
        sample,
      );
    }
  });
});
