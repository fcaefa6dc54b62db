export { ReceiverStatistics, roundTripFromMiddle32, roundTripMs, type ReceiverStatisticsOptions, type ReceiverStatisticsSnapshot } from './receiver.ts';
