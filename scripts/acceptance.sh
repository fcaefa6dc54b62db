#!/usr/bin/env bash
# The detection and tracking acceptance runs on the spec's geometry, from a fresh clone:
#   bash scripts/acceptance.sh [scenario ...]     (default: spec-1km spec-1km-b spec-1km-c crossing)
# (`crossing`: two drones passing 12 m apart, for identity keeping; 640×480, 30 s.)
# Each scenario is rendered once into out/accept/<name>/ (about 10–20 min of CPU for 120 s of
# 4 × 1080p on 2 cores; kept for later runs), then `dvs detect` runs over it and `dvs eval` scores
# the raw detections (issue: ≥ 80 % found within 15 m, median ≤ 8 m, ≤ 0.5 far-off /s) and the
# tracks (Pd, FAR, CEP50, bird flags). Figures print to the terminal and land in
# out/accept/<name>/report.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(spec-1km spec-1km-b spec-1km-c crossing)
for n in "${names[@]}"; do
  dir="out/accept/$n"
  if [ ! -f "$dir/truth.jsonl" ]; then
    node bin/dvs.js sim --scenario "scenarios/$n.yaml" --out "$dir"
  fi
  {
    echo "== $n"
    node bin/dvs.js detect --config "$dir/site.yaml" --out "$dir/detect" --quiet
    node bin/dvs.js eval --truth "$dir/truth.jsonl" --detections "$dir/detect/detections.jsonl" --config "$dir/site.yaml"
    node bin/dvs.js eval --truth "$dir/truth.jsonl" --tracks "$dir/detect/tracks.jsonl" --config "$dir/site.yaml"
  } | tee "$dir/report.txt"
done
