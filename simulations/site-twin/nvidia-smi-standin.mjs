#!/usr/bin/env node
// The twin's nvidia-smi: `nvidia-smi-standin.mjs <twin-url> <host> <nvidia-smi args…>`.
// Asks the twin's GPU server for this host's output and prints it as nvidia-smi would:
// stdout and exit 0, or the message on stderr and exit 2 (an invalid field). When the twin
// holds the host hung, this process hangs too, as a real nvidia-smi does on a wedged driver;
// the agent's deadline kills it. Plain JavaScript so each call starts fast (no TypeScript loader).
const [url, host, ...args] = process.argv.slice(2);
if (url === undefined || host === undefined) {
  process.stderr.write('usage: nvidia-smi-standin.mjs <twin-url> <host> [nvidia-smi args]\n');
  process.exit(2);
}
const q = new URLSearchParams();
for (const a of args) q.append('arg', a);
try {
  const res = await fetch(`${url}/hosts/${encodeURIComponent(host)}/nvidia-smi?${q}`);
  const body = await res.text();
  if (res.ok) {
    process.stdout.write(body);
    process.exit(0);
  }
  process.stderr.write(body);
  process.exit(res.status === 404 ? 6 : 2);
} catch (err) {
  process.stderr.write(`Unable to determine the device handle: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(15);
}
