import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { realExecutor } from '../../harness/exec/index.js';
import { CACERTS_FILES, generateMeshCa } from '../../harness/providers/kind/mesh-ca.js';

// The multi-cluster mesh's shared trust: real openssl makes a root CA and an
// intermediate per cluster; openssl itself checks the chain and the
// constraints Istio's plug-in CA needs.

const dir = mkdtempSync(join(tmpdir(), 'fh-mesh-ca-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openssl = async (...args: string[]) => (await execa('openssl', args)).stdout;

describe('mesh CA (openssl)', () => {
  it('an intermediate per cluster, each chaining to the one root, with cacerts files for istiod', async () => {
    const folders = await generateMeshCa(realExecutor, dir, ['east', 'west'], (p) => mkdirSync(p, { recursive: true, mode: 0o700 }));
    expect(Object.keys(folders)).toEqual(['east', 'west']);
    for (const [cluster, folder] of Object.entries(folders)) {
      for (const f of CACERTS_FILES) expect(statSync(join(folder, f)).size).toBeGreaterThan(0);
      expect(statSync(folder).mode & 0o777).toBe(0o700);
      // The intermediate verifies against the shared root ...
      expect(await openssl('verify', '-CAfile', join(dir, 'root-cert.pem'), join(folder, 'ca-cert.pem'))).toContain(': OK');
      // ... may sign workload certificates, but no further CAs ...
      expect(await openssl('x509', '-in', join(folder, 'ca-cert.pem'), '-noout', '-ext', 'basicConstraints')).toMatch(/CA:TRUE, pathlen:0/);
      expect(await openssl('x509', '-in', join(folder, 'ca-cert.pem'), '-noout', '-ext', 'keyUsage')).toMatch(/Certificate Sign/);
      expect(await openssl('x509', '-in', join(folder, 'ca-cert.pem'), '-noout', '-subject')).toContain(`intermediate CA ${cluster}`);
      // ... its key matches its certificate, and the chain file is intermediate then root.
      expect(await openssl('pkey', '-in', join(folder, 'ca-key.pem'), '-pubout')).toBe(await openssl('x509', '-in', join(folder, 'ca-cert.pem'), '-noout', '-pubkey'));
      const chain = readFileSync(join(folder, 'cert-chain.pem'), 'utf8');
      expect(chain).toBe(readFileSync(join(folder, 'ca-cert.pem'), 'utf8') + readFileSync(join(dir, 'root-cert.pem'), 'utf8'));
    }
    // Two clusters, two different intermediates, one root.
    const fp = (f: string) => openssl('x509', '-in', f, '-noout', '-fingerprint', '-sha256');
    expect(await fp(join(folders.east!, 'ca-cert.pem'))).not.toBe(await fp(join(folders.west!, 'ca-cert.pem')));
    expect(await fp(join(folders.east!, 'root-cert.pem'))).toBe(await fp(join(folders.west!, 'root-cert.pem')));
  });

  it('a kept CA is reused: the root and existing intermediates stay, a new cluster gets one under the same root', async () => {
    const fp = (f: string) => openssl('x509', '-in', f, '-noout', '-fingerprint', '-sha256');
    const before = { root: await fp(join(dir, 'root-cert.pem')), east: await fp(join(dir, 'east', 'ca-cert.pem')) };
    const folders = await generateMeshCa(realExecutor, dir, ['east', 'west', 'south'], (p) => mkdirSync(p, { recursive: true, mode: 0o700 }));
    expect(await fp(join(dir, 'root-cert.pem'))).toBe(before.root);
    expect(await fp(join(folders.east!, 'ca-cert.pem'))).toBe(before.east);
    expect(await openssl('verify', '-CAfile', join(dir, 'root-cert.pem'), join(folders.south!, 'ca-cert.pem'))).toContain(': OK');
  });
});
