import { ContextError, errorMessage } from '../lib/errors.ts';

/**
 * One HTTP request under a timeout, its body read as text. A failure says what was being
 * done and why, including the socket-level cause that fetch keeps in `cause` ("fetch failed:
 * connect ECONNREFUSED 127.0.0.1:18428").
 */
export async function fetchText(url: string, init: RequestInit, timeoutMs: number, doing: string): Promise<{ status: number; ok: boolean; text: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, ok: res.ok, text: await res.text() };
  } catch (err) {
    const cause = err instanceof Error && err.cause !== undefined ? `: ${errorMessage(err.cause)}` : '';
    throw new ContextError('E_HTTP', `${doing}: ${errorMessage(err)}${cause}`, { cause: err });
  }
}
