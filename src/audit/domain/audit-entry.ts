import { createHash } from 'node:crypto';

/**
 * The audit log is one stream: every MCP tool call and every credit grant, limit and price change,
 * in one total order. Each entry commits to the one before it (`prevHash`), so an edited, removed or
 * re-ordered entry breaks the chain at that entry, and the head hash, exported, exposes truncation.
 * The stream is also the credit ledger: a call's charge is in its entry, so "charged exactly once" is
 * "recorded exactly once", and a write's entry is appended in the same transaction as its events.
 */
export const AUDIT_STREAM = 'audit-log';

/** The chain starts from this hash (the previous entry of the first one). */
export const GENESIS_HASH = '0'.repeat(64);

export const CALL_OUTCOMES = ['ok', 'refused', 'failed'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export const TOOL_KINDS = ['read', 'analysis', 'write'] as const;
export type ToolKind = (typeof TOOL_KINDS)[number];

/** A user, a machine client (client credentials), or an operator at the CLI (system). */
export interface AuditActor {
  readonly type: 'user' | 'client' | 'system';
  readonly id: string;
  readonly email: string | null;
}

/** One field a write changed, with its value before and after. */
export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

export interface WrittenEvent {
  readonly stream: string;
  readonly id: string;
  readonly type: string;
}

/** One MCP tool call, as it happened. */
export interface ToolCallBody {
  readonly at: string;
  readonly actor: AuditActor;
  readonly integrationId: string | null;
  readonly integrationName: string | null;
  readonly accessContext: 'shared' | 'personal';
  readonly sessionId: string | null;
  readonly requestId: string | null;
  readonly sourceIp: string | null;
  readonly tool: string;
  readonly kind: ToolKind;
  /** The arguments as received, secrets redacted, long values cut (see redact.ts). */
  readonly args: unknown;
  readonly outcome: CallOutcome;
  /** Why a call was refused or failed (a policy rule's code, VALIDATION, INSUFFICIENT_CREDITS ...). */
  readonly code: string | null;
  readonly message: string | null;
  readonly credits: number;
  readonly durationMs: number;
  /** The record the call was about: what a query for "everything that happened to CTA X" matches. */
  readonly subject: { readonly type: string; readonly id: string } | null;
  /** The account it concerned, when known: "who looked at which account". */
  readonly companyId: string | null;
  /** Writes: the events written, and for updates each field's old and new value. */
  readonly events: readonly WrittenEvent[];
  readonly changes: readonly FieldChange[];
  /** An idempotent retry answered with the first result: nothing written, nothing charged. */
  readonly replayed: boolean;
}

/** Credits added (positive) or taken away (negative, an adjustment), by whom and why. */
export interface CreditsGrantedBody {
  readonly at: string;
  readonly by: AuditActor;
  readonly amount: number;
  readonly reason: string;
}

/** A monthly credit limit for one user or one integration; null removes it. */
export interface CreditLimitSetBody {
  readonly at: string;
  readonly by: AuditActor;
  readonly scope: 'user' | 'integration';
  readonly id: string;
  readonly monthlyLimit: number | null;
  readonly reason: string;
}

/** The price list in force from now on (credits per call, per tool kind and per tool). */
export interface CreditPricesSetBody {
  readonly at: string;
  readonly by: AuditActor;
  readonly byKind: Readonly<Record<ToolKind, number>>;
  readonly byTool: Readonly<Record<string, number>>;
}

/** An admin undid earlier writes to one record with compensating events. */
export interface WriteRevertedBody {
  readonly at: string;
  readonly by: AuditActor;
  /** The audit entries (stream revisions) of the writes undone. */
  readonly revertedSeqs: readonly number[];
  readonly reason: string;
  readonly events: readonly WrittenEvent[];
  readonly changes: readonly FieldChange[];
}

export type AuditBody =
  | { readonly type: 'ToolCallRecorded'; readonly body: ToolCallBody }
  | { readonly type: 'CreditsGranted'; readonly body: CreditsGrantedBody }
  | { readonly type: 'CreditLimitSet'; readonly body: CreditLimitSetBody }
  | { readonly type: 'CreditPricesSet'; readonly body: CreditPricesSetBody }
  | { readonly type: 'WriteReverted'; readonly body: WriteRevertedBody };

export type AuditEntryType = AuditBody['type'];
export const AUDIT_ENTRY_TYPES: readonly AuditEntryType[] = ['ToolCallRecorded', 'CreditsGranted', 'CreditLimitSet', 'CreditPricesSet', 'WriteReverted'];

/** What is stored as the event's data: the body plus its place in the chain. */
export interface ChainedData<Body = unknown> {
  readonly body: Body;
  readonly prevHash: string;
  readonly hash: string;
}

/** An entry as read back: its place in the stream (seq = stream revision) and its chained data. */
export type AuditEntry = AuditBody & { readonly seq: number; readonly prevHash: string; readonly hash: string };

/**
 * JSON with object keys sorted at every level, so the hash does not depend on how a database or a
 * JSON library orders keys. undefined members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const keys = Object.keys(value as object)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The hash of an entry: its seq, type and body, chained to the previous entry's hash. */
export function entryHash(prevHash: string, seq: number, type: string, body: unknown): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${type}\n${canonicalJson(body)}`, 'utf8').digest('hex');
}

/** Chains bodies after `head` (the last entry's seq and hash, or null for an empty log). */
export function chain(head: { seq: number; hash: string } | null, bodies: readonly AuditBody[]): AuditEntry[] {
  let seq = head ? head.seq : -1;
  let prevHash = head ? head.hash : GENESIS_HASH;
  return bodies.map((b) => {
    seq += 1;
    const hash = entryHash(prevHash, seq, b.type, b.body);
    const entry = { ...b, seq, prevHash, hash } as AuditEntry;
    prevHash = hash;
    return entry;
  });
}
