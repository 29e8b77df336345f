#!/usr/bin/env bash
# Builds the MinIO test server once into the test cache directory
# ($TARN_TEST_CACHE/bin, default ~/.cache/tarn-test/bin) and prints the
# binary's path. The S3 tests (connectors/storage/s3) find it there; they
# build it themselves when it is missing, which takes ~5 minutes cold on
# 2 cores, so CI runs this first. MinIO is AGPL: a test server only, run
# as a separate process, never linked into tarn.
set -euo pipefail
MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
bin_dir="${TARN_TEST_CACHE:-$HOME/.cache/tarn-test}/bin"
mkdir -p "$bin_dir"
if [ ! -x "$bin_dir/minio" ]; then
  # Build outside the repository so tarn's go.mod is not consulted.
  (cd "${TMPDIR:-/tmp}" && GOBIN="$bin_dir" CGO_ENABLED=0 GOFLAGS=-mod=mod go install "$MODULE") >&2
fi
"$bin_dir/minio" --version >/dev/null
echo "$bin_dir/minio"
