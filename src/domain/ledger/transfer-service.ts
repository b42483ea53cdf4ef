import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { forbidden, invalid, notFound, unprocessable } from '../errors.js';
import type { IdempotencyService, IdempotentRequest } from '../idempotency/idempotency-service.js';
import { formatCents, type Cents } from '../money.js';
import { findAccountForReader, lockAccounts } from './account-repository.js';
import { postLedgerTransaction } from './ledger-repository.js';

/** A transfer as stored for replay: JSON-safe, money as a two-place string. */
export interface TransferReceipt {
  readonly id: number;
  readonly fromAccountId: number;
  readonly toAccountId: number;
  readonly amount: string;
  readonly currency: string;
  readonly createdAt: string;
}

export interface TransferInput {
  readonly fromAccountId: bigint;
  readonly toAccountId: bigint;
  readonly amount: Cents;
}

export class TransferService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Moves money between two wallets in one transaction. Both accounts are
   * locked in ascending id order before the balance is checked, so concurrent
   * transfers cannot overdraw or deadlock; the ledger's triggers and checks
   * are the last line of defence.
   */
  async transfer(callerId: bigint, input: TransferInput, request: IdempotentRequest | undefined) {
    if (input.fromAccountId === input.toAccountId) {
      throw invalid('same_account', 'The source and destination accounts must differ');
    }
    return this.idempotency.run(request, async (trx) => {
      const locked = await lockAccounts(trx, [input.fromAccountId, input.toAccountId], callerId);
      const from = locked.find((account) => account.id === input.fromAccountId);
      const to = locked.find((account) => account.id === input.toAccountId);
      if (!from) throw notFound('account_not_found', `There is no account ${input.fromAccountId}`);
      if (!from.callerMayDebit || from.kind !== 'wallet') {
        throw forbidden('not_account_owner', 'You may only move money out of your own wallets');
      }
      if (!to) throw notFound('account_not_found', `There is no account ${input.toAccountId}`);
      if (to.kind !== 'wallet') {
        throw unprocessable('invalid_destination', 'Money can only be sent to a wallet');
      }
      if (to.currency !== from.currency) {
        throw unprocessable('currency_mismatch', 'Both wallets must hold the same currency');
      }
      if (from.balance < input.amount) {
        throw unprocessable('insufficient_funds', 'The source wallet does not hold that much');
      }
      const posted = await postLedgerTransaction(trx, {
        kind: 'transfer',
        createdBy: callerId,
        idempotencyKey: request?.key,
        entries: [
          { accountId: from.id, amount: -input.amount },
          { accountId: to.id, amount: input.amount },
        ],
      });
      const receipt: TransferReceipt = {
        id: Number(posted.id),
        fromAccountId: Number(from.id),
        toAccountId: Number(to.id),
        amount: formatCents(input.amount),
        currency: from.currency,
        createdAt: posted.createdAt.toISOString(),
      };
      return receipt;
    });
  }

  /** Contract A: an account's balance, for its owner or (chama wallets) the chama's members. */
  async balance(accountId: bigint, readerId: bigint) {
    const account = await findAccountForReader(this.db, accountId, readerId);
    if (!account) throw notFound('account_not_found', `There is no account ${accountId}`);
    if (!account.readable) {
      throw forbidden('not_account_reader', 'You may not see this account');
    }
    return account;
  }
}
