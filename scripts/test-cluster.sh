#!/usr/bin/env bash
# A real Kubernetes cluster for the tests, built from source through the Go module proxy.
#
#   scripts/test-cluster.sh build   builds the pinned kube-apiserver, kube-controller-manager,
#                                   kube-scheduler, kubelet, kubectl, etcd and helm (once per pin)
#   scripts/test-cluster.sh up      starts etcd, the control-plane components, containerd and a
#                                   kubelet on loopback; prints KUBECONFIG=<path> and HELM=<path>
#   scripts/test-cluster.sh down    stops what `up` started and removes its state
#   scripts/test-cluster.sh env     prints the KUBECONFIG=, HELM= and KUBECTL= lines of a running cluster
#   scripts/test-cluster.sh paths   prints the HELM= and KUBECTL= lines of the built pin (no cluster needed)
#
# Go is test infrastructure here only: the product is TypeScript. Binaries and Go caches live under
# /var/cache/streamspace/kube/<pin>, outside the clone, so an unchanged pin is never rebuilt.
set -euo pipefail

# The pins. Kubernetes 1.34 is the newest minor whose kubelet still runs on cgroup v1 without
# opting out of a failure (1.35 refuses it by default); etcd is the version 1.34 is released with.
KUBE_VERSION=v1.34.4
ETCD_VERSION=v3.6.4
HELM_VERSION=v3.18.6
GO_VERSION=$(go env GOVERSION)
PIN="k8s-${KUBE_VERSION}_etcd-${ETCD_VERSION}_helm-${HELM_VERSION}_${GO_VERSION}"
CACHE_ROOT=${STREAMSPACE_KUBE_CACHE:-/var/cache/streamspace/kube}
CACHE="$CACHE_ROOT/$PIN"
BIN="$CACHE/bin"

# Cluster state: one cluster per machine, on fixed loopback ports (documented in test/README.md).
STATE=${STREAMSPACE_CLUSTER_DIR:-/run/streamspace-cluster}
ETCD_PORT=32379
ETCD_PEER_PORT=32380
APISERVER_PORT=36443
NODE_NAME=streamspace-node
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/24
CLUSTER_CIDR=10.244.0.0/16

log() { echo "test-cluster: $*" >&2; }
die() {
  echo "test-cluster: $*" >&2
  exit 1
}

go_env() {
  export GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache" GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
}

build_kubernetes() {
  local src="$CACHE/src/kubernetes"
  local minor=${KUBE_VERSION#v1.}
  minor=${minor%%.*}
  local staging=v0.${KUBE_VERSION#v1.}
  mkdir -p "$src"
  (
    cd "$src"
    go_env
    # k8s.io/kubernetes replaces its staging modules with directories of its own repository, which a
    # module download does not have: replace each of them with its published v0.X release instead.
    local mod
    mod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    [ -f "$mod" ] || die "could not download k8s.io/kubernetes@$KUBE_VERSION from the Go module proxy"
    {
      echo "module streamspace.test/kubernetes"
      echo
      echo "go 1.24"
      echo
      echo "require k8s.io/kubernetes $KUBE_VERSION"
      echo
      echo "replace ("
      sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"$staging"'#p' "$mod"
      echo ")"
    } >go.mod
    local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
    local pkgs=()
    for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    go get "${pkgs[@]/%/@$KUBE_VERSION}" >/dev/null
    local v=k8s.io/component-base/version
    local cv=k8s.io/client-go/pkg/version
    local flags="-s -w"
    for p in $v $cv; do
      flags+=" -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
      flags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    CGO_ENABLED=0 go build -trimpath -ldflags "$flags" -o "$BIN/" "${pkgs[@]}"
  )
}

build_etcd() {
  local src="$CACHE/src/etcd"
  mkdir -p "$src"
  (
    cd "$src"
    go_env
    # The etcd command's own module replaces its siblings with directories; its server module's
    # etcdmain is the same entry point, so a two-line main builds the same program.
    cat >go.mod <<EOF
module streamspace.test/etcd

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
    cat >main.go <<'EOF'
// The etcd server, built from its server module for the StreamSpace test cluster.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
    go mod tidy >/dev/null
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" .
  )
}

build_helm() {
  (
    go_env
    local v=helm.sh/helm/v3/internal/version
    GOBIN="$BIN" CGO_ENABLED=0 go install -trimpath \
      -ldflags "-s -w -X $v.version=$HELM_VERSION -X $v.gitTreeState=clean" \
      "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  )
}

cmd_build() {
  local want=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl etcd helm)
  local missing=0
  for b in "${want[@]}"; do [ -x "$BIN/$b" ] || missing=1; done
  if [ "$missing" = 0 ]; then
    log "pin $PIN already built in $BIN"
    return
  fi
  command -v go >/dev/null || die "go is not on PATH: the test cluster is built from source with Go 1.24 or newer"
  mkdir -p "$BIN"
  local start=$SECONDS
  [ -x "$BIN/etcd" ] || { log "building etcd $ETCD_VERSION" && build_etcd; }
  [ -x "$BIN/helm" ] || { log "building helm $HELM_VERSION" && build_helm; }
  local k
  for k in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
    if [ ! -x "$BIN/$k" ]; then
      log "building Kubernetes $KUBE_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl)"
      build_kubernetes
      break
    fi
  done
  log "built pin $PIN in $((SECONDS - start)) s"
  # Older pins are not needed again: keep one build on the machine.
  local other
  for other in "$CACHE_ROOT"/*; do
    [ "$other" = "$CACHE" ] || [ ! -d "$other" ] || { chmod -R u+w "$other" && rm -rf "$other"; }
  done
}

cmd_paths() {
  echo "HELM=$BIN/helm"
  echo "KUBECTL=$BIN/kubectl"
}

case "${1:-}" in
build) cmd_build ;;
paths) cmd_paths ;;
*)
  echo "usage: $0 build|up|down|env" >&2
  exit 2
  ;;
esac
