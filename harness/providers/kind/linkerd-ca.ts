import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor } from '../../exec/index.js';

// Linkerd's identity across clusters: one trust anchor (a root CA) shared by
// every cluster, and per cluster an issuer (an intermediate CA signed by the
// anchor) that the cluster's identity controller signs proxy certificates
// with. Linkerd wants ECDSA P-256 keys and an issuer named
// identity.linkerd.cluster.local. Generated with openssl into a private
// directory, never into the report.

export const LINKERD_ISSUER_CN = 'identity.linkerd.cluster.local';
const ROOT_CN = 'root.linkerd.cluster.local';

export const TRUST_ANCHOR = 'ca.crt';
const TRUST_ANCHOR_KEY = 'ca.key';
export const ISSUER_CERT = 'issuer.crt';
export const ISSUER_KEY = 'issuer.key';
/** The issuer's extensions, written beside its CSR for the signing step. */
export const ISSUER_EXTENSIONS_FILE = 'issuer.ext';
export const ISSUER_EXTENSIONS = 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n';

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

/** openssl argv for the trust anchor (self-signed, CA:TRUE, 10 years). Pure. */
export function trustAnchorArgv(dir: string): string[] {
  return [
    'openssl', 'req', '-x509', ...P256, '-nodes', '-sha256', '-days', '3650',
    '-keyout', join(dir, TRUST_ANCHOR_KEY), '-out', join(dir, TRUST_ANCHOR),
    '-subj', `/CN=${ROOT_CN}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ];
}

/** openssl argv for one cluster's issuer: a CSR, the anchor's signature, and the key in the SEC 1 form Linkerd reads. Pure. */
export function issuerArgv(dir: string, cluster: string): { request: string[]; sign: string[]; key: string[] } {
  const own = join(dir, cluster);
  return {
    request: [
      'openssl', 'req', '-new', ...P256, '-nodes', '-sha256',
      '-keyout', join(own, 'issuer-pkcs8.key'), '-out', join(own, 'issuer.csr'),
      '-subj', `/CN=${LINKERD_ISSUER_CN}`,
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    // The issuer's extensions from a file (-extfile), not -copy_extensions (OpenSSL 3 only): OpenSSL 1.1.1 signs it too.
    sign: [
      'openssl', 'x509', '-req', '-sha256', '-days', '365', '-in', join(own, 'issuer.csr'),
      '-CA', join(dir, TRUST_ANCHOR), '-CAkey', join(dir, TRUST_ANCHOR_KEY), '-CAcreateserial',
      '-extfile', join(own, ISSUER_EXTENSIONS_FILE), '-out', join(own, ISSUER_CERT),
    ],
    // "BEGIN EC PRIVATE KEY", as `step certificate create` (Linkerd's documented tool) writes it.
    key: ['openssl', 'ec', '-in', join(own, 'issuer-pkcs8.key'), '-out', join(own, ISSUER_KEY)],
  };
}

export interface LinkerdIdentityFiles {
  trustAnchor: string;
  issuerCert: string;
  issuerKey: string;
}

/**
 * Writes the anchor and one issuer per cluster under `dir` (which must exist,
 * private). A dry run prints the commands and writes nothing.
 */
export async function generateLinkerdIdentity(exec: Executor, dir: string, clusters: readonly string[], mkdir: (path: string) => void, write: (path: string, text: string) => void = () => undefined): Promise<Record<string, LinkerdIdentityFiles>> {
  // An anchor already there is kept: kept clusters' proxies trust it.
  if (!existsSync(join(dir, TRUST_ANCHOR))) await exec.run(trustAnchorArgv(dir), { context: 'generate the Linkerd trust anchor' });
  const out: Record<string, LinkerdIdentityFiles> = {};
  for (const cluster of clusters) {
    const own = join(dir, cluster);
    out[cluster] = { trustAnchor: join(dir, TRUST_ANCHOR), issuerCert: join(own, ISSUER_CERT), issuerKey: join(own, ISSUER_KEY) };
    if (existsSync(join(own, ISSUER_KEY))) continue;
    mkdir(own);
    write(join(own, ISSUER_EXTENSIONS_FILE), ISSUER_EXTENSIONS);
    const { request, sign, key } = issuerArgv(dir, cluster);
    await exec.run(request, { context: `request the Linkerd issuer of ${cluster}` });
    await exec.run(sign, { context: `sign the Linkerd issuer of ${cluster}` });
    await exec.run(key, { context: `write the Linkerd issuer key of ${cluster}` });
  }
  return out;
}
