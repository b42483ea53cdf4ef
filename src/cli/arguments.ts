/** Parsers for command-line values: a bad one stops the command with a usage error. */
import { InvalidArgumentError } from 'commander';

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < 1)
    throw new InvalidArgumentError('a whole number from 1 up');
  return parsed;
}

export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || parsed <= 0 || parsed > 100) {
    throw new InvalidArgumentError('a number above 0, at most 100');
  }
  return parsed;
}

export function wholeNumber(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('a whole number');
  return Number(value);
}

export function portNumber(value: string): number {
  const parsed = Number(value);
  if (!/^\d{1,5}$/.test(value) || parsed < 1 || parsed > 65535) {
    throw new InvalidArgumentError('a port from 1 to 65535');
  }
  return parsed;
}
