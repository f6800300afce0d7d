import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor } from '../../exec/index.js';

// One root of trust for a multi-cluster mesh: Istio's "plug-in CA". A root CA
// and, per cluster, an intermediate CA signed by it; each cluster's istiod
// signs workload certificates with its intermediate, so workloads in
// different clusters trust each other through the shared root. Generated with
// openssl (RSA 2048: what every Istio version accepts) into a private
// directory; istiod reads them from the `cacerts` secret in istio-system.

/** The four files Istio expects in `cacerts`. */
export const CACERTS_FILES = ['ca-cert.pem', 'ca-key.pem', 'root-cert.pem', 'cert-chain.pem'] as const;

const SUBJECT_O = 'failover-harness';

/** openssl argv for the root CA (self-signed, CA:TRUE, 10 years). Pure. */
export function rootCaArgv(dir: string): string[] {
  return [
    'openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650',
    '-keyout', join(dir, 'root-key.pem'), '-out', join(dir, 'root-cert.pem'),
    '-subj', `/O=${SUBJECT_O}/CN=failover-harness root CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ];
}

/** openssl argv for one cluster's intermediate CA: a CSR, then signed by the root. Pure. */
export function intermediateArgv(dir: string, cluster: string): { request: string[]; sign: string[] } {
  const own = join(dir, cluster);
  return {
    request: [
      'openssl', 'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256',
      '-keyout', join(own, 'ca-key.pem'), '-out', join(own, 'ca.csr'),
      '-subj', `/O=${SUBJECT_O}/CN=failover-harness intermediate CA ${cluster}`,
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign',
      // istiod's identity, as Istio's own certificate tooling names it.
      '-addext', 'subjectAltName=URI:spiffe://cluster.local/ns/istio-system/sa/istiod-service-account',
    ],
    sign: [
      'openssl', 'x509', '-req', '-sha256', '-days', '730', '-in', join(own, 'ca.csr'),
      '-CA', join(dir, 'root-cert.pem'), '-CAkey', join(dir, 'root-key.pem'), '-CAcreateserial',
      '-copy_extensions', 'copyall', '-out', join(own, 'ca-cert.pem'),
    ],
  };
}

/**
 * Writes the root and one intermediate per cluster under `dir` (which must
 * exist, private). Returns, per cluster, the folder holding its four cacerts
 * files. In a dry run the commands print and no file appears: the chain is
 * then not assembled.
 */
export async function generateMeshCa(exec: Executor, dir: string, clusters: readonly string[], mkdir: (path: string) => void): Promise<Record<string, string>> {
  // A root (and intermediates) already there are kept: kept clusters' istiods signed with them.
  if (!existsSync(join(dir, 'root-cert.pem'))) await exec.run(rootCaArgv(dir), { context: 'generate the mesh root CA' });
  const out: Record<string, string> = {};
  for (const cluster of clusters) {
    const own = join(dir, cluster);
    out[cluster] = own;
    if (existsSync(join(own, 'cert-chain.pem'))) continue;
    mkdir(own);
    const { request, sign } = intermediateArgv(dir, cluster);
    await exec.run(request, { context: `request an intermediate CA for ${cluster}` });
    await exec.run(sign, { context: `sign the intermediate CA of ${cluster}` });
    try {
      const root = readFileSync(join(dir, 'root-cert.pem'), 'utf8');
      writeFileSync(join(own, 'root-cert.pem'), root);
      writeFileSync(join(own, 'cert-chain.pem'), readFileSync(join(own, 'ca-cert.pem'), 'utf8') + root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return out;
}

/** `kubectl create secret generic cacerts` from a cluster's folder (files, so no key is ever printed). */
export function cacertsSecretArgv(context: string, folder: string): string[] {
  return ['kubectl', '--context', context, '-n', 'istio-system', 'create', 'secret', 'generic', 'cacerts', ...CACERTS_FILES.map((f) => `--from-file=${f}=${join(folder, f)}`)];
}
