import type { Clock } from '../../core/clock.js';

/** Polls until `check` returns true, or throws after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, check: () => Promise<boolean>, clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = clock.now() + timeoutMs;
  let lastError = '';
  while (clock.now() < deadline) {
    signal?.throwIfAborted();
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await clock.sleep(50, signal);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`);
}

export async function httpOk(url: string, method = 'GET'): Promise<boolean> {
  const res = await fetch(url, { method, signal: AbortSignal.timeout(1000) });
  await res.arrayBuffer();
  return res.ok;
}

