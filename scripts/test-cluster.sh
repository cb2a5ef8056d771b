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
KUBELET_PORT=30250
KUBELET_HEALTHZ_PORT=30248
NODE_NAME=streamspace-node
# The node's address: the kubelet refuses a loopback one, and the API server reaches the kubelet
# (logs, exec) at it. It lives on a bridge of its own with no ports (this kernel has no dummy
# interfaces), so nothing leaves the host.
NODE_IP=10.244.255.1
NODE_LINK=sstest-node
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
    # As helm's Makefile does: the Kubernetes version `helm template` assumes without a cluster
    # (Capabilities.KubeVersion, checked against a chart's kubeVersion) is its client-go's.
    local kmajor=1 kminor=${KUBE_VERSION#v1.}
    kminor=${kminor%%.*}
    local flags="-s -w -X $v.version=$HELM_VERSION -X $v.gitTreeState=clean"
    local p
    for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
      flags+=" -X $p.k8sVersionMajor=$kmajor -X $p.k8sVersionMinor=$kminor"
    done
    GOBIN="$BIN" CGO_ENABLED=0 go install -trimpath -ldflags "$flags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  )
}

# A component is rebuilt when its build function (the recipe) or the pins change: each binary
# has a stamp with the hash of what it was built from.
recipe() { { declare -f "$1" go_env && echo "$PIN"; } | sha256sum | cut -c1-16; }
fresh() { # fresh BUILD_FUNCTION BINARY...
  local fn=$1 b
  shift
  for b in "$@"; do
    [ -x "$BIN/$b" ] && [ "$(cat "$BIN/.$b.recipe" 2>/dev/null)" = "$(recipe "$fn")" ] || return 1
  done
}
stamp() { # stamp BUILD_FUNCTION BINARY...
  local fn=$1 b
  shift
  for b in "$@"; do recipe "$fn" >"$BIN/.$b.recipe"; done
}

cmd_build() {
  local kube=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)
  if fresh build_etcd etcd && fresh build_helm helm && fresh build_kubernetes "${kube[@]}"; then
    log "pin $PIN already built in $BIN"
    return
  fi
  command -v go >/dev/null || die "go is not on PATH: the test cluster is built from source with Go 1.24 or newer"
  mkdir -p "$BIN"
  local start=$SECONDS
  fresh build_etcd etcd || { log "building etcd $ETCD_VERSION" && build_etcd && stamp build_etcd etcd; }
  fresh build_helm helm || { log "building helm $HELM_VERSION" && build_helm && stamp build_helm helm; }
  if ! fresh build_kubernetes "${kube[@]}"; then
    log "building Kubernetes $KUBE_VERSION (${kube[*]})"
    build_kubernetes && stamp build_kubernetes "${kube[@]}"
  fi
  log "built pin $PIN in $((SECONDS - start)) s"
  # Older pins are not needed again: keep one build on the machine.
  local other
  for other in "$CACHE_ROOT"/k8s-*; do
    [ "$other" = "$CACHE" ] || [ ! -d "$other" ] || { chmod -R u+w "$other" && rm -rf "$other"; }
  done
}


# --- up / down -------------------------------------------------------------------------------

KUBECONFIG_PATH="$STATE/admin.kubeconfig"
CONTAINERD_SOCK="$STATE/containerd/containerd.sock"
# Images stay across clusters (they are big and keyed by their own tags); everything else is state.
CONTAINERD_ROOT="$CACHE_ROOT/containerd"
PAUSE_IMAGE=registry.k8s.io/pause:3.10

pidfile() { echo "$STATE/pids/$1.pid"; }

