#!/bin/bash
# build-kubernetes.sh - static, version-stamped Kubernetes binaries (and the etcd, CoreDNS and
# crictl that kubeadm of that version expects) built from the Go module proxy only,
# cached by version. Idempotent: a component whose output directory exists is skipped.
#
# usage: build-kubernetes.sh [all | kubernetes | etcd | coredns | crictl]...     (default: all)
#
# environment (all optional):
#   FH_K8S_CACHE     cache root (default /var/cache/fh-k8s); holds gomod/ gocache/ work/ out/
#   K8S_VERSION      default v1.35.4; "latest" = newest v${K8S_MINOR:-1.35}.x on the proxy
#   K8S_BINARIES     default "kubeadm kubelet kubectl kube-apiserver kube-controller-manager
#                    kube-scheduler kube-proxy"
#   GO_TOOLCHAIN     default go<.go-version of k8s.io/kubernetes at that tag> (fetched
#                    from the proxy as golang.org/toolchain by the local go)
#   ETCD_VERSION     default: kubeadm's DefaultEtcdVersion at that tag (3.6.6-0 -> v3.6.6)
#   COREDNS_VERSION  default: kubeadm's CoreDNSVersion at that tag
#   CRICTL_VERSION   default: newest sigs.k8s.io/cri-tools below v1.<minor+1>.0 on the proxy
#   KUBE_GIT_COMMIT, ETCD_GIT_SHA, COREDNS_GIT_COMMIT   commit stamps. Module proxy zips
#                    carry no commit: the defaults come from the KNOWN_COMMITS table below
#                    (values the official binaries print), else a fixed marker string.
#   <NAME>_GO_TOOLCHAIN  per component (KUBERNETES_, ETCD_, COREDNS_, CRICTL_): default the
#                    `toolchain` line of the component's own go.mod (etcd v3.6.6: go1.24.10,
#                    as its release), else GO_TOOLCHAIN
#   BUILD_DATE       default: the tag's time from the proxy's .info (reproducible)
#   FH_NICE          command prefix for go (default "nice -n 19 ionice -c3"; "" to disable)
#
# outputs: $FH_K8S_CACHE/out/<component>-<version>/ with the binaries, SHA256SUMS,
#          BUILDINFO, and the wrapper's go.mod/go.sum; versions: $FH_K8S_CACHE/out/versions-<k8s>.env
set -euo pipefail

CACHE=${FH_K8S_CACHE:-/var/cache/fh-k8s}
HERE=$(cd "$(dirname "$0")" && pwd)
GEN="$HERE/bin/gen-wrapper-gomod.py"
[[ -x $GEN ]] || GEN="$CACHE/bin/gen-wrapper-gomod.py"
export GOMODCACHE="$CACHE/gomod" GOCACHE="$CACHE/gocache" GOPATH="$CACHE/gopath"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOOS=linux GOARCH=${GOARCH:-amd64}
if [[ -z ${FH_NICE+x} ]]; then
  FH_NICE="nice -n 19"; command -v ionice >/dev/null && FH_NICE="$FH_NICE ionice -c3"
fi
TIMEV=(); [[ -x /usr/bin/time ]] && TIMEV=(/usr/bin/time -v)

