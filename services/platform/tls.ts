import { readFileSync } from 'node:fs';
import { ContextError, wrap } from '../lib/errors.ts';

/**
 * HTTPS for the control plane: SWITCHYARD_TLS_CERT_FILE and SWITCHYARD_TLS_KEY_FILE (PEM),
 * both or neither. Agents then use an https:// controlPlaneUrl (and wss:// for commands);
 * a private CA is trusted on the agent's machine with Node's NODE_EXTRA_CA_CERTS.
 */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export function tlsFromEnv(env: NodeJS.ProcessEnv): TlsFiles | undefined {
  const certFile = env.SWITCHYARD_TLS_CERT_FILE;
  const keyFile = env.SWITCHYARD_TLS_KEY_FILE;
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new ContextError('E_TLS_CONFIG', `SWITCHYARD_TLS_CERT_FILE and SWITCHYARD_TLS_KEY_FILE go together; only ${certFile ? 'the certificate' : 'the key'} is set`);
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw wrap(`reading the TLS ${what} ${path}`, err, 'E_TLS_CONFIG');
    }
  };
  return { cert: read('certificate', certFile), key: read('key', keyFile) };
}
