import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveProtocol, hasCredentials, parseSource, redactCredentials, redactCredentialsInText, resolveCameraSource } from '../../src/config/index.ts';

test('redactCredentials hides user info and secret query values', () => {
  const cases: [string, string][] = [
    ['rtsp://user:pass@10.0.0.11/stream1', 'rtsp://***@10.0.0.11/stream1'],
    ['rtsps://admin:p%40ss@cam.local:322/live?x=1', 'rtsps://***@cam.local:322/live?x=1'],
    ['rtsp://onlyuser@10.0.0.11/s', 'rtsp://***@10.0.0.11/s'],
    ['rtsp://10.0.0.11/s?user=admin&password=hunter2&ch=1', 'rtsp://10.0.0.11/s?user=***&password=***&ch=1'],
    ['https://hooks.example.com/x?token=abc', 'https://hooks.example.com/x?token=***'],
    ['rtsp://10.0.0.11/path@with-at', 'rtsp://10.0.0.11/path@with-at'],
    ['rtp://0.0.0.0:50000', 'rtp://0.0.0.0:50000'],
    ['file:videos/a.mkv', 'file:videos/a.mkv'],
  ];
  for (const [input, want] of cases) assert.equal(redactCredentials(input), want, input);
  assert.equal(
    redactCredentialsInText('token "rtsp://u:p@h/s" and rtsps://a:b@c/d?pwd=x'),
    'token "rtsp://***@h/s" and rtsps://***@c/d?pwd=***',
  );
  assert.equal(hasCredentials('rtsp://u:p@h/'), true);
  assert.equal(hasCredentials('rtsp://h/'), false);
});

test('parseSource: the four schemes and their failures', () => {
  assert.deepEqual(parseSource('rtsp://u:p@10.0.0.1:8554/s'), { ok: true, scheme: 'rtsp', host: '10.0.0.1', port: 8554 });
  assert.deepEqual(parseSource('RTSPS://cam/s'), { ok: true, scheme: 'rtsps', host: 'cam' });
  assert.deepEqual(parseSource('rtp://0.0.0.0:50000'), { ok: true, scheme: 'rtp', host: '0.0.0.0', port: 50000 });
  assert.deepEqual(parseSource('file:a/b.mkv'), { ok: true, scheme: 'file', path: 'a/b.mkv' });
  assert.deepEqual(parseSource('file:///tmp/a.mkv'), { ok: true, scheme: 'file', path: '/tmp/a.mkv' });
  const bad: [string, RegExp][] = [
    ['10.0.0.1/stream', /no scheme/],
    ['http://x/y', /unknown source scheme 'http:'/],
    ['rtp://0.0.0.0', /needs a port/],
    ['rtp://0.0.0.0:70000', /invalid URL/],
    ['rtsp:cam/s', /needs a host/],
    ['file:', /needs a path/],
  ];
  for (const [src, re] of bad) {
    const p = parseSource(src);
    assert.equal(p.ok, false, src);
    if (!p.ok) assert.match(p.message, re, src);
  }
});

test('deriveProtocol and resolveCameraSource', () => {
  assert.equal(deriveProtocol('rtsp://h/s'), 'rtsp');
  assert.equal(deriveProtocol('rtp://h:5000'), 'rtp_udp');
  assert.equal(deriveProtocol('file:x.mkv'), 'file');
  assert.equal(deriveProtocol('ftp://h'), undefined);
  assert.equal(resolveCameraSource({ source: 'file:v/a.mkv' }, '/cfg'), 'file:/cfg/v/a.mkv');
  assert.equal(resolveCameraSource({ source: 'file:../a.mkv' }, '/cfg/sub'), 'file:/cfg/a.mkv');
  assert.equal(resolveCameraSource({ rtsp: 'rtsp://h/s' }, '/cfg'), 'rtsp://h/s');
});
