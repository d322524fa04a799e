#!/usr/bin/env bash
# Starts Auto-Concierge with demo data: installs what is missing, builds, and serves.
# With no DATABASE_URL a project-local PostgreSQL cluster is created under .data/ (Unix socket
# only, so it never collides with another server); demo data is loaded into an empty database.
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_build_tools
if [ -z "${DATABASE_URL:-}${POSTGRES_SERVER:-}" ]; then
  ensure_postgres_binaries
fi
log "building and starting (the first build takes several minutes)"
exec cargo leptos serve "$@"
