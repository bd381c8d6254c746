#!/bin/sh
# First start of the trial PostgreSQL (compose.yaml): the two roles and the database the server
# expects (docs/OPERATIONS.md, "Database roles"). The official image runs this once, as the
# superuser, when its data folder is empty.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$SITESYNC_OWNER_PASSWORD" -v app_password="$SITESYNC_APP_PASSWORD" <<'SQL'
CREATE ROLE sitesync_owner LOGIN PASSWORD :'owner_password' NOSUPERUSER NOBYPASSRLS NOCREATEROLE;
CREATE ROLE sitesync_app LOGIN PASSWORD :'app_password'
  NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE sitesync OWNER sitesync_owner;
SQL
