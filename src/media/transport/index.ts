/** Socket transports for the live media layer: UDP, RFC 4571 TCP and RTSP (with UDP → TCP fallback). */
export { systemClock, Timer, type Clock, type TimerHandle } from './clock.ts';
export { socketMessage, TransportError, type TransportErrorCode } from './errors.ts';
export { newCounters, type RtpTransport, type TransportCounters, type TransportHandlers, type TransportReady } from './types.ts';
export { normalizeAddress, UdpRtpTransport, type UdpEndpoint, type UdpRtpTransportOptions } from './udp.ts';
export { TcpRtpTransport, type TcpRtpTransportOptions } from './tcp.ts';
export { PortAllocator, type BoundPair, type PortAllocatorOptions } from './ports.ts';
export { RtspSession, type RtspSessionHandlers, type RtspSessionOptions } from './rtsp-session.ts';
export { RtspTransport, type RtspTransportOptions } from './rtsp.ts';
