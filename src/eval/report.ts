/** The human-readable table of `dvs eval` (the JSON form is the EvalResult itself). */
import type { Check, EvalResult } from './types.ts';

export interface ReportInputs {
  truth: string;
  tracks: string;
  /** Where the camera poses came from. */
  cameras: string;
}

export function formatTable(r: EvalResult, inputs?: ReportInputs): string {
  const o = r.options, d = r.detection, c = r.classification, g = r.gospa, ch = r.checks;
  const out: string[] = [];
  out.push(`truth    ${inputs ? `${inputs.truth}: ` : ''}${r.truth.instants} instants, t ${f(r.truth.tStart, 1)}..${f(r.truth.tEnd, 1)} s (${f(r.truth.durationS, 1)} s), ${r.truth.drones} drone(s), ${r.truth.birds} bird(s)`);
  out.push(`tracks   ${inputs ? `${inputs.tracks}: ` : ''}${r.tracks.tracks} track(s) (${r.tracks.confirmedTracks} confirmed), ${r.tracks.reports} report(s) (${r.tracks.confirmedReports} confirmed)`);
  out.push(`cameras  ${inputs ? `${inputs.cameras}: ` : ''}${r.cameras.join(' ') || '(none)'}; a drone instant counts inside >= ${o.minCameras} images`);
  out.push(`gates    ${o.gateM} m, +/-${o.timeTolS} s`);
  out.push('');
  out.push(...align(['metric', 'value', 'spec', 'check'], [
    ['Pd', f(d.pd, 3), spec(ch.pd, ''), mark(ch.pd)],
    ['  counted / matched instants', `${d.countedInstants} / ${d.matchedInstants}`, '', ''],
    ['CEP50', m(d.cep50M), spec(ch.cep50, ' m'), mark(ch.cep50)],
    ['  mean / p90 / max error', `${f(d.meanM, 2)} / ${f(d.p90M, 2)} / ${f(d.maxM, 2)} m`, '', ''],
    ['FAR', `${f(r.falseAlarms.perMinute, 3)} /min`, spec(ch.far, ' /min'), mark(ch.far)],
    ['  false tracks', String(r.falseAlarms.falseTracks), '', ''],
    ['bird-flag rate', `${f(c.birdFlagRate, 3)} (${c.birdFlagged}/${c.birdReports})`, spec(ch.birdFlag, ' per bird'), mark(ch.birdFlag)],
    ['drone-as-bird rate', `${f(c.droneAsBirdRate, 3)} (${c.droneAsBird}/${c.droneReports})`, spec(ch.droneAsBird, ' per drone'), mark(ch.droneAsBird)],
    ['identity switches', String(r.identity.switches), '', ''],
    [`GOSPA mean (c=${o.gospaC} m, p=${o.gospaP})`, m(g.meanM), '', ''],
    ['  rms; loc / missed / false (m^p)', `${f(g.rmsM, 2)} m; ${f(g.meanLocalization, 1)} / ${f(g.meanMissed, 1)} / ${f(g.meanFalse, 1)}`, '', ''],
    ['  missed / false per instant', `${f(g.meanMissedCount, 3)} / ${f(g.meanFalseCount, 3)}`, '', ''],
  ], 'lrl'));
  if (r.drones.length) {
    out.push('', 'drones');
    out.push(...align(['id', 'counted', 'matched', 'Pd', 'CEP50 m', 'mean m', 'p90 m', 'max m', 'switches', 'as-bird', 'tracks'],
      r.drones.map((x) => [x.id, String(x.countedInstants), String(x.matchedInstants), f(x.pd, 3), f(x.cep50M, 2), f(x.meanM, 2), f(x.p90M, 2), f(x.maxM, 2),
        String(x.idSwitches), `${f(x.asBirdRate, 3)} (${x.birdReports}/${x.reports})`, x.trackIds.join(',') || '-']), 'lrrrrrrrrrl'));
  }
  if (r.birds.length) {
    out.push('', 'birds');
    out.push(...align(['id', 'reports', 'as bird', 'flag rate', 'check'],
      r.birds.map((b) => [b.id, String(b.reports), String(b.birdReports), f(b.flagRate, 3),
        b.flagRate === null ? 'never tracked' : b.flagRate >= ch.birdFlag.threshold ? 'PASS' : 'FAIL']), 'lrrrl'));
  }
  if (r.falseAlarms.tracks.length) {
    out.push('', 'false tracks');
    out.push(...align(['track', 'first t', 'last t', 'confirmed', 'near drone'],
      r.falseAlarms.tracks.map((t) => [t.trackId, f(t.firstT, 2), f(t.lastT, 2), String(t.confirmedReports), String(t.nearDroneReports)]), 'lrrrr'));
  }
  return out.join('\n') + '\n';
}

function f(x: number | null, digits: number): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

function m(x: number | null): string {
  return x === null ? 'n/a' : `${x.toFixed(2)} m`;
}

function spec(c: Check, unit: string): string {
  return `${c.op} ${c.threshold}${unit}`;
}

function mark(c: Check): string {
  return c.pass === null ? 'n/a' : c.pass ? 'PASS' : 'FAIL';
}

/** Columns padded to their widest cell; `how` holds one 'l' or 'r' per column. */
function align(header: string[], rows: string[][], how: string): string[] {
  const all = [header, ...rows];
  const w = header.map((_, k) => Math.max(...all.map((row) => (row[k] ?? '').length)));
  const line = (row: string[]) => row.map((cell, k) => (how[k] === 'r' ? cell.padStart(w[k]!) : cell.padEnd(w[k]!))).join('  ').trimEnd();
  return [line(header), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)];
}
