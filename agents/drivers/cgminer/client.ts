import net from 'node:net';
import { parseCgminerReply, type CgminerReply } from './parse.ts';
import { charged, type CpuAccount } from './cpu-account.ts';

/**
 * One cgminer API call: connect to host:port (4028 on real miners), send the JSON request,
 * read until the NUL that ends a reply or until the miner closes, parse. One deadline covers
 * connecting and the whole reply, so a miner that accepts and never answers costs at most
 * `timeoutMs`.
 */
export interface CgminerRequest {
  command: string;
  parameter?: string;
}

export interface CallOptions {
  timeoutMs: number;
  /** Larger replies are cut off as an error; Antminer `stats` is ~5 KB, DragonMint T1 36 KB. */
  maxReplyBytes?: number;
  /** Aborting ends the call at once as a 'timeout' (the caller's own, larger deadline). */
  signal?: AbortSignal;
  /** Charged with this call's client CPU (commands; see cpu-account.ts). */
  cpu?: CpuAccount;
}

export type TransportFailure = 'refused' | 'timeout' | 'reset' | 'no-reply' | 'too-large' | 'network';

export class CgminerTransportError extends Error {
  readonly failure: TransportFailure;
  constructor(failure: TransportFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CgminerTransportError';
    this.failure = failure;
  }
}

const DEFAULT_MAX_REPLY = 1024 * 1024;

/** The raw reply bytes, NUL excluded. */
export function cgminerCall(host: string, port: number, request: CgminerRequest, opts: CallOptions): Promise<Buffer> {
  if (request.parameter === undefined) return cgminerSend(host, port, commandPayload(request.command), opts);
  return cgminerSend(host, port, JSON.stringify({ command: request.command, parameter: request.parameter }), opts);
}

/** `{"command":…}` texts, made once per command: the poller sends the same few every read. */
const payloads = new Map<string, string>();
function commandPayload(command: string): string {
  let text = payloads.get(command);
  if (text === undefined) {
    text = JSON.stringify({ command });
    if (payloads.size < 256) payloads.set(command, text);
  }
  return text;
}

/**
 * Sends `payload` as is and reads the reply: for requests that are not `{"command":…}`,
 * such as Whatsminer's `{"cmd":"get_token"}` and its encrypted `{"enc":1,"data":…}`.
 */
export function cgminerSend(host: string, port: number, payload: string, opts: CallOptions): Promise<Buffer> {
  const maxBytes = opts.maxReplyBytes ?? DEFAULT_MAX_REPLY;
  const cpu = opts.cpu;
  return charged(cpu, () => new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let connected = false;
    let settled = false;
    const socket = net.connect({ host, port });
    const onAbort = () => finish(new CgminerTransportError('timeout', `aborted: ${String(opts.signal?.reason ?? 'caller deadline')}`));
    const finish = (err: CgminerTransportError | undefined, reply?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply as Buffer);
    };
    const timer = setTimeout(() => {
      const phase = connected ? `no complete reply within ${opts.timeoutMs} ms` : `connect timed out after ${opts.timeoutMs} ms`;
      finish(new CgminerTransportError('timeout', phase));
    }, opts.timeoutMs);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.setNoDelay(true);
    socket.once('connect', () => {
      connected = true;
      charged(cpu, () => socket.write(payload));
    });
    socket.on('data', (chunk: Buffer) => charged(cpu, () => {
      const nul = chunk.indexOf(0);
      const part = nul >= 0 ? chunk.subarray(0, nul) : chunk;
      chunks.push(part);
      size += part.length;
      if (size > maxBytes) finish(new CgminerTransportError('too-large', `reply larger than ${maxBytes} bytes`));
      // A reply that came in one chunk (most do) is used as it is, not copied.
      else if (nul >= 0) finish(undefined, chunks.length === 1 ? part : Buffer.concat(chunks, size));
    }));
    socket.once('end', () => {
      // Some firmware (the S17 Pro and T1 recordings) closes without the NUL.
      if (size > 0) finish(undefined, Buffer.concat(chunks, size));
      else finish(new CgminerTransportError('no-reply', 'connection closed without a reply'));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'error';
      if (!connected) {
        const failure: TransportFailure = code === 'ECONNREFUSED' ? 'refused' : code === 'ECONNRESET' ? 'reset' : 'network';
        finish(new CgminerTransportError(failure, `connect ${code}`, { cause: err }));
      } else {
        finish(new CgminerTransportError(code === 'ECONNRESET' ? 'reset' : 'network', `reading reply: ${code}`, { cause: err }));
      }
    });
  }));
}

export async function cgminerCommand(host: string, port: number, request: CgminerRequest, opts: CallOptions): Promise<CgminerReply> {
  return parseCgminerReply(await cgminerCall(host, port, request, opts));
}
