#!/bin/sh
# First start of the compose stack's PostgreSQL (docker-entrypoint-initdb.d, as its superuser):
# the two roles of README "Database roles" and the database, so that the owner needs no
# CREATEROLE and the app logs in as the runtime role. Passwords come from compose's environment
# and reach SQL as psql variables (quoted by psql), never pasted into the statements.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$OWNER_DB_PASSWORD" -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE auto_concierge_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE auto_concierge_app LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE auto_concierge OWNER auto_concierge_owner;
\connect auto_concierge
CREATE EXTENSION btree_gist;
CREATE EXTENSION btree_gin;
CREATE EXTENSION pg_trgm;
SQL
