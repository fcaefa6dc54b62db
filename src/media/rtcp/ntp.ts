/**
 * NTP timestamps (RFC 3550 §4): seconds since 1900-01-01 as 32.32 fixed point.
 * Wall-clock milliseconds are Unix epoch milliseconds supplied by the caller.
 */

/** Seconds between 1900-01-01 and 1970-01-01. */
export const NTP_UNIX_OFFSET_S = 2208988800;

export interface NtpTime {
  sec: number;
  frac: number;
}

export function ntpFromUnixMs(ms: number): NtpTime {
  const total = ms / 1000 + NTP_UNIX_OFFSET_S;
  let sec = Math.floor(total);
  let frac = Math.round((total - sec) * 4294967296);
  if (frac >= 4294967296) {
    frac -= 4294967296;
    sec += 1;
  }
  return { sec: sec >>> 0, frac: frac >>> 0 };
}

/** Unix milliseconds of an NTP timestamp (era 0, i.e. until 2036). */
export function unixMsFromNtp(sec: number, frac: number): number {
  return (sec - NTP_UNIX_OFFSET_S) * 1000 + (frac / 4294967296) * 1000;
}

/** The "middle 32 bits" of an NTP timestamp, as used in LSR (RFC 3550 §6.4.1). */
export function ntpMiddle32(sec: number, frac: number): number {
  return (((sec & 0xffff) << 16) | (frac >>> 16)) >>> 0;
}
