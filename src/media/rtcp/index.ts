export * from './types.ts';
export { parseRtcp } from './parse.ts';
export { buildRtcp } from './build.ts';
export { NTP_UNIX_OFFSET_S, ntpFromUnixMs, ntpMiddle32, unixMsFromNtp, type NtpTime } from './ntp.ts';
