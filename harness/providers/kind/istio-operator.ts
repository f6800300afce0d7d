import { z } from 'zod';
import { INFRA_SELECTOR, INFRA_TOLERATIONS } from './infra.js';

// The IstioOperator of each cluster's control plane: the minimal profile
// (istiod only), the mesh and network of the cluster, and istiod pinned to
// the infra node so no fault takes it. Pure. Strict schema: the published
// IstioOperator schema leaves `spec` open, so a typo would pass it.

const tolerationSchema = z.object({ key: z.string(), operator: z.enum(['Exists', 'Equal']), effect: z.string() }).strict();
export const placementSchema = z.object({ nodeSelector: z.record(z.string(), z.string()), tolerations: z.array(tolerationSchema) }).strict();

export const controlPlaneOperatorSchema = z
  .object({
    apiVersion: z.literal('install.istio.io/v1alpha1'),
    kind: z.literal('IstioOperator'),
    metadata: z.object({ name: z.string() }).strict(),
    spec: z
      .object({
        profile: z.literal('minimal'),
        tag: z.string().regex(/^\d+\.\d+\.\d+/),
        components: z.object({ pilot: z.object({ k8s: placementSchema }).strict() }).strict(),
        values: z
          .object({
            global: z.object({ meshID: z.string(), multiCluster: z.object({ clusterName: z.string() }).strict(), network: z.string() }).strict(),
          })
          .strict(),
      })
      .strict(),
  })
  .strict();

export type ControlPlaneOperator = z.infer<typeof controlPlaneOperatorSchema>;

export const infraPlacement = () => placementSchema.parse({ nodeSelector: INFRA_SELECTOR, tolerations: INFRA_TOLERATIONS });

export function controlPlaneOperator(o: { tag: string; cluster: string; network: string }): ControlPlaneOperator {
  return controlPlaneOperatorSchema.parse({
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name: 'control-plane' },
    spec: {
      profile: 'minimal',
      tag: o.tag,
      components: { pilot: { k8s: infraPlacement() } },
      values: { global: { meshID: 'failover-harness', multiCluster: { clusterName: o.cluster }, network: o.network } },
    },
  });
}
