import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  ConcurrencyError,
  type AppendResult,
  type EventMetadataInput,
  type EventStore,
  type ExpectedRevision,
  type JsonObject,
  type NewEvent,
  type Position,
} from '@csmcp/event-store';
import { AuditLog, CreditRefusalError, type StreamAppendRequest } from '../../audit/audit-log';
import type { CallResult, ToolCallRecording } from '../../audit/tool-call-recording';
import { AUDIT_LOG } from '../../audit/audit.tokens';
import { handleCommand, type DeciderLike } from '../../infrastructure/aggregate-store';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { deterministicUuid, requestHash } from './deterministic-id';
import { actorOf, type WriteContext, type WriteResult } from './write-context';
import { IdempotencyKeyReusedError, PolicyRefusalError } from './write-errors';
import { WRITE_POLICY, type PolicyQuestion, type WritePolicyPort } from './write-policy.port';

export interface WriteSpec<Command, State, Event extends { type: string; data: object }> {
  readonly context: WriteContext;
  /** The tool's arguments as received (hashed for idempotency, recorded with a refusal). */
  readonly input: unknown;
  readonly entityType: WriteResult['entityType'];
  /** The id of the record written: given for updates, made here for creates (from the idempotency key if any). */
  readonly entityId: string | ((newId: string) => string);
  readonly parentId?: string;
  readonly streamName: (entityId: string) => string;
  readonly policy: (entityId: string) => PolicyQuestion;
  readonly decider: DeciderLike<Command, State, Event>;
  readonly command: (entityId: string, now: string) => Command;
  /** For updates: the field changes of the events written. */
  readonly changesOf?: (events: Event[]) => WriteResult['changes'];
}

/**
 * Every MCP write goes through here: the write policy (a refusal is recorded and nothing else is
 * written), idempotency (same key + same arguments = the first result; other arguments = refused),
 * the decider with retry on concurrent changes, and events attributed to who, through what and why.
 */
