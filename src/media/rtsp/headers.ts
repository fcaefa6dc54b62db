/** Parsers and builders for the RTSP headers a client needs: Transport, Session, RTP-Info. */

export interface TransportSpec {
  /** e.g. `RTP/AVP`, `RTP/AVP/TCP`. */
  protocol: string;
  lowerTransport: 'UDP' | 'TCP';
  unicast: boolean;
  destination?: string;
  source?: string;
  clientPort?: [number, number];
  serverPort?: [number, number];
  interleaved?: [number, number];
  ssrc?: number;
  mode?: string;
  ttl?: number;
}

function range(v: string, max: number): [number, number] | undefined {
  const r = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(v.trim());
  if (!r) return undefined;
  const a = Number(r[1]);
  const b = r[2] !== undefined ? Number(r[2]) : a + 1;
  return a <= max && b <= max + 1 ? [a, b] : undefined;
}

/** Parses a Transport header (RFC 2326 §12.39); alternatives separated by ',' become entries. */
export function parseTransport(value: string): TransportSpec[] {
  const out: TransportSpec[] = [];
  for (const alt of value.split(',').slice(0, 16)) {
    const parts = alt.split(';').map((p) => p.trim()).filter((p) => p !== '');
    const proto = parts[0];
    if (!proto || !/^RTP\/AVP/i.test(proto)) continue;
    const spec: TransportSpec = { protocol: proto, lowerTransport: /\/TCP$/i.test(proto) ? 'TCP' : 'UDP', unicast: true };
    for (const p of parts.slice(1)) {
      const k = p.indexOf('=');
      const key = (k < 0 ? p : p.slice(0, k)).toLowerCase();
      const v = k < 0 ? '' : p.slice(k + 1).replace(/^"|"$/g, '');
      switch (key) {
        case 'unicast': spec.unicast = true; break;
        case 'multicast': spec.unicast = false; break;
        case 'destination': spec.destination = v; break;
        case 'source': spec.source = v; break;
        case 'client_port': { const r = range(v, 65535); if (r) spec.clientPort = r; break; }
        case 'server_port': { const r = range(v, 65535); if (r) spec.serverPort = r; break; }
        case 'interleaved': { const r = range(v, 255); if (r) spec.interleaved = r; break; }
        case 'ssrc': if (/^[0-9a-f]{1,8}$/i.test(v)) spec.ssrc = parseInt(v, 16) >>> 0; break;
        case 'mode': spec.mode = v; break;
        case 'ttl': if (/^\d{1,3}$/.test(v)) spec.ttl = Number(v); break;
      }
    }
    out.push(spec);
  }
  return out;
}

/** Builds a Transport header value for a SETUP request. */
export function buildTransport(spec: TransportSpec): string {
  const parts = [spec.protocol, spec.unicast ? 'unicast' : 'multicast'];
  if (spec.destination) parts.push(`destination=${spec.destination}`);
  if (spec.clientPort) parts.push(`client_port=${spec.clientPort[0]}-${spec.clientPort[1]}`);
  if (spec.serverPort) parts.push(`server_port=${spec.serverPort[0]}-${spec.serverPort[1]}`);
  if (spec.interleaved) parts.push(`interleaved=${spec.interleaved[0]}-${spec.interleaved[1]}`);
  if (spec.ssrc !== undefined) parts.push(`ssrc=${(spec.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
  if (spec.mode) parts.push(`mode=${spec.mode}`);
  return parts.join(';');
}

/** Session header (RFC 2326 §12.37): identifier and timeout in seconds (default 60). */
export function parseSession(value: string): { id: string; timeoutS: number } {
  const [id, ...params] = value.split(';');
  let timeoutS = 60;
  for (const p of params) {
    const r = /^\s*timeout\s*=\s*(\d{1,6})\s*$/i.exec(p);
    if (r && Number(r[1]) > 0) timeoutS = Number(r[1]);
  }
  return { id: (id ?? '').trim(), timeoutS };
}

/** RTP-Info header (RFC 2326 §12.33): per stream URL, first sequence number and RTP time. */
export function parseRtpInfo(value: string): { url: string; seq?: number; rtptime?: number }[] {
  const out: { url: string; seq?: number; rtptime?: number }[] = [];
  for (const item of value.split(',').slice(0, 64)) {
    const e: { url: string; seq?: number; rtptime?: number } = { url: '' };
    for (const p of item.split(';')) {
      const k = p.indexOf('=');
      if (k < 0) continue;
      const key = p.slice(0, k).trim().toLowerCase();
      const v = p.slice(k + 1).trim();
      if (key === 'url') e.url = v;
      else if (key === 'seq' && /^\d{1,5}$/.test(v)) e.seq = Number(v) & 0xffff;
      else if (key === 'rtptime' && /^\d{1,10}$/.test(v)) e.rtptime = Number(v) >>> 0;
    }
    if (e.url !== '') out.push(e);
  }
  return out;
}
