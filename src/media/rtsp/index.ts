export { RtspHeaders, serializeInterleaved, serializeRtspRequest, type RtspInterleaved, type RtspMessage, type RtspRequest, type RtspRequestInit, type RtspResponse } from './message.ts';
export { RtspParser, type RtspEvent, type RtspParserOptions } from './parser.ts';
export { buildTransport, parseRtpInfo, parseSession, parseTransport, type TransportSpec } from './headers.ts';
export { authorizationFor, basicAuthorization, chooseChallenge, digestAuthorization, parseAuthenticate, type AuthChallenge, type DigestInput } from './auth.ts';
export { RtspClient, splitUrl, type RtspClientAction, type RtspClientOptions, type RtspClientState, type RtspFailure, type RtspPlaySession } from './client.ts';
