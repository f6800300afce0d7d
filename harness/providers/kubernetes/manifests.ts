import { ConfigMap, Namespace, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import type { Experiment } from '../../core/experiment.js';
import { k6Env, k6RunArgs } from '../../traffic/k6/run.js';
import { IMAGE_DRIVER_BUNDLE } from '../../traffic/driver-bundle.js';
import { LABEL_INSTANCE, LABEL_NODE } from './labels.js';
import { capacityArgs } from '../../workloads/capacity.js';
import { PREFER_SAME_ZONE, type Mesh } from '../../mesh/choice.js';
import type { FailoverPolicy } from '../../core/policy.js';
import { LINKERD_NATIVE_SIDECAR, linkerdProxyAnnotations, linkerdServiceAnnotations, linkerdServiceLabels, linkerdServiceName, type LinkerdMulticlusterMode } from '../../mesh/linkerd.js';

// The workloads on kind as Kubernetes objects. Pure; every object is validated
// against the Kubernetes OpenAPI schema (kubernetes-models) before use.

export const NAMESPACE = 'chaos';
export const SERVICE = 'echo';
export const SERVICE_HOST = `${SERVICE}.${NAMESPACE}.svc.cluster.local`;
export const ECHO_PORT = 8080;
export const ADMIN_PORT = 9080;
export const CLIENT_LABEL = 'failover-harness.io/client';
/** The k6 image for `--driver k6` (pulled on the host and loaded into every kind cluster before the run). */
export const K6_IMAGE = 'grafana/k6:1.0.0';
/** Where a client pod keeps its records (an emptyDir shared by the driver and the records holder). */
export const RECORDS_DIR = '/records';
export const RECORDS_CONTAINER = 'records';
/** The driver's own count, written once every record is: {sent, recorded} (k6: its summary export). */
export const SUMMARY_FILE = `${RECORDS_DIR}/summary.json`;
export const STOP_FILE = `${RECORDS_DIR}/stop`;
export const COLLECTED_FILE = `${RECORDS_DIR}/collected`;
export const recordsFile = (client: string, k6: boolean) => `${RECORDS_DIR}/${k6 ? 'k6-samples' : client}.ndjson`;
export const K6_SCRIPT_CONFIGMAP = 'k6-driver';

type Obj = Record<string, unknown>;

// Workloads may sit on control-plane nodes (the nodes that carry etcd members).
const tolerations = [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' as const, effect: 'NoSchedule' as const }];

/** Which data plane the workloads are in, and what of it shapes their objects. */
export interface DataPlane {
  mesh: Mesh;
  policy?: FailoverPolicy;
  multiCluster?: boolean;
  linkerdMode?: LinkerdMulticlusterMode;
}

const ISTIO: DataPlane = { mesh: 'istio' };
const asPlane = (p: DataPlane | Mesh): DataPlane => (typeof p === 'string' ? { mesh: p } : p);

/** The host clients call: the echo Service, or with Linkerd across clusters its federated Service. */
export function serviceHost(plane: DataPlane | Mesh = ISTIO): string {
  const p = asPlane(plane);
  if (p.mesh !== 'linkerd') return SERVICE_HOST;
  return `${linkerdServiceName(SERVICE, p.multiCluster ?? false, p.linkerdMode ?? 'federated')}.${NAMESPACE}.svc.cluster.local`;
}

/** The workloads' namespace: Istio injects its sidecars by label, Linkerd by annotation; without a mesh neither does. */
export function namespace(plane: DataPlane | Mesh = ISTIO): Obj {
  const p = asPlane(plane);
  const annotations = p.mesh === 'linkerd' ? { 'linkerd.io/inject': 'enabled', ...(p.policy ? linkerdProxyAnnotations(p.policy) : {}) } : undefined;
  return new Namespace({ metadata: { name: NAMESPACE, labels: { 'istio-injection': p.mesh === 'istio' ? 'enabled' : 'disabled' }, ...(annotations ? { annotations } : {}) } }).toJSON() as Obj;
}

/** The namespace of the control-plane probe's ConfigMaps: no sidecars there. */
export function probeNamespace(name: string): Obj {
  return new Namespace({ metadata: { name, labels: { 'istio-injection': 'disabled' } } }).toJSON() as Obj;
}

/**
 * The echo Service. Without a mesh it carries the only locality preference
 * plain Kubernetes has; with Linkerd, the failure accrual and retries, and
 * across clusters the label that federates (or exports) it.
 */
export function echoService(plane: DataPlane | Mesh = ISTIO): Obj {
  const p = asPlane(plane);
  const mesh = p.mesh;
  const linkerd = mesh === 'linkerd';
  return new Service({
    metadata: {
      name: SERVICE,
      namespace: NAMESPACE,
      labels: { app: 'echo', ...(linkerd ? linkerdServiceLabels(p.multiCluster ?? false, p.linkerdMode ?? 'federated') : {}) },
      ...(linkerd && p.policy ? { annotations: linkerdServiceAnnotations(p.policy) } : {}),
    },
    spec: {
      selector: { app: 'echo' },
      ports: [{ name: 'http', port: ECHO_PORT, targetPort: ECHO_PORT }],
      // kube-proxy honours it; Linkerd's destination controller honours the zone hints it puts on the EndpointSlices.
      ...(mesh === 'none' || linkerd ? { trafficDistribution: PREFER_SAME_ZONE } : {}),
    },
  }).toJSON() as Obj;
}

/**
 * One single-replica Deployment per topology instance, pinned to its node and
 * labelled with the instance's name: a fault aimed at one instance selects
 * exactly its pod, and the records name the topology instance (the echo's
 * identity is the instance, not the pod's generated name).
 */
export function echoDeployments(ex: Experiment, cluster: string, image: string): Obj[] {
  return ex.topology.instances
    .filter((i) => i.locality.cluster === cluster)
    .map((i) => {
      const node = ex.topology.nodes.find((n) => n.name === i.node)!;
      const labels = { app: 'echo', [LABEL_NODE]: i.node, [LABEL_INSTANCE]: i.name };
      const identity = JSON.stringify({ instance: i.name, node: i.node, ...i.locality });
      return new Deployment({
        metadata: { name: `echo-${i.name}`, namespace: NAMESPACE, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: { [LABEL_NODE]: i.node },
              tolerations,
              containers: [
                {
                  name: 'echo',
                  image,
                  imagePullPolicy: 'Never',
                  args: ['harness/workloads/echo-server.ts', '--identity', identity, '--host', '0.0.0.0', '--port', String(ECHO_PORT), '--admin-host', '127.0.0.1', '--admin-port', String(ADMIN_PORT), ...capacityArgs(node.capacity)],
                  ports: [{ name: 'http', containerPort: ECHO_PORT }],
                  readinessProbe: { httpGet: { path: '/healthz', port: ECHO_PORT }, periodSeconds: 1 },
                },
              ],
            },
          },
        },
      }).toJSON() as Obj;
    });
}

