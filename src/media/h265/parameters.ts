/** H.265 out-of-band parameters from SDP fmtp (RFC 7798 §7.1). */
import { decodeSpropList } from '../h264/parameters.ts';

export interface H265Parameters {
  /** VPS, SPS, PPS NAL units from `sprop-vps`, `sprop-sps`, `sprop-pps`, in that order. */
  parameterSets: Uint8Array[];
  /** True when `sprop-max-don-diff` > 0: packets carry DONL/DOND fields. */
  donl: boolean;
}

export function h265ParametersFromFmtp(fmtp: ReadonlyMap<string, string>): H265Parameters {
  const don = Number(fmtp.get('sprop-max-don-diff') ?? '0');
  return {
    parameterSets: [
      ...decodeSpropList(fmtp.get('sprop-vps')),
      ...decodeSpropList(fmtp.get('sprop-sps')),
      ...decodeSpropList(fmtp.get('sprop-pps')),
    ],
    donl: Number.isFinite(don) && don > 0,
  };
}
