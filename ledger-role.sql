-- The ledger's own database role: it logs in, owns nothing, and may do only what the
-- ledger does (read the tables, move a balance, record a transaction and its
-- idempotency key, prune old keys, call the functions). It cannot change a limit, alter or drop a table, or read other roles.
--
-- In compose, PostgreSQL's docker-entrypoint-initdb.d runs this whole file with psql
-- after init.sql (files run in name order), taking the password from the container's
-- LEDGER_DATABASE_PASSWORD. The native stack (stack/schema.ts) creates the role itself
-- with the password it generated, and applies the GRANTS section at every start.
\getenv ledger_password LEDGER_DATABASE_PASSWORD
CREATE ROLE ledger LOGIN PASSWORD :'ledger_password';

-- BEGIN GRANTS
ALTER ROLE ledger LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ledger;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ledger;
GRANT SELECT ON clients TO ledger;
-- Only the balance: a limit is the operator's, never the ledger's.
GRANT UPDATE (balance_cents) ON clients TO ledger;
-- The identity column needs no grant on its sequence: INSERT covers it.
GRANT SELECT, INSERT ON transactions TO ledger;
-- Idempotency keys are recorded with their posting and pruned past their retention.
GRANT SELECT, INSERT, DELETE ON idempotency_keys TO ledger;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ledger;
-- END GRANTS
