import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { logFormat } from '../../services/lib/log.ts';

describe('log format', () => {
  it('is pretty on a terminal, JSON otherwise, and SWITCHYARD_LOG_FORMAT decides when set', () => {
    assert.equal(logFormat({}, true), 'pretty');
    assert.equal(logFormat({}, false), 'json');
    assert.equal(logFormat({ SWITCHYARD_LOG_FORMAT: 'json' }, true), 'json');
    assert.equal(logFormat({ SWITCHYARD_LOG_FORMAT: 'pretty' }, false), 'pretty');
    assert.throws(() => logFormat({ SWITCHYARD_LOG_FORMAT: 'xml' }, false), /SWITCHYARD_LOG_FORMAT="xml": expected json or pretty/);
  });

  it('a process whose stdout is a pipe writes JSON lines; asked for pretty, it writes pino-pretty lines', () => {
    const script = "import('./services/lib/log.ts').then((m) => m.logger('probe').info({ powerMw: 4.2 }, 'hello'))";
    const run = (format?: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
        encoding: 'utf8',
        env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', SWITCHYARD_LOG_FORMAT: format ?? '' },
      }).stdout.trim();
    const line = JSON.parse(run()) as { msg: string; component: string; powerMw: number };
    assert.deepEqual([line.msg, line.component, line.powerMw], ['hello', 'probe', 4.2]);
    const pretty = run('pretty');
    assert.match(pretty, /INFO.*hello/);
    assert.match(pretty, /powerMw: 4\.2/);
    assert.throws(() => JSON.parse(pretty));
  });
});
