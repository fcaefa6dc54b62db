/** `dvs serve` as a real process: SIGTERM (and SIGINT) stop it cleanly with exit code 0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPair, siteYaml, until } from './helpers.ts';

for (const signal of ['SIGTERM'] as const) { // SIGINT takes the same path (one handler for both)
  test(`dvs serve exits 0 on ${signal} after closing the API and the streams`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dvs-serve-sig-'));
    const file = join(dir, 'site.yaml');
    writeFileSync(file, siteYaml({ cameras: ['- id: camA', `  source: "rtp://127.0.0.1:${await freeUdpPair()}"`, '  rtp_config: {codec: h264}'] }));
    const p = spawn(process.execPath, ['bin/dvs.js', 'serve', '--config', file, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    try {
      assert.ok(await until(() => /API on http:\/\/127\.0\.0\.1:(\d+)/.test(out), 20000), out);
      const port = Number(/API on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      p.kill(signal);
      assert.equal(await exited, 0, out);
      assert.match(out, new RegExp(`${signal}, shutting down`));
      assert.match(out, /camA \w+ → stopped: manager closed/);
      assert.match(out, /dvs serve: detection off \(.*camA.*\)/, 'camA has no resolution or pose: the reason names it');
      assert.match(out, /dvs serve: stopped\n$/);
    } finally {
      p.kill('SIGKILL');
    }
  });
}
