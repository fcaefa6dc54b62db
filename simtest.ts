import { loadScenario, runSim } from '/work/main/src/sim/index.ts';
const s = loadScenario(process.argv[2]!);
const r = await runSim(s, process.argv[3]!, { maxFrames: process.argv[4] ? Number(process.argv[4]) : undefined });
console.log(JSON.stringify(r));
