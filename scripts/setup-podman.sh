#!/usr/bin/env bash
# Makes podman's Docker-compatible API available at unix:///run/streamspace-podman.sock on a
# Debian machine without systemd (CI, containers): installs podman, writes the engine settings this
# kind of machine needs, and starts `podman system service` if nothing answers yet. Idempotent.
set -euo pipefail
SOCKET=/run/streamspace-podman.sock

# catatonit: the pause process of pod infra containers (`podman kube play`, used by the Kubernetes
# pod-spec test); podman only recommends it, so --no-install-recommends would leave it out.
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null ||
  ! command -v catatonit >/dev/null; then
  apt-get install -y -qq --no-install-recommends podman runc debootstrap slirp4netns uidmap catatonit >/dev/null
fi

# runc rather than crun, cgroupfs because there is no systemd, file events because there is no
# journald, and modest ulimits: runc refuses limits above the machine's hard limits (and
# `podman build` gets the same values passed explicitly by `streamspace image build`).
nofile=1024
nproc=4096
mkdir -p /etc/containers
wanted=$(mktemp)
cat > "$wanted" <<CONF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
changed=1
cmp -s "$wanted" /etc/containers/containers.conf && changed=0
mv "$wanted" /etc/containers/containers.conf
chmod 644 /etc/containers/containers.conf

# A running service read the old settings at its start: restart it when they changed.
if [ "$changed" = 1 ]; then pkill -f "podman system service.*$SOCKET" 2>/dev/null || true; sleep 0.5; fi
if curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; then
  echo "podman API already answering at unix://$SOCKET"
  exit 0
fi
rm -f "$SOCKET"
nohup podman system service --time=0 "unix://$SOCKET" >/var/log/streamspace-podman.log 2>&1 &
for _ in $(seq 1 100); do
  if curl -sf --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; then
    echo "podman API answering at unix://$SOCKET"
    exit 0
  fi
  sleep 0.1
done
echo "podman system service did not answer at $SOCKET; see /var/log/streamspace-podman.log" >&2
exit 1
