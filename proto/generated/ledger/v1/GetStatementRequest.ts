// Original file: ledger/v1/ledger.proto


export interface GetStatementRequestInput {
  /**
   * The client account, a positive integer.
   */
  'clientId'?: (number);
}

export interface GetStatementRequest {
  /**
   * The client account, a positive integer.
   */
  'clientId': (number);
}
