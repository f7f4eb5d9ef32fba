import { performance } from 'node:perf_hooks';
import type { AuditActor, CallOutcome, FieldChange, ToolCallBody, ToolKind, WrittenEvent } from './domain/audit-entry';
import { redactArguments } from './domain/redact';

/** Who made a call and through what: what the MCP layer knows before the call runs. */
export interface CallOrigin {
  readonly actor: AuditActor;
  readonly integrationId: string | null;
  readonly integrationName: string | null;
  readonly accessContext: 'shared' | 'personal';
  readonly sessionId: string | null;
  readonly requestId: string | null;
  readonly sourceIp: string | null;
}

export interface CallResult {
  readonly outcome: CallOutcome;
  readonly code?: string | null;
  readonly message?: string | null;
  /** Charged only when the outcome is ok; refused and failed calls cost nothing. */
  readonly credits?: number;
  /** Left out: the record the arguments name. */
  readonly subject?: { readonly type: string; readonly id: string } | null;
  readonly events?: readonly WrittenEvent[];
  readonly changes?: readonly FieldChange[];
  readonly replayed?: boolean;
}

/**
 * One tool call on its way to the audit log. The MCP layer opens it; whoever records it (the write
 * pipeline, atomically with a write, or the MCP layer for everything else) marks it recorded, so a
 * call is recorded, and charged, exactly once.
 */
export class ToolCallRecording {
  private done = false;
  private readonly started = performance.now();
  readonly at: string;

  constructor(
    readonly origin: CallOrigin,
    readonly tool: string,
    readonly kind: ToolKind,
    private readonly args: unknown,
    /** The price of this call if it succeeds (from the price list in force when it started). */
    readonly price: number,
    /** The record the arguments name (a company, a CTA ...): the subject unless the result names one. */
    readonly argumentSubject: { readonly type: string; readonly id: string } | null = null,
    now: Date = new Date(),
  ) {
    this.at = now.toISOString();
  }

  get recorded(): boolean {
    return this.done;
  }

  /** The account the call concerned, when its arguments name one. */
  get companyId(): string | null {
    const args = this.args as { company_id?: unknown } | null;
    return args && typeof args === 'object' && typeof args.company_id === 'string' ? args.company_id.slice(0, 200) : null;
  }

  /** The entry to record; from then on the call counts as recorded (an append that fails un-marks it). */
  body(result: CallResult): ToolCallBody {
    return {
      at: this.at,
      actor: this.origin.actor,
      integrationId: this.origin.integrationId,
      integrationName: this.origin.integrationName,
      accessContext: this.origin.accessContext,
      sessionId: this.origin.sessionId,
      requestId: this.origin.requestId,
      sourceIp: this.origin.sourceIp,
      tool: this.tool,
      kind: this.kind,
      args: redactArguments(this.args),
      outcome: result.outcome,
      code: result.code ?? null,
      message: result.message ? result.message.slice(0, 2_000) : null,
      credits: result.outcome === 'ok' ? (result.credits ?? 0) : 0,
      durationMs: Math.round((performance.now() - this.started) * 100) / 100,
      subject: result.subject !== undefined ? result.subject : this.argumentSubject,
      companyId: this.companyId,
      events: result.events ?? [],
      changes: result.changes ?? [],
      replayed: result.replayed ?? false,
    };
  }

  markRecorded(recorded = true): void {
    this.done = recorded;
  }
}
