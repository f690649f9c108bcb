# peer-pgstep.sh: pgstep as a peer of /work/shared/bench/run-peers.sh (sourced via PEERS_EXTRA).
#
#   PEERS_EXTRA=benches/peers/peer-pgstep.sh PEERS="psql-1tx sqlx refinery dbmate pgstep" \
#     PGSTEP_BIN=/abs/path/pgstep /work/shared/bench/run-peers.sh 1000
#
# pgstep reads the sqlx layout (NNNNNN_name.up.sql + .down.sql) that gen-migrations.sh
# writes, so it runs on exactly the files sqlx runs. Each function only sets CMD; $1 is the
# run's database, $MIG the generated folder, $N the count (see run-peers.sh).
# Not run directly: it is sourced by run-peers.sh (which runs with `set -uo pipefail`).
PGSTEP_BIN=${PGSTEP_BIN:?absolute path of the release pgstep binary}
peer_pgstep_check()    { [[ -x $PGSTEP_BIN ]] && "$PGSTEP_BIN" --version; }
peer_pgstep_startup()  { CMD=("$PGSTEP_BIN" --version); }
peer_pgstep_apply()    { CMD=("$PGSTEP_BIN" up     --dir "$MIG/sqlx" --url "${DBURL_BASE}$1?sslmode=disable"); }
peer_pgstep_status()   { CMD=("$PGSTEP_BIN" status --dir "$MIG/sqlx" --url "${DBURL_BASE}$1?sslmode=disable"); }
peer_pgstep_rollback() { CMD=("$PGSTEP_BIN" down --steps 10 --yes --dir "$MIG/sqlx" --url "${DBURL_BASE}$1?sslmode=disable"); }
# PGSTEP_BASE_BIN (optional): another build of pgstep, timed as peer `pgstep-base` in the same
# run, to compare a change with the build before it.
if [[ -n ${PGSTEP_BASE_BIN:-} ]]; then
  peer_pgstep_base_check()    { [[ -x $PGSTEP_BASE_BIN ]] && "$PGSTEP_BASE_BIN" --version; }
  peer_pgstep_base_startup()  { CMD=("$PGSTEP_BASE_BIN" --version); }
  peer_pgstep_base_apply()    { CMD=("$PGSTEP_BASE_BIN" up     --dir "$MIG/sqlx" --url "${DBURL_BASE}$1?sslmode=disable"); }
  peer_pgstep_base_status()   { CMD=("$PGSTEP_BASE_BIN" status --dir "$MIG/sqlx" --url "${DBURL_BASE}$1?sslmode=disable"); }
  peer_pgstep_base_rollback() { CMD=("$PGSTEP_BASE_BIN" down --steps 10 --yes --dir "$MIG/sqlx" --url "${DBURL_BASE}$1?sslmode=disable"); }
fi
