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
# GStreamer: real RTP/RTSP peers for the media tests (payloaders, parsers, the RTSP server via
# python3-gi). Each package is checked by an element or module it provides.
if command -v gst-inspect-1.0 >/dev/null 2>&1; then
  gst_has() { gst-inspect-1.0 --exists "$1" 2>/dev/null; }
  gst_has videotestsrc || need+=(gstreamer1.0-plugins-base)
  gst_has rtph264pay || need+=(gstreamer1.0-plugins-good)
  gst_has h264parse || need+=(gstreamer1.0-plugins-bad)
  gst_has avdec_h264 || need+=(gstreamer1.0-libav)
else
  need+=(gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav)
fi
/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0')" >/dev/null 2>&1 || need+=(python3-gi gir1.2-gst-rtsp-server-1.0)
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
