export { JitterBuffer, type JitterBufferOptions, type JitterBufferStats, type JitterOutput, type JitterVisitor, type PushOutcome, type Sequenced } from './buffer.ts';
export { KeyframeGate, type GateDecision, type KeyframeGateOptions, type KeyframeGateStats } from './gate.ts';