running() {
  local f
  f=$(pidfile "$1")
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

# start NAME COMMAND...: runs a component in the background, its log in $STATE/logs/NAME.log.
start() {
  local name=$1
  shift
  if running "$name"; then return; fi
  # A session (and process group) of its own: `down` ends the component with all its children.
  setsid nohup "$@" >"$STATE/logs/$name.log" 2>&1 &
  echo $! >"$(pidfile "$name")"
}

# wait_for WHAT SECONDS COMMAND...: polls a readiness check of a process we just started.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local i
  for ((i = 0; i < seconds * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return; fi
    sleep 0.1
  done
  die "$what did not become ready within ${seconds}s; see $STATE/logs/"
}

cert() { # cert NAME CN [O] [SAN]: a client or serving certificate signed by the cluster CA
  local name=$1 cn=$2 org=${3:-} san=${4:-}
  local subj="/CN=$cn"
  [ -n "$org" ] && subj="/O=$org$subj"
  local ext="$STATE/pki/$name.ext"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ -n "$san" ]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$STATE/pki/$name.key" -subj "$subj" \
    -out "$STATE/pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$STATE/pki/$name.csr" -CA "$STATE/pki/ca.crt" -CAkey "$STATE/pki/ca.key" \
    -CAcreateserial -days 30 -extfile "$ext" -out "$STATE/pki/$name.crt" 2>/dev/null
}

kubeconfig() { # kubeconfig NAME: a kubeconfig authenticating with the NAME client certificate
  cat >"$STATE/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: streamspace-test
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $STATE/pki/ca.crt
users:
- name: $1
  user:
    client-certificate: $STATE/pki/$1.crt
    client-key: $STATE/pki/$1.key
contexts:
- name: streamspace-test
  context: {cluster: streamspace-test, user: $1}
current-context: streamspace-test
EOF
}

make_pki() {
  [ -f "$STATE/pki/done" ] && return
  mkdir -p "$STATE/pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=streamspace-test-ca" \
    -keyout "$STATE/pki/ca.key" -out "$STATE/pki/ca.crt" 2>/dev/null
  cert apiserver kube-apiserver "" \
    "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert admin admin system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  cert kubelet "system:node:$NODE_NAME" system:nodes
  cert apiserver-kubelet-client kube-apiserver-kubelet-client kubeadm:cluster-admins
  openssl genrsa -out "$STATE/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
  kubeconfig admin
  kubeconfig controller-manager
  kubeconfig scheduler
  kubeconfig kubelet
  touch "$STATE/pki/done"
}

start_control_plane() {
  start etcd "$BIN/etcd" --name default --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn
  wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

  # Node,RBAC: the agent's ServiceAccount gets only what its Role grants, the kubelet only what its
  # node needs. PodSecurity is on by default; NodeRestriction is added. The endpoint reconciler is
  # off because the only address here is loopback, which Endpoints may not hold.
  # Pods are watched straight from etcd (no watch cache for them), so compacting etcd expires a
  # watch's resourceVersion as it does where the cache's window has moved on: the agent's 410 Gone
  # path is tested against the API server's real answer.
  # Every request a ServiceAccount makes is audited (metadata only): the tests read what the
  # agent's account did and compare it with what its Role grants.
  cat >"$STATE/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: [system:serviceaccounts]
- level: None
EOF
  start kube-apiserver "$BIN/kube-apiserver" \
    --audit-policy-file "$STATE/audit-policy.yaml" --audit-log-path "$STATE/audit.log" \
    --audit-log-maxsize 200 --audit-log-mode blocking \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --tls-cert-file "$STATE/pki/apiserver.crt" --tls-private-key-file "$STATE/pki/apiserver.key" \
    --client-ca-file "$STATE/pki/ca.crt" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$STATE/pki/sa.pub" --service-account-signing-key-file "$STATE/pki/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --kubelet-client-certificate "$STATE/pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$STATE/pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --endpoint-reconciler-type none --profiling=false --v 1 \
    --watch-cache-sizes pods#0
  wait_for kube-apiserver 90 "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" get --raw /readyz

  # The API server's own client certificate for kubelets (logs, exec) is in the group the
  # bootstrap policy does not know: grant it kubelet API access, as kubeadm does.
  "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: streamspace-test:apiserver-kubelet-client}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}
EOF

  start kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE/controller-manager.kubeconfig" \
    --service-account-private-key-file "$STATE/pki/sa.key" --root-ca-file "$STATE/pki/ca.crt" \
    --use-service-account-credentials --leader-elect=false --bind-address 127.0.0.1 --secure-port 0 \
    --cluster-signing-cert-file "$STATE/pki/ca.crt" --cluster-signing-key-file "$STATE/pki/ca.key" --v 1
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE/scheduler.kubeconfig" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port 0 --v 1
}

write_node_config() {
  mkdir -p "$STATE/containerd" "$STATE/cni" "$STATE/kubelet" "$CONTAINERD_ROOT"
  cat >"$STATE/containerd/config.toml" <<EOF
version = 2
root = "$CONTAINERD_ROOT"
state = "$STATE/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  enable_selinux = false
  # The kubelet asks for negative OOM scores (-998 for pod sandboxes); lowering one needs
  # CAP_SYS_RESOURCE, which processes on these machines lack: keep scores at containerd's own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni"
EOF
  # One bridge on the node; pods get addresses from POD_CIDR in network namespaces of their own,
  # reachable from the host (where the tests and agents run) and from each other. No masquerade:
  # the pods reach nothing beyond this machine.
  cat >"$STATE/cni/10-streamspace.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "streamspace-test",
  "plugins": [
    {
      "type": "bridge", "bridge": "sstest0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_CIDR" }]], "dataDir": "$STATE/cni-ipam" }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  cat >"$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $STATE/pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
