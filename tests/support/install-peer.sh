#!/usr/bin/env bash
# Installs one of the peer tools the tests use as oracles, at the version they were written
# against, when it is not on PATH already: `install-peer.sh sqlx|dbmate|refinery|diesel`.
# Called by .ci/run for each, and by the tests themselves for a tool they miss, so that
# `cargo test` alone passes on a fresh machine. Needs root for the system packages.
set -euo pipefail
bin=${1:?usage: install-peer.sh sqlx|dbmate|refinery|diesel}
export PATH="$HOME/.cargo/bin:$PATH"
command -v "$bin" >/dev/null && exit 0

apt() {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

echo "installing $bin for the tests that use it as an oracle" >&2
case $bin in
    dbmate)
        command -v npm >/dev/null || apt npm
        npm install -g --no-fund --no-audit dbmate@2.36.0 >/dev/null
        ;;
    sqlx)
        cargo install sqlx-cli@0.9.0 --locked --no-default-features --features postgres,rustls
        ;;
    refinery)
        cargo install refinery_cli@0.10.0 --locked --no-default-features --features postgresql
        ;;
    diesel)
        dpkg -s libpq-dev >/dev/null 2>&1 || apt libpq-dev
        cargo install diesel_cli@2.3.14 --locked --no-default-features --features postgres
        ;;
    *)
        echo "install-peer.sh: no such peer tool: $bin" >&2
        exit 2
        ;;
esac
