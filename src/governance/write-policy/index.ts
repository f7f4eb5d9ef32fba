export * from './policy-config';
export * from './write-request';
export { evaluate, WRITE_POLICY_RULES, type PolicyDecision } from './write-policy';
