/** Stream manager: registry of live streams with reconnection policy and state events. */
export { StreamManagerError, type StreamManagerErrorCode } from './errors.ts';
export { definitionFromCamera, type StreamDefinition } from './definition.ts';
export {
  backoffDelay, managerOptionsFromConfig, StreamManager,
  type StreamManagerEvent, type StreamManagerOptions, type StreamSnapshot, type StreamState,
} from './manager.ts';
