import { Gateway } from '@kubernetes-models/istio/networking.istio.io/v1';
import { z } from 'zod';
import { infraPlacement, placementSchema } from './istio-operator.js';

// Multi-primary, multi-network Istio across kind clusters, as Istio's own CI
// sets it up on kind: each cluster is its own network with an east-west
// gateway (a LoadBalancer Service, given an address on the `kind` Docker
// network by MetalLB), services exposed through it with AUTO_PASSTHROUGH, and
// every istiod reading the other clusters' API servers via remote secrets.
// Renderers here are pure; provider.ts runs the commands.

export const METALLB_VERSION = 'v0.14.9';
/** Where MetalLB publishes the manifest; fetched once by a set-up step (README), never during a run. */
export const METALLB_MANIFEST_URL = `https://raw.githubusercontent.com/metallb/metallb/${METALLB_VERSION}/config/manifests/metallb-native.yaml`;
export const EASTWEST_NAME = 'istio-eastwestgateway';
/** Port of the east-west gateway's mTLS passthrough (Istio's convention). */
export const EASTWEST_TLS_PORT = 15443;

export const networkOf = (cluster: string) => `${cluster}-network`;

function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}
const intToIpv4 = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/**
 * A block of 10 addresses for cluster `index`'s load balancers, from the top
 * of the `kind` network's IPv4 subnet (Docker hands out addresses from the
 * bottom), skipping the broadcast address. Istio's kind scripts do the same.
 */
export function metallbRange(subnet: string, index: number): string {
  const [base, bitsText] = subnet.split('/');
  const bits = Number(bitsText);
  if (!base || !Number.isInteger(bits) || bits < 8 || bits > 26) throw new Error(`kind network subnet "${subnet}" is not an IPv4 CIDR between /8 and /26`);
  const size = 2 ** (32 - bits);
  const start = ipv4ToInt(base) - (ipv4ToInt(base) % size);
  const last = start + size - 2 - index * 10;
  const first = last - 9;
  if (first <= start + size / 2) throw new Error(`kind network ${subnet} is too small for ${index + 1} clusters' load balancers`);
  return `${intToIpv4(first)}-${intToIpv4(last)}`;
}

export function metallbObjects(range: string): Record<string, unknown>[] {
  return [
    { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'failover-harness', namespace: 'metallb-system' }, spec: { addresses: [range] } },
    { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'failover-harness', namespace: 'metallb-system' }, spec: { ipAddressPools: ['failover-harness'] } },
  ];
}

/** The subset of IstioOperator this harness writes, strict (the published schema leaves `spec` open). */
const portSchema = z.object({ name: z.string(), port: z.number().int(), targetPort: z.number().int() }).strict();
export const eastWestOperatorSchema = z
  .object({
    apiVersion: z.literal('install.istio.io/v1alpha1'),
    kind: z.literal('IstioOperator'),
    metadata: z.object({ name: z.string() }).strict(),
    spec: z
      .object({
        profile: z.literal('empty'),
        components: z
          .object({
            ingressGateways: z
              .array(
                z
                  .object({
                    name: z.string(),
                    enabled: z.literal(true),
                    label: z.record(z.string(), z.string()),
                    k8s: z
                      .object({
                        env: z.array(z.object({ name: z.string(), value: z.string() }).strict()),
                        service: z.object({ ports: z.array(portSchema).min(1) }).strict(),
                        nodeSelector: placementSchema.shape.nodeSelector,
                        tolerations: placementSchema.shape.tolerations,
                      })
                      .strict(),
                  })
                  .strict(),
              )
              .length(1),
          })
          .strict(),
        values: z
          .object({
            gateways: z.object({ 'istio-ingressgateway': z.object({ injectionTemplate: z.literal('gateway') }).strict() }).strict(),
            global: z.object({ network: z.string() }).strict(),
          })
          .strict(),
      })
      .strict(),
  })
  .strict();

/** The east-west gateway of one network (Istio's gen-eastwest-gateway layout). */
export function eastWestOperator(network: string): z.infer<typeof eastWestOperatorSchema> {
  return eastWestOperatorSchema.parse({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'eastwest' },
    spec: {
      profile: 'empty',
      components: {
        ingressGateways: [
          {
            name: EASTWEST_NAME,
            enabled: true,
            label: { istio: 'eastwestgateway', app: EASTWEST_NAME, 'topology.istio.io/network': network },
            k8s: {
              // On the infra node, like istiod: a zone outage must not take the gateway that carries failover traffic.
              ...infraPlacement(),
              env: [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: network }],
              service: {
                ports: [
                  { name: 'status-port', port: 15021, targetPort: 15021 },
                  { name: 'tls', port: EASTWEST_TLS_PORT, targetPort: EASTWEST_TLS_PORT },
                  { name: 'tls-istiod', port: 15012, targetPort: 15012 },
                  { name: 'tls-webhook', port: 15017, targetPort: 15017 },
                ],
              },
            },
          },
        ],
      },
      values: { gateways: { 'istio-ingressgateway': { injectionTemplate: 'gateway' } }, global: { network } },
    },
  });
}

/** Exposes every service of the mesh through the east-west gateway, mTLS passed through. */
export function crossNetworkGateway(): Record<string, unknown> {
  const gw = new Gateway({
    metadata: { name: 'cross-network-gateway', namespace: 'istio-system' },
    spec: {
      selector: { istio: 'eastwestgateway' },
      servers: [{ port: { number: EASTWEST_TLS_PORT, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }],
    },
  });
  gw.validate();
  return gw.toJSON() as Record<string, unknown>;
}

/** istio-system labelled with the cluster's network, so istiod knows which network its endpoints are on. */
export function istioSystemNamespace(network: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system', labels: { 'topology.istio.io/network': network } } };
}
