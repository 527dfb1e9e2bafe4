// PostgreSQL settings of the native stack: the same as docker-compose.yml gives the
// postgres service (tests/stack-settings.test.ts keeps the two in step), sized for its
// 170MB share of the budget. Durable by default; the opt-in Rinha mode gives up only
// the last instants of acknowledged transactions on a crash of PostgreSQL, never
// consistency (no fsync=off, no unlogged tables).

/** Durable: fsync and synchronous_commit stay on; a 200 survives any crash. */
export const DURABLE_SETTINGS: Readonly<Record<string, string>> = {
  max_connections: '20',
  shared_buffers: '32MB',
  effective_cache_size: '64MB',
  work_mem: '2MB',
  maintenance_work_mem: '16MB',
  autovacuum_max_workers: '2',
  max_parallel_workers_per_gather: '0',
  jit: 'off',
  huge_pages: 'off',
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
};

/**
 * Rinha mode: commits return before their WAL reaches disk. A crash of PostgreSQL
 * (not of the ledger or a facade) can lose the last ~0.6 s of acknowledged
 * transactions (three times wal_writer_delay); the database stays consistent.
 */
export const RINHA_SETTINGS: Readonly<Record<string, string>> = {
  ...DURABLE_SETTINGS,
  synchronous_commit: 'off',
};