podCIDR: $POD_CIDR
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
serializeImagePulls: false
# Secrets (the session's VNC password) are read with a GET when a pod starts, not through a
# per-secret watch: a watch opened in the moment before the Node authorizer's graph links the new
# pod to its secret is refused, its reflector backs off, and the container waited minutes in
# CreateContainerConfigError ("failed to sync secret cache") on this loaded one-node cluster.
configMapAndSecretChangeDetectionStrategy: Get
registerNode: true
maxPods: 110
# This machine is shared with the tests: never evict pods for its disk or memory.
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
}

# The sandbox ("pause") image containerd starts for every pod. No registry answers here, so it is
# built from a few lines of Go: it only waits for the signal that stops the pod.
pause_image() {
  if ctr_ images ls -q | grep -qx "$PAUSE_IMAGE"; then return; fi
  local dir
  dir=$(mktemp -d)
  cat >"$dir/main.go" <<'EOF'
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	s := make(chan os.Signal, 1)
	signal.Notify(s, syscall.SIGTERM, syscall.SIGINT)
	<-s
}
EOF
  (cd "$dir" && go_env && printf 'module pause\n\ngo 1.24\n' >go.mod && CGO_ENABLED=0 go build -ldflags "-s -w" -o pause .)
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$dir/Containerfile"
  podman build -q -t "$PAUSE_IMAGE" "$dir" >/dev/null
  podman save "$PAUSE_IMAGE" | ctr_ images import - >/dev/null
  rm -rf "$dir"
}

ctr_() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# load-image IMAGE...: copies images from podman's store into the node's, under the names a pod
# spec uses (streamspace/xterm:latest is docker.io/streamspace/xterm:latest to Kubernetes).
cmd_load_image() {
  running containerd || die "the cluster is not up: run $0 up"
  local image full
  for image in "$@"; do
    full=$image
    case "$image" in
    */*/*) ;;
    */*) full="docker.io/$image" ;;
    *) full="docker.io/library/$image" ;;
    esac
    local id
    id=$(podman image inspect --format '{{.Id}}' "$image") || die "podman has no image $image"
    if [ "$(ctr_ images ls "name==$full" -q 2>/dev/null)" = "$full" ] &&
      [ "$(cat "$CONTAINERD_ROOT/loaded-$(echo "$full" | tr '/:' '__')" 2>/dev/null)" = "$id" ]; then
      continue
    fi
    podman save "$image" | ctr_ images import --digests - >/dev/null
    local imported
    imported=$(podman image inspect --format '{{index .RepoTags 0}}' "$image")
    [ "$imported" = "$full" ] || ctr_ images tag --force "$imported" "$full" >/dev/null
    echo "$id" >"$CONTAINERD_ROOT/loaded-$(echo "$full" | tr '/:' '__')"
    log "loaded $image into the node as $full"
  done
}

start_node() {
  write_node_config
  if ! ip addr show dev "$NODE_LINK" 2>/dev/null | grep -q "inet $NODE_IP/"; then
    ip link add "$NODE_LINK" type bridge
    ip addr add "$NODE_IP/32" dev "$NODE_LINK"
    ip link set "$NODE_LINK" up
  fi
  start containerd containerd --config "$STATE/containerd/config.toml"
  wait_for containerd 30 ctr_ version
  pause_image
  start kubelet "$BIN/kubelet" --config "$STATE/kubelet/config.yaml" \
    --kubeconfig "$STATE/kubelet.kubeconfig" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
    --root-dir "$STATE/kubelet/root" --cert-dir "$STATE/kubelet/pki" --v 1
  wait_for "node $NODE_NAME" 90 kctl wait --for condition=Ready "node/$NODE_NAME" --timeout 1s
}

kctl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# A default StorageClass whose claims are served by directories on the node: a cluster without a
# cloud has no provisioner, and session homes (and the chart's PostgreSQL) need one.
start_provisioner() {
  kctl apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: streamspace.test/hostpath
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF
  mkdir -p "$STATE/volumes"
  start provisioner bash "$0" provision
}

