import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatCents,
  InvalidAmountError,
  MAX_AMOUNT_CENTS,
  parseAmount,
  parsePositiveAmount,
} from './money.js';

describe('money', () => {
  it('parses decimal strings into exact cents', () => {
    assert.equal(parseAmount('1500.00'), 150000n);
    assert.equal(parseAmount('1500.5'), 150050n);
    assert.equal(parseAmount('1500'), 150000n);
    assert.equal(parseAmount('0.01'), 1n);
    assert.equal(parseAmount('0.10'), 10n);
    // 0.1 + 0.2 style drift cannot happen: the digits are read, not computed.
    assert.equal(parseAmount('999999999999.99'), 99999999999999n);
  });

  it('rejects anything that is not a plain two-place decimal', () => {
    for (const bad of [
      '',
      '1.005',
      '-1.00',
      '+1',
      '1e3',
      '01.00',
      '1,000.00',
      ' 1',
      'NaN',
      '.5',
      '1.',
    ]) {
      assert.throws(() => parseAmount(bad), InvalidAmountError, bad);
    }
  });

  it('requires a positive amount within the limit where money moves', () => {
    assert.throws(() => parsePositiveAmount('0.00'), /greater than zero/);
    assert.equal(parsePositiveAmount(formatCents(MAX_AMOUNT_CENTS)), MAX_AMOUNT_CENTS);
    assert.throws(() => parsePositiveAmount(formatCents(MAX_AMOUNT_CENTS + 1n)), /must not exceed/);
  });

  it('formats cents with exactly two places', () => {
    assert.equal(formatCents(150000n), '1500.00');
    assert.equal(formatCents(5n), '0.05');
    assert.equal(formatCents(-5n), '-0.05');
    assert.equal(formatCents(0n), '0.00');
    assert.equal(formatCents(123456789012345678901n), '1234567890123456789.01');
  });

  it('round-trips every formatted amount', () => {
    for (const cents of [1n, 99n, 100n, 101n, 1234567n, MAX_AMOUNT_CENTS]) {
      assert.equal(parseAmount(formatCents(cents)), cents);
    }
  });
});
