// Starts test/support/modbus_server.py (pymodbus) on a free port and waits for it to say so.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type RegisterTable = Map<number, number>;
export interface UnitTables {
  holding: RegisterTable;
  input: RegisterTable;
}

export interface RunningModbusServer {
  port: number;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./modbus_server.py', import.meta.url));

export async function startModbusServer(python: string, units: Map<number, UnitTables>, readyTimeoutMs = 15_000): Promise<RunningModbusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-modbus-'));
  const specPath = join(dir, 'spec.json');
  const spec = {
    units: Object.fromEntries([...units].map(([unit, t]) => [String(unit), { holding: [...t.holding], input: [...t.input] }])),
  };
  writeFileSync(specPath, JSON.stringify(spec));
  const child = spawn(python, [SCRIPT, specPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`pymodbus server did not start within ${readyTimeoutMs} ms: ${stderr}`)), readyTimeoutMs);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /READY (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`starting ${python} ${SCRIPT}: ${err.message}`, { cause: err }));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`pymodbus server exited with ${code} before it was ready: ${stderr}`));
      });
    });
    return { port, stop: () => stopChild(child).finally(cleanup) };
  } catch (err) {
    await stopChild(child);
    cleanup();
    throw err;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