log() { printf '[build-kubernetes.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
command -v go >/dev/null || die "a local go (>= 1.21) is needed to fetch the toolchain"
command -v python3 >/dev/null || die "python3 is needed"
mkdir -p "$CACHE/out" "$CACHE/work"
exec 9>"$CACHE/.lock"; flock 9   # one build at a time per cache

# go outside any module, with the local toolchain (only downloads / queries)
goq() { (cd "$CACHE/work" && GOTOOLCHAIN=local go "$@"); }
# path of a module's go.mod in the module cache (downloads it if needed)
gomod_path() { goq mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])'; }
mod_dir() { goq mod download -json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'; }
mod_time() { goq mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.load(open(d["Info"]))["Time"])'; }

is_static() {  # ELF without PT_INTERP / PT_DYNAMIC
  python3 - "$1" <<'EOF'
import struct, sys
f = open(sys.argv[1], "rb"); h = f.read(64)
assert h[:4] == b"\x7fELF" and h[4] == 2, "not a 64-bit ELF"
phoff, = struct.unpack_from("<Q", h, 32); phentsize, phnum = struct.unpack_from("<HH", h, 54)
f.seek(phoff); ph = f.read(phentsize * phnum)
types = {struct.unpack_from("<I", ph, i * phentsize)[0] for i in range(phnum)}
sys.exit(1 if types & {2, 3} else 0)
EOF
}

# Commits of upstream release tags, as printed by the official binaries/images
# (kubectl version: gitCommit; etcd --version: Git SHA; coredns -version).
declare -A KNOWN_COMMITS=(
  [kubernetes@v1.35.4]=7b8c6cf0edd376b3d7c2f255142977c7f93db258
  [etcd@v3.6.6]=d2809cf
  [coredns@v1.13.1]=1db4568
)
known_commit() { echo "${KNOWN_COMMITS[$1@$2]:-unknown-goproxy-build}"; }

# ---------------------------------------------------------------- versions
K8S_VERSION=${K8S_VERSION:-v1.35.4}
if [[ $K8S_VERSION == latest ]]; then
  K8S_VERSION=$(goq list -m "k8s.io/kubernetes@v${K8S_MINOR:-1.35}" | awk '{print $2}')
  log "newest k8s.io/kubernetes v${K8S_MINOR:-1.35}.x on the proxy: $K8S_VERSION"
fi
[[ $K8S_VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "K8S_VERSION must be v1.N.M, got $K8S_VERSION"
K8S_MINOR_NUM=${BASH_REMATCH[1]}; K8S_PATCH_NUM=${BASH_REMATCH[2]}
STAGING_VERSION="v0.${K8S_MINOR_NUM}.${K8S_PATCH_NUM}"
VERSIONS="$CACHE/out/versions-$K8S_VERSION.env"
if [[ ! -s $VERSIONS ]]; then
  log "resolving versions for k8s.io/kubernetes@$K8S_VERSION"
  kdir=$(mod_dir "k8s.io/kubernetes@$K8S_VERSION")
  consts="$kdir/cmd/kubeadm/app/constants/constants.go"
  cval() { sed -n -E "s/^\s*$1\s*=\s*\"([^\"]+)\".*/\1/p" "$consts" | head -1; }
  kube_etcd=$(cval DefaultEtcdVersion); kube_coredns=$(cval CoreDNSVersion); kube_pause=$(cval PauseVersion)
  [[ -n $kube_etcd && -n $kube_coredns && -n $kube_pause ]] || die "cannot read kubeadm constants in $consts"
  next_minor="v1.$((K8S_MINOR_NUM + 1)).0"
  crictl_default=$(goq list -m "sigs.k8s.io/cri-tools@<$next_minor" | awk '{print $2}')
  tmpv=$(mktemp "$CACHE/out/.versions.XXXXXX"); chmod 644 "$tmpv"
  cat >"$tmpv" <<EOF
# resolved by build.sh for k8s.io/kubernetes $K8S_VERSION
K8S_VERSION=$K8S_VERSION
K8S_STAGING_VERSION=$STAGING_VERSION
K8S_GO_TOOLCHAIN=go$(tr -d '[:space:]' <"$kdir/.go-version")
K8S_BUILD_DATE=$(mod_time "k8s.io/kubernetes@$K8S_VERSION")
KUBEADM_ETCD_IMAGE_TAG=$kube_etcd
KUBEADM_COREDNS_IMAGE_TAG=$kube_coredns
KUBEADM_PAUSE_IMAGE_TAG=$kube_pause
DEFAULT_ETCD_VERSION=v${kube_etcd%-*}
DEFAULT_COREDNS_VERSION=$kube_coredns
DEFAULT_CRICTL_VERSION=$crictl_default
EOF
  mv "$tmpv" "$VERSIONS"
fi
# shellcheck disable=SC1090
source "$VERSIONS"
GO_TOOLCHAIN=${GO_TOOLCHAIN:-$K8S_GO_TOOLCHAIN}
ETCD_VERSION=${ETCD_VERSION:-$DEFAULT_ETCD_VERSION}; ETCD_VERSION=v${ETCD_VERSION#v}
[[ $ETCD_VERSION =~ ^(v[0-9]+\.[0-9]+\.[0-9]+)-[0-9]+$ ]] && ETCD_VERSION=${BASH_REMATCH[1]}  # image tag 3.6.6-0
COREDNS_VERSION=${COREDNS_VERSION:-$DEFAULT_COREDNS_VERSION}; COREDNS_VERSION=v${COREDNS_VERSION#v}
CRICTL_VERSION=${CRICTL_VERSION:-$DEFAULT_CRICTL_VERSION}; CRICTL_VERSION=v${CRICTL_VERSION#v}
BUILD_DATE=${BUILD_DATE:-$K8S_BUILD_DATE}
export GOTOOLCHAIN=$GO_TOOLCHAIN

# ---------------------------------------------------------------- generic wrapper build
# build_wrapped NAME VERSION LOCAL_VERSION TAGS LDFLAGS  REQS...  --  OUT=PKG...
#   REQS: module@version (their go.mod's local replaces become module@LOCAL_VERSION)
#   OUT=PKG: output binary name = main package
build_wrapped() {
  local name=$1 version=$2 local_version=$3 tags=$4 ldflags=$5; shift 5
  local final="$CACHE/out/$name-$version"
  if [[ -f $final/SHA256SUMS ]]; then log "$name $version: already built in $final (skipping)"; return 0; fi
  local -a reqargs=() toolargs=() outs=()
  local first_mod=""
  while [[ $1 != -- ]]; do
    local gm; gm=$(gomod_path "$1"); reqargs+=(--require "$1=$gm"); [[ -n $first_mod ]] || first_mod=$gm; shift
  done; shift
  # toolchain: <NAME>_GO_TOOLCHAIN, else the component's own go.mod `toolchain` line, else GO_TOOLCHAIN
  local tcvar="${name^^}_GO_TOOLCHAIN" tc
  tc=${!tcvar:-$(sed -n -E 's/^toolchain[[:space:]]+(go[0-9.]+)[[:space:]]*$/\1/p' "$first_mod")}
  tc=${tc:-$GO_TOOLCHAIN}
  local -x GOTOOLCHAIN=$tc
  for o in "$@"; do outs+=("$o"); toolargs+=(--tool "${o#*=}"); done
  local work="$CACHE/work/$name-$version" tmp="$CACHE/out/.tmp-$name-$version"
  rm -rf "$work" "$tmp"; mkdir -p "$work" "$tmp"
  log "$name $version: generating wrapper module in $work"
  python3 "$GEN" --name "fh-$name-build" --local-version "$local_version" --toolchain "$tc" \
    "${reqargs[@]}" "${toolargs[@]}" >"$work/go.mod" 2>"$work/gen.log"
  cat "$work/gen.log" >&2
  local t0=$SECONDS
  log "$name $version: go mod tidy ($tc)"
  (cd "$work" && $FH_NICE go mod tidy)
  local t1=$SECONDS
  local -a pkgs=(); for o in "${outs[@]}"; do pkgs+=("${o#*=}"); done
  log "$name $version: go build ${pkgs[*]}"
  mkdir -p "$work/bin"
  (cd "$work" && $FH_NICE "${TIMEV[@]}" go build -trimpath ${tags:+-tags "$tags"} -ldflags "$ldflags" \
      -o "$work/bin/" "${pkgs[@]}") 2>"$work/build.log" || { cat "$work/build.log" >&2; die "$name: go build failed"; }
  local t2=$SECONDS
  local rss; rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/build.log")
  for o in "${outs[@]}"; do   # go names a .../vN package after the element before /vN
    local pkg=${o#*=} base; base=${pkg##*/}; [[ $base =~ ^v[0-9]+$ ]] && { base=${pkg%/*}; base=${base##*/}; }
    mv "$work/bin/$base" "$tmp/${o%%=*}"
    is_static "$tmp/${o%%=*}" || die "$name: ${o%%=*} is not statically linked"
  done
  cp "$work/go.mod" "$work/go.sum" "$tmp/"
  "verify_$name" "$tmp" "$version"
  (cd "$tmp" && sha256sum -- $(for o in "${outs[@]}"; do echo "${o%%=*}"; done) >SHA256SUMS.tmp)
  cat >"$tmp/BUILDINFO" <<EOF
component=$name
version=$version
toolchain=$(cd "$work" && go version)
goos_goarch=$GOOS/$GOARCH cgo=$CGO_ENABLED
tags=$tags
ldflags=$ldflags
$(grep '=>' "$work/go.mod" | wc -l) replace directives (see go.mod)
tidy_seconds=$((t1 - t0)) build_seconds=$((t2 - t1)) build_peak_rss_kb=${rss:-unknown}
built=$(date -u +%Y-%m-%dT%H:%M:%SZ) host=$(uname -srm) nproc=$(nproc)
EOF
  mv "$tmp/SHA256SUMS.tmp" "$tmp/SHA256SUMS"
  rm -rf "$final"; mv "$tmp" "$final"
  log "$name $version: done in $((t2 - t0))s (tidy $((t1 - t0))s, build $((t2 - t1))s, peak RSS ${rss:-?} kB) -> $final"
}

# ---------------------------------------------------------------- verifications
verify_kubernetes() {
  local d=$1 v=$2 got
  got=$("$d/kubeadm" version -o short); [[ $got == "$v" ]] || die "kubeadm version -o short: $got != $v"
  for b in kubelet kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
    [[ -x $d/$b ]] || continue
    got=$("$d/$b" --version); [[ $got == "Kubernetes $v" ]] || die "$b --version: $got"
  done
  if [[ -x $d/kubectl ]]; then
    got=$("$d/kubectl" version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')
    [[ $got == "$v" ]] || die "kubectl client version: $got"
  fi
  log "kubernetes $v: versions verified"
}
verify_etcd() {   # (capture first: grep -q in a pipe + pipefail races with SIGPIPE)
  local d=$1 v=$2 out b
  for b in etcd etcdctl etcdutl; do
    if [[ $b == etcd ]]; then out=$("$d/etcd" --version); else out=$("$d/$b" version); fi
    grep -qx "$b [vV]ersion: ${v#v}" <<<"$out" || die "$b version: $out"
  done
  log "etcd $v: versions verified"
}
verify_coredns() {
  local d=$1 v=$2
  local out; out=$("$d/coredns" -version)
  grep -qx "CoreDNS-${v#v}" <<<"$out" || die "coredns -version: $out"
  log "coredns $v: version verified"
}
verify_crictl() {
  local d=$1 v=$2
  [[ $("$d/crictl" --version) == "crictl version ${v#v}" ]] || die "crictl --version: $("$d/crictl" --version)"
  log "crictl $v: version verified"
}

# ---------------------------------------------------------------- components
build_kubernetes() {
  local v=$K8S_VERSION ld="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do   # hack/lib/version.sh
    ld+=" -X $pkg.buildDate=$BUILD_DATE -X $pkg.gitCommit=${KUBE_GIT_COMMIT:-$(known_commit kubernetes "$v")}"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.gitVersion=$v"
    ld+=" -X $pkg.gitMajor=1 -X $pkg.gitMinor=$K8S_MINOR_NUM"
  done
  local -a outs=()
  for b in ${K8S_BINARIES:-kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy}; do
    outs+=("$b=k8s.io/kubernetes/cmd/$b")
  done
  # tags as in hack/lib/golang.sh for non-debug builds
  build_wrapped kubernetes "$v" "$STAGING_VERSION" "selinux,notest,grpcnotrace" "$ld" \
    "k8s.io/kubernetes@$v" -- "${outs[@]}"
}
build_etcd() {
  local v=$ETCD_VERSION   # scripts/build_lib.sh: CGO_ENABLED=0 -trimpath -X .../api/v3/version.GitSHA
  build_wrapped etcd "$v" "$v" "" "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_GIT_SHA:-$(known_commit etcd "$v")}" \
    "go.etcd.io/etcd/server/v3@$v" "go.etcd.io/etcd/etcdctl/v3@$v" "go.etcd.io/etcd/etcdutl/v3@$v" -- \
    etcd=go.etcd.io/etcd/server/v3 etcdctl=go.etcd.io/etcd/etcdctl/v3 etcdutl=go.etcd.io/etcd/etcdutl/v3
}
build_coredns() {
  local v=$COREDNS_VERSION  # Makefile: CGO_ENABLED=0 -ldflags "-s -w -X .../coremain.GitCommit=..."
  build_wrapped coredns "$v" "$v" "" "-s -w -X github.com/coredns/coredns/coremain.GitCommit=${COREDNS_GIT_COMMIT:-$(known_commit coredns "$v")}" \
    "github.com/coredns/coredns@$v" -- coredns=github.com/coredns/coredns
}
build_crictl() {
  local v=$CRICTL_VERSION   # Makefile: CGO_ENABLED=0 -trimpath -X .../pkg/version.Version=<tag without v>
  build_wrapped crictl "$v" "$v" "" "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${v#v}" \
    "sigs.k8s.io/cri-tools@$v" -- crictl=sigs.k8s.io/cri-tools/cmd/crictl
}

targets=("$@"); [[ ${#targets[@]} -gt 0 ]] || targets=(all)
[[ " ${targets[*]} " == *" all "* ]] && targets=(kubernetes etcd coredns crictl)
log "k8s $K8S_VERSION (staging $STAGING_VERSION), etcd $ETCD_VERSION, coredns $COREDNS_VERSION, crictl $CRICTL_VERSION, default toolchain $GO_TOOLCHAIN, cache $CACHE"
for t in "${targets[@]}"; do
  case $t in
    kubernetes|etcd|coredns|crictl) "build_$t" ;;
    *) die "unknown target $t (all|kubernetes|etcd|coredns|crictl)" ;;
  esac
done
for t in "${targets[@]}"; do
  case $t in
    kubernetes) echo "$CACHE/out/kubernetes-$K8S_VERSION" ;;
    etcd) echo "$CACHE/out/etcd-$ETCD_VERSION" ;;
    coredns) echo "$CACHE/out/coredns-$COREDNS_VERSION" ;;
    crictl) echo "$CACHE/out/crictl-$CRICTL_VERSION" ;;
  esac
done