@Injectable()
export class WritePipeline {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(WRITE_POLICY) private readonly policy: WritePolicyPort,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
  ) {}

  async run<Command, State, Event extends { type: string; data: object }>(spec: WriteSpec<Command, State, Event>): Promise<WriteResult> {
    const { caller, request } = spec.context;
    const recording = request.recording ?? null;
    const now = (spec.context.now ?? new Date()).toISOString();
    const key = request.idempotencyKey ?? null;
    const keyName = key === null ? null : `${caller.userId}|${key}`;
    const entityId =
      typeof spec.entityId === 'string' ? spec.entityId : spec.entityId(keyName ? deterministicUuid(`${keyName}|entity`) : randomUUID());
    const commandId = keyName ? deterministicUuid(`${keyName}|command`) : randomUUID();
    const metadata = this.metadata(spec.context, commandId, now);
    const subject = { type: spec.entityType, id: entityId };
    // A refused create made nothing: its entry names what its arguments name (the company), not a new id.
    const refusedSubject = typeof spec.entityId === 'string' ? subject : undefined;

    const hash = keyName ? requestHash(request.toolName, spec.input) : '';
    const idempotencyStream = keyName ? `idempotency-${deterministicUuid(keyName)}` : null;
    if (idempotencyStream) {
      const replay = await this.replay(idempotencyStream, key!, hash);
      if (replay) {
        await this.recordCall(recording, { outcome: 'ok', subject, events: replay.events.map((e) => ({ stream: replay.streamName, ...e })), replayed: true });
        return replay;
      }
    }

    // A call the credits cannot cover does nothing at all (checked again, exactly, when it is appended).
    if (recording && recording.price > 0) {
      const short = await this.audit.precheck({ ...chargeOf(recording), credits: recording.price });
      if (short) {
        await this.recordCall(recording, { outcome: 'refused', code: short.code, message: short.message, subject: refusedSubject });
        throw new CreditRefusalError(short);
      }
    }

    const question = spec.policy(entityId);
    const refusal = await this.policy.check(question, caller);
    if (refusal) {
      if (recording) await this.recordCall(recording, { outcome: 'refused', code: refusal.code, message: refusal.message, subject: refusedSubject });
      else await this.recordRefusal(request.toolName, spec.entityType, entityId, spec.input, refusal, metadata, now);
      throw new PolicyRefusalError(refusal.code, refusal.message);
    }

    const streamName = spec.streamName(entityId);
    // With a key the ids come from it (a retry re-appends the very same events); without, fresh ones,
    // kept across concurrency retries so the result names the events actually written.
    const fresh: string[] = [];
    const eventIds = (i: number) => (keyName ? deterministicUuid(`${keyName}|event|${i}`) : (fresh[i] ??= randomUUID()));
    const resultOf = (events: readonly Event[], revision: number, position: Position): WriteResult => ({
      entityType: spec.entityType,
      entityId,
      ...(spec.parentId ? { parentId: spec.parentId } : {}),
      streamName,
      revision,
      position,
      events: events.map((e, i) => ({ id: eventIds(i), type: e.type })),
      ...(spec.changesOf ? { changes: spec.changesOf([...events]) } : {}),
      replayed: false,
    });
    // The events, the idempotency record and the call's audit entry and charge: one transaction.
    const append = async (events: readonly NewEvent[], expectedRevision: ExpectedRevision, meta: EventMetadataInput, decided: Event[]): Promise<AppendResult> => {
      const revision = (typeof expectedRevision === 'number' ? expectedRevision : -1) + events.length;
      const streams: StreamAppendRequest[] = [{ streamName, events, expectedRevision }];
      if (idempotencyStream) {
        // eslint-disable-next-line @typescript-eslint/no-unused-vars
        const { position: _unknownYet, ...stored } = resultOf(decided, revision, { commit: 0, prepare: 0 });
        streams.push({
          streamName: idempotencyStream,
          events: [{ type: 'IdempotencyKeyUsed', data: { toolName: request.toolName, requestHash: hash, result: stored as unknown as JsonObject } }],
          expectedRevision: 'no_stream',
        });
      }
      if (!recording) {
        const done = await this.store.appendToStreams(streams, { metadata: meta });
        return { nextExpectedRevision: done.streams[0].nextExpectedRevision, position: done.streams[0].position };
      }
      const result = resultOf(decided, revision, { commit: 0, prepare: 0 });
      const body = recording.body({
        outcome: 'ok',
        credits: recording.price,
        subject,
        events: result.events.map((e) => ({ stream: streamName, ...e })),
        changes: result.changes ?? [],
      });
      const done = await this.audit.appendWithWrite(streams, body, meta);
      recording.markRecorded();
      return { nextExpectedRevision: done.streams[0].nextExpectedRevision, position: done.streams[0].position };
    };
    let outcome;
    try {
      outcome = await handleCommand(this.store, streamName, spec.decider, spec.command(entityId, now), {
        metadata,
        eventIds,
        append,
      });
    } catch (error) {
      // A concurrent identical retry got there first: its result is this request's.
      if (error instanceof ConcurrencyError && idempotencyStream && error.streamName === idempotencyStream) {
        const replay = await this.replay(idempotencyStream, key!, hash);
        if (replay) {
          await this.recordCall(recording, { outcome: 'ok', subject, replayed: true, events: replay.events.map((e) => ({ stream: replay.streamName, ...e })) });
          return replay;
        }
      }
      if (error instanceof CreditRefusalError) await this.recordCall(recording, { outcome: 'refused', code: error.code, message: error.message, subject: refusedSubject });
      throw error;
    }
    if (!outcome.append) throw new Error(`${request.toolName}: the decider accepted the command but produced no event`);
    return resultOf(outcome.events, outcome.append.nextExpectedRevision, outcome.append.position);
  }

  /** The first result of an earlier request with this key, or null; the same key with other arguments is refused. */
  private async replay(idempotencyStream: string, key: string, hash: string): Promise<WriteResult | null> {
    const [first] = await this.store.readStream(idempotencyStream, { maxCount: 1 });
    if (!first) return null;
    if (first.data.requestHash !== hash) throw new IdempotencyKeyReusedError(key, String(first.data.toolName));
    const stored = first.data.result as unknown as Omit<WriteResult, 'position'> & { position?: Position };
    // Recorded in the same transaction as the write, so its position was not known yet: look it up.
    const position = stored.position ?? (await this.store.readStream(stored.streamName, { fromRevision: stored.revision, maxCount: 1 }))[0]?.position;
    return { ...stored, position: position ?? { commit: 0, prepare: 0 }, replayed: true };
  }

  /** Records a call that wrote nothing (a replay, a refusal); a call without a recording is not an MCP call. */
  private async recordCall(recording: ToolCallRecording | null, result: CallResult): Promise<void> {
    if (!recording || recording.recorded) return;
    await this.audit.record({ type: 'ToolCallRecorded', body: recording.body({ ...result, credits: 0 }) });
    recording.markRecorded();
  }

  private metadata(context: WriteContext, commandId: string, now: string): EventMetadataInput {
    const { caller, request } = context;
    return {
      actor: actorOf(caller),
      ...(caller.integrationId ? { client: { id: caller.integrationId, name: caller.integrationName ?? caller.integrationId } } : {}),
      correlationId: request.correlationId ?? commandId,
      causationId: commandId,
      accessContext: caller.accessContext,
      toolName: request.toolName,
      mcpSessionId: request.mcpSessionId ?? null,
      mcpRequestId: request.mcpRequestId ?? null,
      idempotencyKey: request.idempotencyKey ?? null,
      sourceIp: request.sourceIp ?? null,
      occurredAt: now,
    };
  }

  private async recordRefusal(
    toolName: string,
    entityType: string,
    entityId: string,
    input: unknown,
    refusal: { code: string; message: string },
    metadata: EventMetadataInput,
    now: string,
  ): Promise<void> {
    // A refusal is no domain event: it goes to a day's governance stream, for the audit trail.
    await this.store.appendToStream(
      `write-refusals-${now.slice(0, 10)}`,
      [
        {
          type: 'WriteRefused',
          data: {
            toolName,
            code: refusal.code,
            message: refusal.message,
            entityType,
            entityId,
            input: truncateInput(input),
          },
        },
      ],
      { expectedRevision: 'any', metadata },
    );
  }
}

function chargeOf(recording: ToolCallRecording) {
  return { at: recording.at, actor: recording.origin.actor, integrationId: recording.origin.integrationId, integrationName: recording.origin.integrationName, tool: recording.tool };
}

/** Refusals keep the arguments for the audit trail, but never megabytes of them. */
function truncateInput(input: unknown): JsonObject {
  const text = JSON.stringify(input ?? null) ?? 'null';
  return text.length <= 8_000 ? (JSON.parse(text) as JsonObject) : { truncated: text.slice(0, 8_000) };
}
