// Original file: ledger/v1/ledger.proto

/**
 * Whether a transaction adds money to the account or takes it out.
 */
export const TransactionKind = {
  /**
   * Never valid in a request: the kind must be chosen explicitly.
   */
  TRANSACTION_KIND_UNSPECIFIED: 'TRANSACTION_KIND_UNSPECIFIED',
  /**
   * Adds the amount to the balance.
   */
  TRANSACTION_KIND_CREDIT: 'TRANSACTION_KIND_CREDIT',
  /**
   * Subtracts the amount from the balance; refused if the balance would go
   * below minus the client's limit.
   */
  TRANSACTION_KIND_DEBIT: 'TRANSACTION_KIND_DEBIT',
} as const;

/**
 * Whether a transaction adds money to the account or takes it out.
 */
export type TransactionKindInput =
  /**
   * Never valid in a request: the kind must be chosen explicitly.
   */
  | 'TRANSACTION_KIND_UNSPECIFIED'
  | 0
  /**
   * Adds the amount to the balance.
   */
  | 'TRANSACTION_KIND_CREDIT'
  | 1
  /**
   * Subtracts the amount from the balance; refused if the balance would go
   * below minus the client's limit.
   */
  | 'TRANSACTION_KIND_DEBIT'
  | 2

/**
 * Whether a transaction adds money to the account or takes it out.
 */
export type TransactionKind = typeof TransactionKind[keyof typeof TransactionKind]
