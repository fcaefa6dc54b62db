#!/usr/bin/env bash
# Installs what the project needs and is missing: npm packages and Debian packages (FFmpeg).
# Idempotent and quiet when everything is present; safe to run before every command.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages: install when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# Debian packages, by the command each provides.
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install: ${need[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "setup: installing Debian packages: ${need[*]}" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >&2
fi

# WASM kernels (AssemblyScript → build/*.wasm): build when missing or older than their sources.
if [ ! -f build/motion.wasm ] || [ -n "$(find assembly -name '*.ts' -newer build/motion.wasm)" ]; then
  echo "setup: building build/motion.wasm" >&2
  npm run --silent build:wasm >&2
fi
