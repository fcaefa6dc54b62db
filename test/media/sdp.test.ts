import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findVideoTrack, h264ParametersFromFmtp, h265ParametersFromFmtp, parseSdp, resolveControlUrl } from '../../src/media/index.ts';

// Shaped like a typical IP camera's DESCRIBE answer (CRLF line ends).
const CAMERA = [
  'v=0', 'o=- 1109162014219182 1 IN IP4 192.168.1.10', 's=Media Presentation', 'e=NONE', 'b=AS:5050', 't=0 0',
  'a=control:rtsp://192.168.1.10:554/Streaming/Channels/101/', 'a=range:npt=now-',
  'm=video 0 RTP/AVP 96', 'c=IN IP4 0.0.0.0', 'b=AS:5000', 'a=recvonly', 'a=x-dimensions:1920,1080',
  'a=control:rtsp://192.168.1.10:554/Streaming/Channels/101/trackID=1',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z0IAKeKQFAe2AtwEBAaQeJEV,aM48gA==',
  'a=framerate:25.000000',
  'm=application 0 RTP/AVP 107', 'a=control:rtsp://192.168.1.10:554/Streaming/Channels/101/trackID=3', 'a=rtpmap:107 isapi.metadata/90000',
  '',
].join('\r\n');

test('camera SDP: session and media fields, rtpmap, fmtp, control, direction, framerate', () => {
  const r = parseSdp(CAMERA);
  assert.ok(r.ok);
  const s = r.value;
  assert.equal(s.version, 0);
  assert.equal(s.origin?.address, '192.168.1.10');
  assert.equal(s.sessionName, 'Media Presentation');
  assert.equal(s.control, 'rtsp://192.168.1.10:554/Streaming/Channels/101/');
  assert.equal(s.range, 'npt=now-');
  assert.equal(s.media.length, 2);
  const v = s.media[0]!;
  assert.deepEqual([v.type, v.port, v.protocol, v.payloadTypes], ['video', 0, 'RTP/AVP', [96]]);
  assert.equal(v.direction, 'recvonly');
  assert.equal(v.framerate, 25);
  assert.deepEqual(v.bandwidth, [{ type: 'AS', kbps: 5000 }]);
  assert.deepEqual(v.rtpmap.get(96), { payloadType: 96, encoding: 'H264', clockRate: 90000 });
  assert.equal(v.fmtp.get(96)?.get('packetization-mode'), '1');
  const track = findVideoTrack(s);
  assert.equal(track?.codec, 'h264');
  assert.equal(track?.media, v);
  const p = h264ParametersFromFmtp(track!.fmtp);
  assert.equal(p.packetizationMode, 1);
  assert.equal(p.profileLevelId, '420029');
  // Base64 "Z0IAKeKQ…" starts 0x67 0x42 0x00 0x29: SPS (type 7), Baseline profile 66, level 4.1.
  assert.deepEqual([...p.parameterSets[0]!.subarray(0, 4)], [0x67, 0x42, 0x00, 0x29]);
  assert.deepEqual([...p.parameterSets[1]!], [0x68, 0xce, 0x3c, 0x80]); // "aM48gA==": PPS
});

test('H.265 SDP: sprop-vps/sps/pps in order, DONL signalled by sprop-max-don-diff', () => {
  const r = parseSdp('v=0\ns=x\nm=video 5004 RTP/AVP 98\na=rtpmap:98 H265/90000\na=fmtp:98 sprop-vps=QAEMAf//; sprop-sps=QgEB; sprop-pps=RAHA; sprop-max-don-diff=2\n');
  assert.ok(r.ok);
  const track = findVideoTrack(r.value)!;
  assert.equal(track.codec, 'h265');
  const p = h265ParametersFromFmtp(track.fmtp);
  assert.deepEqual(p.parameterSets.map((n) => (n[0]! >> 1) & 0x3f), [32, 33, 34]);
  assert.equal(p.donl, true);
});

test('static payload type 26 without rtpmap is MJPEG (RFC 3551)', () => {
  const r = parseSdp('v=0\ns=-\nm=video 0 RTP/AVP 26\n');
  assert.ok(r.ok);
  assert.equal(findVideoTrack(r.value)?.codec, 'mjpeg');
});

test('RFC 7273 clock signalling: ts-refclk at session level, mediaclk direct with offset and rate', () => {
  const sdp = [
    'v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=ST2110', 't=0 0',
    'a=ts-refclk:ptp=IEEE1588-2008:39-A7-94-FF-FE-07-CB-D0:37',
    'm=video 50000 RTP/AVP 96', 'a=rtpmap:96 raw/90000',
    'a=ts-refclk:ntp=/traceable/', 'a=mediaclk:direct=963214424 rate=1000/1001', '',
  ].join('\n');
  const r = parseSdp(sdp);
  assert.ok(r.ok);
  assert.deepEqual(r.value.refclk, [{ source: 'ptp', parameters: 'IEEE1588-2008:39-A7-94-FF-FE-07-CB-D0:37' }]);
  const m = r.value.media[0]!;
  assert.deepEqual(m.refclk, [{ source: 'ntp', parameters: '/traceable/' }]);
  assert.deepEqual(m.mediaclk, { kind: 'direct', offset: 963214424, rate: { num: 1000, den: 1001 } });
  const r2 = parseSdp('v=0\na=mediaclk:sender\n');
  assert.ok(r2.ok);
  assert.deepEqual(r2.value.mediaclk, { kind: 'sender' });
});

test('control URLs: absolute kept, relative appended to the base, * is the aggregate', () => {
  assert.equal(resolveControlUrl('rtsp://h/s', 'trackID=1'), 'rtsp://h/s/trackID=1');
  assert.equal(resolveControlUrl('rtsp://h/s/', 'trackID=1'), 'rtsp://h/s/trackID=1');
  assert.equal(resolveControlUrl('rtsp://h/s/', 'rtsp://other/x'), 'rtsp://other/x');
  assert.equal(resolveControlUrl('rtsp://h/s', '*'), 'rtsp://h/s');
  assert.equal(resolveControlUrl('rtsp://h/s', null), 'rtsp://h/s');
});

test('malformed SDP is a typed error', () => {
  const bad = (s: string) => {
    const r = parseSdp(s);
    return r.ok ? 'ok' : r.error.code;
  };
  assert.equal(bad('s=no version\n'), 'BAD_SYNTAX');
  assert.equal(bad('v=0\nthis is not sdp\n'), 'BAD_SYNTAX');
  assert.equal(bad('v=0\nm=video abc RTP/AVP 96\n'), 'BAD_SYNTAX');
  assert.equal(bad('v=0\n' + 'a=x\n'.repeat(5000)), 'TOO_LARGE');
});
