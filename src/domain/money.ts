import { DomainError } from './errors.js';

/**
 * Money is integer minor units (cents) held in BigInt, and a decimal string
 * with two places at the edges ("1500.00"). It never passes through a float.
 */
export type Cents = bigint;

/** The largest amount one request may move: 1,000,000,000.00. */
export const MAX_AMOUNT_CENTS: Cents = 100_000_000_000n;

const AMOUNT_PATTERN = /^(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,2}))?$/;

export class InvalidAmountError extends DomainError {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super('invalid', 'invalid_amount', `"${input}" is not a valid amount: ${reason}`);
    this.name = 'InvalidAmountError';
  }
}

/** Parses "1500", "1500.5" or "1500.50" into cents; rejects anything else. */
export function parseAmount(input: string): Cents {
  const match = AMOUNT_PATTERN.exec(input);
  if (!match) {
    throw new InvalidAmountError(input, 'use digits with at most two decimal places, like 1500.00');
  }
  const whole = BigInt(match[1] ?? '0');
  const fraction = BigInt((match[2] ?? '').padEnd(2, '0'));
  return whole * 100n + fraction;
}

/** Parses a positive amount no larger than MAX_AMOUNT_CENTS. */
export function parsePositiveAmount(input: string): Cents {
  const cents = parseAmount(input);
  if (cents <= 0n) throw new InvalidAmountError(input, 'it must be greater than zero');
  if (cents > MAX_AMOUNT_CENTS) {
    throw new InvalidAmountError(input, `it must not exceed ${formatCents(MAX_AMOUNT_CENTS)}`);
  }
  return cents;
}

/** 150000n → "1500.00"; -5n → "-0.05". */
export function formatCents(cents: Cents): string {
  const sign = cents < 0n ? '-' : '';
  const magnitude = cents < 0n ? -cents : cents;
  const whole = magnitude / 100n;
  const fraction = (magnitude % 100n).toString().padStart(2, '0');
  return `${sign}${whole}.${fraction}`;
}
