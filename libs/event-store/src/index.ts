export * from './event-store.port';
export * from './errors';
export * from './position';
export { CatchUpSubscription, LocalWakeUps, type WakeUpSource, type CatchUpTuning } from './catch-up-subscription';
export {
  prepareAppend,
  prepareAppends,
  validateStreamName,
  validateExpectedRevision,
  type PreparedEvent,
  type PreparedStreamAppend,
} from './validation';
