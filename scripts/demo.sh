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
pm audit
