/** H.264 out-of-band parameters from SDP fmtp (RFC 6184 §8.1). */

export interface H264Parameters {
  /** 0 single NAL, 1 non-interleaved (STAP-A, FU-A), 2 interleaved. Default 0. */
  packetizationMode: number;
  /** `profile-level-id` as 6 hex digits, if given. */
  profileLevelId: string | null;
  /** Parameter-set NAL units from `sprop-parameter-sets`, in order (SPS, PPS, …). */
  parameterSets: Uint8Array[];
}

/** Decodes base64 NAL units separated by ','; invalid characters are ignored, empty ones skipped. */
export function decodeSpropList(value: string | undefined, max = 16): Uint8Array[] {
  if (!value) return [];
  const out: Uint8Array[] = [];
  for (const part of value.split(',').slice(0, max)) {
    const b = Buffer.from(part.trim(), 'base64');
    if (b.length > 0) out.push(new Uint8Array(b.buffer, b.byteOffset, b.length).slice());
  }
  return out;
}

export function h264ParametersFromFmtp(fmtp: ReadonlyMap<string, string>): H264Parameters {
  const mode = Number(fmtp.get('packetization-mode') ?? '0');
  const pli = fmtp.get('profile-level-id');
  return {
    packetizationMode: Number.isInteger(mode) && mode >= 0 && mode <= 2 ? mode : 0,
    profileLevelId: pli && /^[0-9a-f]{6}$/i.test(pli) ? pli.toLowerCase() : null,
    parameterSets: decodeSpropList(fmtp.get('sprop-parameter-sets')),
  };
}
