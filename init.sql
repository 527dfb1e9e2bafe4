-- The ledger's schema and the five clients of the Rinha de Backend 2024/Q1.
--
-- Applied once to a new database (by PostgreSQL's docker-entrypoint-initdb.d in
-- compose, by the native stack otherwise). Every rule the ledger service checks is
-- also a constraint here, as a second line of defence. Every primary key starts
-- with the client id and transactions reference clients by it, so both tables can
-- be distributed and colocated on client_id (Citus) and every transaction stays
-- on one shard.

CREATE TABLE clients (
  id            integer PRIMARY KEY,
  limit_cents   bigint  NOT NULL CHECK (limit_cents >= 0),
  balance_cents bigint  NOT NULL DEFAULT 0,
  CONSTRAINT balance_within_limit CHECK (balance_cents >= -limit_cents),
  -- Balances travel as JavaScript numbers: keep them exact.
  CONSTRAINT balance_is_safe_integer CHECK (balance_cents <= 9007199254740991)
);

CREATE TABLE transactions (
  client_id    integer     NOT NULL REFERENCES clients (id),
  -- Assigned while the client's row lock is held, so per client it follows commit order.
  id           bigint      GENERATED ALWAYS AS IDENTITY,
  amount_cents bigint      NOT NULL CHECK (amount_cents BETWEEN 1 AND 2147483647),
  kind         "char"      NOT NULL CHECK (kind IN ('c', 'd')),
  description  text        NOT NULL CHECK (char_length(description) BETWEEN 1 AND 10),
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- Also the index for "the 10 latest of a client": a short backward index scan.
  PRIMARY KEY (client_id, id)
);

-- BEGIN FUNCTIONS: re-applied by the native stack at every start (CREATE OR REPLACE, IF
-- NOT EXISTS), so a database made by an earlier version gets the tables and functions
-- this version's ledger uses.

-- A caller's idempotency key, scoped to its client account, recorded in the same
-- transaction as the posting it guards, with that posting's outcome: a retry with the
-- same key and the same request gets this outcome back, never a second posting. Keyed by
-- client first, like every table, so it shards with the account.
CREATE TABLE IF NOT EXISTS idempotency_keys (
  client_id      integer     NOT NULL REFERENCES clients (id),
  key            text        NOT NULL CHECK (key ~ '^[!-~]{1,64}$'),
  -- The request, to tell a retry from a different request reusing the key.
  amount_cents   bigint      NOT NULL,
  kind           "char"      NOT NULL,
  description    text        NOT NULL,
  -- The outcome as first answered; a refusal is recorded too and replayed as such.
  outcome        text        NOT NULL
                   CHECK (outcome IN ('applied', 'limit_exceeded', 'balance_overflow')),
  transaction_id bigint,
  limit_cents    bigint      NOT NULL,
  balance_cents  bigint      NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (client_id, key),
  FOREIGN KEY (client_id, transaction_id) REFERENCES transactions (client_id, id),
  CONSTRAINT applied_has_transaction CHECK ((outcome = 'applied') = (transaction_id IS NOT NULL))
);
-- For the background pruning of keys past their retention window.
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at);

