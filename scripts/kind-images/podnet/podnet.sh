#!/bin/bash
# podnet: pod networking for the node image built here, in place of kindnetd
# (whose module the Go proxy does not serve). Runs on every node (a hostNetwork
# DaemonSet): writes the node's CNI config (ptp + host-local over the node's
# podCIDR, the plugins Debian ships) and keeps a route to every other node's
# podCIDR through that node's address. No masquerade: pods talk only to pods,
# Services and the nodes, all on the kind network.
set -u
CONF=/host/etc/cni/net.d/10-podnet.conflist
: "${NODE_NAME:?NODE_NAME must be set (the downward API)}"

write_conf() {
  local cidr=$1 tmp
  tmp=$(mktemp "$CONF.XXXX")
  cat >"$tmp" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "podnet",
  "plugins": [
    { "type": "ptp", "ipMasq": false, "mtu": 1500,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$cidr" }]], "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  if cmp -s "$tmp" "$CONF"; then rm -f "$tmp"; else mv "$tmp" "$CONF" && echo "podnet: $NODE_NAME uses $cidr"; fi
}

while true; do
  nodes=$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR} {.status.addresses[?(@.type=="InternalIP")].address}{"\n"}{end}' 2>&1) || {
    echo "podnet: kubectl: $nodes" >&2
    sleep 2
    continue
  }
  while read -r name cidr address; do
    [[ -n $name && -n ${cidr:-} && -n ${address:-} ]] || continue
    if [[ $name == "$NODE_NAME" ]]; then
      write_conf "$cidr"
    else
      ip route replace "$cidr" via "$address" || echo "podnet: no route to $cidr via $address" >&2
    fi
  done <<<"$nodes"
  sleep 5
done