/** The k6 script as a ConfigMap, mounted by k6 client Jobs. */
export function k6ScriptConfigMap(script: string): Obj {
  const cm = new ConfigMap({ metadata: { name: K6_SCRIPT_CONFIGMAP, namespace: NAMESPACE }, data: { 'driver.js': script } });
  cm.validate();
  return cm.toJSON() as Obj;
}

const recordsMount = { name: 'records', mountPath: RECORDS_DIR };

/**
 * The client's container: the harness driver, or k6 with the same open model.
 * Either writes its records to a file in the pod's emptyDir, never to its log.
 * The harness driver stops when the harness writes the stop file; k6 cannot
 * watch a file, so it runs for exactly the run's length (`k6DurationMs`).
 */
/**
 * The driver is the measurement: it asks for CPU, so the pod is Burstable
 * (cgroup cpu.shares 512), not BestEffort (2), and the node's other work does
 * not starve it. Live on kind (six nodes, two of them booting after a
 * revert, on two cores) the driver stalled 300 ms and could not send 7 of 672
 * requests on time.
 */
const DRIVER_RESOURCES = { requests: { cpu: '500m', memory: '128Mi' } };

function driverContainer(ex: Experiment, client: string, image: string, startAt: number, maxDurationMs: number, k6DurationMs: number, host: string, perRequest: boolean): Obj {
  const target = `http://${host}:${ECHO_PORT}/`;
  if (ex.traffic.driver === 'k6') {
    const env = k6Env({ client, target, allowTarget: host, rate: ex.traffic.rate, timeoutMs: ex.traffic.timeout, maxDurationMs: k6DurationMs, startAt });
    return {
      name: 'driver',
      image: K6_IMAGE,
      // Loaded into the cluster by the harness (kind load docker-image): never pulled at Job start.
      imagePullPolicy: 'IfNotPresent',
      args: [...k6RunArgs(recordsFile(client, true), SUMMARY_FILE), '/scripts/driver.js'],
      env: Object.entries(env).map(([name, value]) => ({ name, value })),
      volumeMounts: [{ name: 'script', mountPath: '/scripts', readOnly: true }, recordsMount],
      resources: DRIVER_RESOURCES,
    };
  }
  return {
    name: 'driver',
    image,
    imagePullPolicy: 'Never',
    // The bundle the image built (traffic/driver-bundle.ts), with plain node: not through the image's tsx entrypoint.
    command: ['node'],
    args: [
      IMAGE_DRIVER_BUNDLE,
      '--client', client,
      '--target', target,
      '--allow-target', host,
      '--rate', String(ex.traffic.rate),
      '--timeout-ms', String(ex.traffic.timeout),
      '--max-duration-ms', String(Math.round(maxDurationMs)),
      '--start-at', String(Math.round(startAt)),
      '--out', recordsFile(client, false),
      '--stop-file', STOP_FILE,
      '--summary', SUMMARY_FILE,
      // No proxy in front: kube-proxy places connections, so each request gets its own (sender.ts says why).
      ...(perRequest ? ['--connection-per-request'] : []),
    ],
    volumeMounts: [recordsMount],
    resources: DRIVER_RESOURCES,
  };
}

