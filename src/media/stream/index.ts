/** Live streams: one camera's transport + receiver core, with metrics. */
export { LiveStream, type LiveStreamEvent, type LiveStreamMetrics, type LiveStreamOptions, type LiveStreamState, type SenderReportInfo } from './live.ts';
export { StreamMetricsWindow, type CounterSample, type JitterFigures, type StreamMetricsWindowOptions, type WindowFigures } from './metrics.ts';
export { describeSource, openTransport, type OpenOptions, type StreamSource } from './source.ts';