-- Applies a batch of credits and debits in one round trip and one commit (group
-- commit: one WAL flush for the whole batch), in array order, returning one outcome
-- per element in the same order. For each, a conditional UPDATE takes the client's row
-- lock and checks the limit against the balance under that lock; the insert follows in
-- the same transaction. A business "no" is a returned outcome, not an exception, so the
-- batch goes on and callers switch on it. The ledger sorts a batch by client id (keeping
-- each client's own order), so concurrent batches take row locks in one order and never
-- deadlock. A posting with an idempotency key (p_idempotency_keys, NULL for none or for
-- a whole batch without keys) first takes its client's row lock, so every use of a key
-- is serialised: a concurrent duplicate waits here, then finds the first one's record.
CREATE OR REPLACE FUNCTION post_transactions(
  p_client_ids integer[],
  p_amounts_cents bigint[],
  p_kinds "char"[],
  p_descriptions text[],
  p_idempotency_keys text[],
  p_lock_wait_ms integer
) RETURNS TABLE (
  outcome text,
  limit_cents bigint,
  balance_cents bigint,
  transaction_id bigint,
  created_at_us bigint,
  replayed boolean
)
LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  v_delta bigint;
  v_key text;
  v_record idempotency_keys%ROWTYPE;
  v_created_at timestamptz;
  -- The batch's row-lock waits share one budget, p_lock_wait_ms in total: what its most
  -- patient caller's deadline allows (the ledger computes it). Past it the transaction
  -- fails and nothing is written, so that refusal reaches every caller in time.
  v_until timestamptz := clock_timestamp() + p_lock_wait_ms * interval '1 millisecond';
  v_left_ms integer;
  v_lock_timeout_ms integer := p_lock_wait_ms;
BEGIN
  PERFORM set_config('lock_timeout', p_lock_wait_ms || 'ms', true);
  FOR i IN 1 .. coalesce(array_length(p_client_ids, 1), 0) LOOP
    v_left_ms := floor(extract(epoch FROM v_until - clock_timestamp()) * 1000);
    IF v_left_ms < 1 THEN
      RAISE EXCEPTION USING ERRCODE = 'lock_not_available',
        MESSAGE = 'the batch used up its lock wait; nothing was written';
    END IF;
    -- lock_timeout counts whole milliseconds: lower it only when a millisecond has gone.
    IF v_left_ms < v_lock_timeout_ms THEN
      v_lock_timeout_ms := v_left_ms;
      PERFORM set_config('lock_timeout', v_lock_timeout_ms || 'ms', true);
    END IF;
    transaction_id := NULL;
    created_at_us := NULL;
    v_created_at := NULL;
    replayed := false;
    v_key := p_idempotency_keys[i];

    IF v_key IS NOT NULL THEN
      PERFORM 1 FROM clients c WHERE c.id = p_client_ids[i] FOR UPDATE;
      SELECT * INTO v_record
        FROM idempotency_keys k
       WHERE k.client_id = p_client_ids[i] AND k.key = v_key;
      IF FOUND THEN
        IF (v_record.amount_cents, v_record.kind, v_record.description)
           IS DISTINCT FROM (p_amounts_cents[i], p_kinds[i], p_descriptions[i]) THEN
          outcome := 'key_reused';
          limit_cents := NULL;
          balance_cents := NULL;
        ELSE
          outcome := v_record.outcome;
          limit_cents := v_record.limit_cents;
          balance_cents := v_record.balance_cents;
          transaction_id := v_record.transaction_id;
          created_at_us := (extract(epoch FROM v_record.created_at) * 1000000)::bigint;
          replayed := true;
        END IF;
        RETURN NEXT;
        CONTINUE;
      END IF;
    END IF;

    v_delta := CASE WHEN p_kinds[i] = 'd' THEN -p_amounts_cents[i] ELSE p_amounts_cents[i] END;
    UPDATE clients c
       SET balance_cents = c.balance_cents + v_delta
     WHERE c.id = p_client_ids[i]
       AND c.balance_cents + v_delta >= -c.limit_cents
       AND c.balance_cents + v_delta <= 9007199254740991
    RETURNING c.limit_cents, c.balance_cents
         INTO post_transactions.limit_cents, post_transactions.balance_cents;
    IF FOUND THEN
      INSERT INTO transactions (client_id, amount_cents, kind, description)
      VALUES (p_client_ids[i], p_amounts_cents[i], p_kinds[i], p_descriptions[i])
      RETURNING id, created_at INTO post_transactions.transaction_id, v_created_at;
      created_at_us := (extract(epoch FROM v_created_at) * 1000000)::bigint;
      outcome := 'applied';
    ELSE
      SELECT c.limit_cents, c.balance_cents
        INTO post_transactions.limit_cents, post_transactions.balance_cents
        FROM clients c
       WHERE c.id = p_client_ids[i];
      outcome := CASE
        WHEN NOT FOUND THEN 'client_not_found'
        WHEN v_delta < 0 THEN 'limit_exceeded'
        ELSE 'balance_overflow'
      END;
    END IF;

    IF v_key IS NOT NULL AND outcome <> 'client_not_found' THEN
      -- An applied posting's key bears its transaction's time, which a replay tells.
      INSERT INTO idempotency_keys (client_id, key, amount_cents, kind, description, outcome,
                                    transaction_id, limit_cents, balance_cents, created_at)
      VALUES (p_client_ids[i], v_key, p_amounts_cents[i], p_kinds[i], p_descriptions[i],
              outcome, post_transactions.transaction_id, post_transactions.limit_cents,
              post_transactions.balance_cents, coalesce(v_created_at, clock_timestamp()));
    END IF;
    RETURN NEXT;
  END LOOP;
END
$$;

-- Functions of earlier versions: the batch above does their work now.
DROP FUNCTION IF EXISTS post_transaction(integer, bigint, "char", text, integer);
DROP FUNCTION IF EXISTS post_transactions(integer[], bigint[], "char"[], text[], integer);

-- Deletes up to p_limit keys recorded before p_before, oldest first, and returns how
-- many: the ledger calls it in small batches so pruning never holds up postings. No row
-- lock is needed first: a key is never updated, and a posting only reads an old one.
CREATE OR REPLACE FUNCTION prune_idempotency_keys(p_before timestamptz, p_limit integer)
RETURNS integer LANGUAGE sql AS $$
  WITH deleted AS (
    DELETE FROM idempotency_keys k
     WHERE (k.client_id, k.key) IN (
       SELECT client_id, key FROM idempotency_keys
        WHERE created_at < p_before
        ORDER BY created_at
        LIMIT p_limit)
    RETURNING 1
  )
  SELECT count(*)::integer FROM deleted
$$;
-- END FUNCTIONS

INSERT INTO clients (id, limit_cents) VALUES
  (1, 100000),
  (2, 80000),
  (3, 1000000),
  (4, 10000000),
  (5, 500000);