/** Keeps the pod (and its emptyDir) until the harness has copied the records out. */
function recordsContainer(image: string, maxDurationMs: number): Obj {
  return {
    name: RECORDS_CONTAINER,
    image,
    imagePullPolicy: 'Never',
    args: ['harness/traffic/records-holder.ts', '--dir', RECORDS_DIR, '--max-wait-ms', String(Math.round(maxDurationMs + 600_000))],
    volumeMounts: [recordsMount],
  };
}

export interface ClientJobTiming {
  /** Epoch ms of the first request. */
  startAt: number;
  /** Bound on the harness driver (it normally stops on the stop file). */
  maxDurationMs: number;
  /** How long k6 runs (it cannot be told to stop). */
  k6DurationMs: number;
}

/**
 * A Job per client, pinned to its node, running the same traffic driver as
 * locally. Records go to a file in an emptyDir that a second container keeps
 * until the harness copied it out (see records-holder.ts).
 */
export function clientJobs(ex: Experiment, cluster: string, image: string, t: ClientJobTiming, plane: DataPlane | Mesh = ISTIO): Obj[] {
  const k6 = ex.traffic.driver === 'k6';
  const p = asPlane(plane);
  const host = serviceHost(p);
  // A native sidecar lets the Job complete while the mesh proxy runs.
  const sidecar: Record<string, string> = p.mesh === 'linkerd' ? LINKERD_NATIVE_SIDECAR : p.mesh === 'istio' ? { 'sidecar.istio.io/nativeSidecar': 'true' } : {};
  return ex.topology.clients
    .filter((c) => c.locality.cluster === cluster)
    .map(
      (c) =>
        new Job({
          metadata: { name: `traffic-${c.name}`, namespace: NAMESPACE, labels: { [CLIENT_LABEL]: c.name } },
          spec: {
            backoffLimit: 0,
            // A bound whatever happens to the harness: the Job ends itself.
            activeDeadlineSeconds: Math.ceil((t.maxDurationMs + 900_000) / 1000),
            template: {
              metadata: { labels: { [CLIENT_LABEL]: c.name }, ...(Object.keys(sidecar).length ? { annotations: sidecar } : {}) },
              spec: {
                restartPolicy: 'Never',
                nodeSelector: { [LABEL_NODE]: c.name },
                tolerations,
                containers: [driverContainer(ex, c.name, image, t.startAt, t.maxDurationMs, t.k6DurationMs, host, p.mesh === 'none') as never, recordsContainer(image, t.maxDurationMs) as never],
                volumes: [{ name: 'records', emptyDir: {} }, ...(k6 ? [{ name: 'script', configMap: { name: K6_SCRIPT_CONFIGMAP } }] : [])],
              },
            },
          },
        }).toJSON() as Obj,
    );
}

/** Validates any object that kubernetes-models knows; used by tests on whole rendered plans. */
export function validateAll(objects: readonly Obj[]): void {
  for (const o of objects) {
    const kind = o.kind as string;
    const Model = { Namespace, Service, Deployment, Job, ConfigMap }[kind as 'Namespace'];
    if (Model) new Model(o as never).validate();
  }
}
