/** The process's one AuditLog (audit trail and credit ledger); see audit.module.ts. */
export const AUDIT_LOG = Symbol('AUDIT_LOG');
