import { isIP } from 'node:net';

// Test traffic may only go to loopback or to the harness's own address range
// (198.18.0.0/15, where its network namespaces live), never elsewhere.

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function isAllowedTarget(host: string, extraAllowed: readonly string[] = []): boolean {
  if (extraAllowed.includes(host)) return true;
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  if (isIP(host) !== 4) return false;
  const value = ipv4ToInt(host);
  const inRange = (base: string, bits: number) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(ipv4ToInt(base) / 2 ** (32 - bits));
  return inRange('127.0.0.0', 8) || inRange('198.18.0.0', 15);
}
