#!/usr/bin/env bash
# The main job on an embedded default: a fresh state in .demo/, the example inventories imported, the fleet
# listed, and the local machine checked and described through the local connector (no SSH needed).
set -euo pipefail
cd "$(dirname "$0")/.."
export PROMANAGER_HOME="${PROMANAGER_HOME:-$PWD/.demo}"
pm() { echo "+ promanager $*" >&2; node bin/promanager "$@"; }
rm -rf "$PROMANAGER_HOME"
pm init
pm inventory import inventory/example.yml
pm inventory import inventory/local.yml
pm cluster list
pm host list
pm host list -l 'env=prod,zone in (a,b)'
pm label list
pm doctor -c local
pm host refresh -c local
pm host show localhost
# Prometheus and node_exporter on this machine: official releases when the network allows, otherwise offline
# from Debian's packages (repacked in the official layout, checksummed into the artifact cache).
for c in prometheus:prometheus:2.53.1 node_exporter:prometheus-node-exporter:1.8.2; do
  IFS=: read -r component deb version <<<"$c"
  pm artifact fetch "$component" "$version" 2>/dev/null || pm artifact import "$deb"
done
pm artifact list
pm service install prometheus -c local
pm service install node_exporter -c local
pm service status prometheus -c local
pm service status node_exporter -c local
pm service list
curl -fsS http://127.0.0.1:9090/-/ready && echo
pm audit
