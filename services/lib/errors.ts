/**
 * An error that says what was being done. `wrap` keeps the cause so the chain
 * reads "loading site file demo.yaml: line 4: ...".
 */
export class ContextError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContextError';
    this.code = code;
  }
}

export function wrap(doing: string, cause: unknown, code = 'E_WRAPPED'): ContextError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ContextError(code, `${doing}: ${reason}`, { cause });
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