# Watches claims of the class above and creates a hostPath volume for each new one; deletes the
# volume (and its directory) when its claim is gone, as reclaimPolicy Delete says.
# Each watch is restarted every minute: the API server ends a watch after 30-60 minutes
# (--min-request-timeout), after which a single `kubectl get --watch` would quietly provision
# nothing more; and a fresh watch starts with a full listing, so a volume whose creation failed
# (an API server busy for a moment) is retried instead of leaving its claim Pending for good.
cmd_provision() {
  while true; do
    timeout 60 "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" get pvc -A --watch --no-headers \
      -o 'custom-columns=NS:.metadata.namespace,NAME:.metadata.name,UID:.metadata.uid,CLASS:.spec.storageClassName,VOLUME:.spec.volumeName,SIZE:.spec.resources.requests.storage' |
      while read -r ns name uid class volume size; do
        [ "$class" = standard ] && [ "$volume" = "<none>" ] || continue
        provision_volume "$ns" "$name" "$uid" "$size"
      done || true # timeout's exit status (124) must not end the loop under set -e
    sleep 1
  done &
  # Released volumes: the claim was deleted.
  while true; do
    timeout 60 "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" get pv -l streamspace.test/provisioned=true --watch \
      -o 'custom-columns=NAME:.metadata.name,PHASE:.status.phase' --no-headers |
      while read -r pv phase; do
        [ "$phase" = Released ] || [ "$phase" = Failed ] || continue
        kctl delete pv "$pv" --wait=false >/dev/null 2>&1 || true
        rm -rf "${STATE:?}/volumes/$pv"
      done || true
    sleep 1
  done
}

# provision_volume NAMESPACE CLAIM UID SIZE: a hostPath PersistentVolume bound to that claim
# (applying it again is a no-op, so a listing that shows the claim twice does no harm).
provision_volume() {
  local ns=$1 name=$2 uid=$3 size=$4 pv="pvc-$3"
  mkdir -p "$STATE/volumes/$pv" && chmod 0777 "$STATE/volumes/$pv"
  echo "$(date +%T) provisioning $pv for $ns/$name ($size)"
  kctl apply -f - >/dev/null <<EOF || echo "$(date +%T) $pv: apply failed; the next listing retries"
apiVersion: v1
kind: PersistentVolume
metadata: {name: $pv, labels: {streamspace.test/provisioned: "true"}}
spec:
  capacity: {storage: $size}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: standard
  claimRef: {namespace: $ns, name: $name, uid: $uid}
  hostPath: {path: $STATE/volumes/$pv, type: Directory}
EOF
}

cmd_env() {
  running kube-apiserver || die "the cluster is not up: run $0 up"
  echo "KUBECONFIG=$KUBECONFIG_PATH"
  cmd_paths
  echo "AUDIT_LOG=$STATE/audit.log"
  echo "ETCD_URL=http://127.0.0.1:$ETCD_PORT"
}

cmd_up() {
  cmd_build
  # State left by a cluster whose processes are gone (a killed session, a reboot) would bring back
  # its namespaces and pods: start clean instead.
  if [ -d "$STATE" ] && ! running kube-apiserver; then
    log "removing the state of a cluster that no longer runs"
    cmd_down
  fi
  mkdir -p "$STATE/pids" "$STATE/logs"
  make_pki
  start_control_plane
  start_node
  start_provisioner
  cmd_env
}

cmd_down() {
  local name
  for name in provisioner kubelet kube-scheduler kube-controller-manager kube-apiserver; do
    stop_component "$name"
  done
  # Pods outlive the kubelet (their shims belong to containerd): kill them before containerd.
  if running containerd; then
    local c
    for c in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$c" >/dev/null 2>&1 || true; done
    for c in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$c" >/dev/null 2>&1 || true; done
    for c in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$c" >/dev/null 2>&1 || true; done
  fi
  pkill -KILL -f "containerd-shim-runc-v2 -namespace k8s.io .*-address $CONTAINERD_SOCK" 2>/dev/null || true
  stop_component containerd
  stop_component etcd
  # The kubelet's volume mounts (service account tokens are tmpfs) and the pods' network namespaces.
  grep -o " $STATE/[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '/^cni-/{print $1}'); do
    if ip netns exec "$ns" ip -o addr 2>/dev/null | grep -q "${POD_CIDR%.*}"; then ip netns delete "$ns"; fi
  done
  ip link delete sstest0 2>/dev/null || true
  ip link delete "$NODE_LINK" 2>/dev/null || true
  rm -rf "$STATE"
  log "down: stopped and removed $STATE"
}

stop_component() {
  local f
  f=$(pidfile "$1")
  [ -f "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  # The whole process group (the provisioner is a pipeline of kubectl watches).
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$f"
}

cmd_paths() {
  echo "HELM=$BIN/helm"
  echo "KUBECTL=$BIN/kubectl"
}

case "${1:-}" in
build) cmd_build ;;
paths) cmd_paths ;;
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
load-image)
  shift
  cmd_load_image "$@"
  ;;
provision) cmd_provision ;;
*)
  echo "usage: $0 build|up|down|env|paths|load-image IMAGE..." >&2
  exit 2
  ;;
esac
