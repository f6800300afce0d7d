import { describe, expect, it } from 'vitest';
import { isAllowedTarget } from '../../harness/traffic/target-guard.js';

describe('isAllowedTarget', () => {
  it.each(['127.0.0.1', '127.4.5.6', 'localhost', '::1', '198.18.0.1', '198.19.255.254'])('allows %s', (host) => expect(isAllowedTarget(host)).toBe(true));
  it.each(['10.0.0.1', '172.16.0.1', '192.168.1.1', '8.8.8.8', '198.17.255.255', '198.20.0.0', 'example.com'])('refuses %s', (host) => expect(isAllowedTarget(host)).toBe(false));
  it('allows a named extra host', () => expect(isAllowedTarget('10.1.2.3', ['10.1.2.3'])).toBe(true));
});
