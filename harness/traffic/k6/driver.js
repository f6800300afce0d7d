// @ts-check
// The traffic driver as a k6 script (`--driver k6`): the same open model as
// harness/traffic/driver.ts (constant arrival rate, so a slow answer does not
// delay the next request) and the same traffic guard. Each request becomes
// one `fh_request` sample whose tags carry what a RequestRecord needs; k6's
// `--out json` lines are turned into records by ingest.ts. Plain JavaScript
// (k6 runs it as is), type-checked against @types/k6 by tsconfig.k6.json.

import http from 'k6/http';
import { Trend } from 'k6/metrics';

/** @param {string} name */
function env(name) {
  const value = __ENV[name];
  if (value === undefined || value === '') throw new Error(`k6 driver: ${name} is not set`);
  return value;
}

const client = env('FH_CLIENT');
const target = env('FH_TARGET');
const rate = Number(env('FH_RATE'));
const timeoutMs = Number(env('FH_TIMEOUT_MS'));
const durationMs = Number(env('FH_DURATION_MS'));
const startDelayMs = Math.max(0, Number(env('FH_START_AT')) - Date.now());
const allowed = (__ENV.FH_ALLOW_TARGET ?? '').split(',').filter(Boolean);

/** Loopback, 198.18.0.0/15, or a host named by FH_ALLOW_TARGET: as the node driver's guard. */
function allowedHost(/** @type {string} */ url) {
  const host = (/^https?:\/\/(\[[^\]]+\]|[^/:]+)/.exec(url) ?? [])[1] ?? '';
  if (host === 'localhost' || host === '[::1]' || /^127\./.test(host)) return true;
  if (/^198\.(18|19)\.\d+\.\d+$/.test(host)) return true;
  return allowed.includes(host);
}
if (!allowedHost(target)) throw new Error(`k6 driver: refusing to send traffic to ${target}: only loopback, 198.18.0.0/15 and FH_ALLOW_TARGET hosts`);

const request = new Trend('fh_request', true);

/** @type {import('k6/options').Options} */
export const options = {
  scenarios: {
    traffic: {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration: `${Math.max(1, Math.round(durationMs))}ms`,
      startTime: `${Math.round(startDelayMs)}ms`,
      // Enough VUs for every request to wait its whole timeout without delaying the next.
      preAllocatedVUs: Math.max(2, Math.ceil((rate * timeoutMs) / 1000) + 2),
      maxVUs: Math.max(4, Math.ceil((rate * timeoutMs) / 1000) * 2 + 4),
      gracefulStop: `${timeoutMs + 1000}ms`,
    },
  },
  // Every status is an answer to record, not a k6 failure.
  noConnectionReuse: false,
  summaryTrendStats: ['p(50)', 'p(99)', 'max'],
};

const IDENTITY = ['instance', 'cluster', 'region', 'zone', 'subzone'];

export default function () {
  const sentAt = Date.now();
  const res = http.get(target, { timeout: `${timeoutMs}ms`, headers: { 'x-fh-client': client }, responseCallback: http.expectedStatuses({ min: 100, max: 599 }) });
  /** @type {Record<string, string>} */
  const tags = { sent_at: String(sentAt), status: String(res.status), error_code: String(res.error_code || 0) };
  // An error an instance answered itself (a gray failure) says who, as a 200 does.
  if (res.status > 0) {
    try {
      const who = /** @type {Record<string, unknown>} */ (res.json());
      for (const key of IDENTITY) if (typeof who[key] === 'string') tags[key] = /** @type {string} */ (who[key]);
    } catch {
      if (res.status === 200) tags.bad_body = '1';
    }
  }
  request.add(Date.now() - sentAt, tags);
}
