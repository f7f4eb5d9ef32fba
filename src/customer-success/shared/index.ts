export * from './decider';
export * from './domain-error';
export * from './values';
export * from './validation';
export * from './changes';
