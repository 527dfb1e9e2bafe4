// PostgreSQL settings of the native stack, for a small ledger database. Durable by
// default; the opt-in Rinha mode gives up only the last instants of acknowledged
// transactions on a crash (never consistency: no fsync=off, no unlogged tables).

/** Durable: fsync and synchronous_commit stay on; a 200 survives any crash. */
export const DURABLE_SETTINGS: Readonly<Record<string, string>> = {
  max_connections: '40',
  shared_buffers: '64MB',
  // Concurrent commits share one WAL flush: a small wait lets them group.
  commit_delay: '0',
  wal_buffers: '4MB',
  max_wal_size: '256MB',
  checkpoint_timeout: '5min',
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
};

/**
 * Rinha mode: commits return before their WAL reaches disk. A crash of PostgreSQL
 * (not of the ledger or a facade) can lose the last ~0.6 s of acknowledged
 * transactions; the database stays consistent.
 */
export const RINHA_SETTINGS: Readonly<Record<string, string>> = {
  ...DURABLE_SETTINGS,
  synchronous_commit: 'off',
};
