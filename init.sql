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

-- BEGIN FUNCTIONS: re-applied by the native stack at every start (CREATE OR REPLACE), so
-- a database made by an earlier version gets the functions this version's ledger calls.

-- Applies a batch of credits and debits in one round trip and one commit (group
-- commit: one WAL flush for the whole batch), in array order, returning one outcome
-- per element in the same order. For each, a conditional UPDATE takes the client's row
-- lock and checks the limit against the balance under that lock; the insert follows in
-- the same transaction. A business "no" is a returned outcome, not an exception, so the
-- batch goes on and callers switch on it. The ledger sorts a batch by client id (keeping
-- each client's own order), so concurrent batches take row locks in one order and never
-- deadlock.
CREATE OR REPLACE FUNCTION post_transactions(
  p_client_ids integer[],
  p_amounts_cents bigint[],
  p_kinds "char"[],
  p_descriptions text[],
  p_lock_wait_ms integer
) RETURNS TABLE (outcome text, limit_cents bigint, balance_cents bigint)
LANGUAGE plpgsql AS $$
DECLARE
  i integer;
  v_delta bigint;
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
      VALUES (p_client_ids[i], p_amounts_cents[i], p_kinds[i], p_descriptions[i]);
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
    RETURN NEXT;
  END LOOP;
END
$$;

-- The one-posting function of earlier versions: the batch above does its work now.
DROP FUNCTION IF EXISTS post_transaction(integer, bigint, "char", text, integer);
-- END FUNCTIONS

INSERT INTO clients (id, limit_cents) VALUES
  (1, 100000),
  (2, 80000),
  (3, 1000000),
  (4, 10000000),
  (5, 500000);
