/** True when the error, or one of its causes, is a listen that found the address in use. */
export function isAddrInUse(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'EADDRINUSE') return true;
  }
  return false;
}

/** The address:port of the first EADDRINUSE in the chain (Node puts them on the error). */
export function addrInUseWhere(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as { code?: unknown; address?: unknown; port?: unknown };
    if (x.code === 'EADDRINUSE') return typeof x.address === 'string' && typeof x.port === 'number' ? `${x.address}:${x.port}` : undefined;
  }
  return undefined;
}
