#!/usr/bin/env bash
# The main job on an embedded default: a fresh state in .demo/, the example inventories imported, the fleet
# listed, the local machine checked and described through the local connector (no SSH needed), and Prometheus
# with node_exporter installed and running here. Works with no network at all: the artifacts then come from
# Debian's packages installed here (dpkg -L) or from apt's cache, repacked; the script says which.
# PROMANAGER_DEMO_OFFLINE=1 skips the download attempt.
set -euo pipefail
cd "$(dirname "$0")/.."
export PROMANAGER_HOME="${PROMANAGER_HOME:-$PWD/.demo}"
# Local addresses never go through a proxy: a site's http_proxy cannot reach this machine's 127.0.0.1.
export NO_PROXY="${NO_PROXY:+$NO_PROXY,}127.0.0.1,localhost,::1"
export no_proxy="$NO_PROXY"
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
# Prometheus and node_exporter on this machine: the official releases when they can be downloaded, otherwise
# offline from Debian's packages (installed here, or in apt's cache), repacked in the official layout.
for c in prometheus:prometheus:2.53.1 node_exporter:prometheus-node-exporter:1.8.2; do
  IFS=: read -r component deb version <<<"$c"
  if [ "${PROMANAGER_DEMO_OFFLINE:-0}" != 1 ] && pm artifact fetch "$component" "$version" 2>/dev/null; then
    continue
  fi
  echo "offline: $component $version cannot be downloaded; taking Debian's $deb (installed package, or apt's cache)" >&2
  pm artifact import "$deb"
done
pm artifact list
pm service install prometheus -c local
pm service install node_exporter -c local
pm service status prometheus -c local
pm service status node_exporter -c local
pm service list
# The readiness check must be able to fail the demo (set -e does not stop on the left side of a && chain).
if ! node scripts/demo-ready.mjs http://127.0.0.1:9090/-/ready; then
  echo "demo failed: Prometheus on 127.0.0.1:9090 is not ready" >&2
  exit 1
fi
pm audit
echo "demo done. Remove it again with:" >&2
echo "  node bin/promanager service uninstall prometheus -c local -y --purge" >&2
echo "  node bin/promanager service uninstall node_exporter -c local -y --purge" >&2
echo "  node bin/promanager host clean -c local -y --purge" >&2
