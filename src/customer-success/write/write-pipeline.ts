import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConcurrencyError, type EventMetadataInput, type EventStore, type JsonObject } from '@csmcp/event-store';
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
  ) {}

  async run<Command, State, Event extends { type: string; data: object }>(spec: WriteSpec<Command, State, Event>): Promise<WriteResult> {
    const { caller, request } = spec.context;
    const now = (spec.context.now ?? new Date()).toISOString();
    const key = request.idempotencyKey ?? null;
    const keyName = key === null ? null : `${caller.userId}|${key}`;
    const entityId =
      typeof spec.entityId === 'string' ? spec.entityId : spec.entityId(keyName ? deterministicUuid(`${keyName}|entity`) : randomUUID());
    const commandId = keyName ? deterministicUuid(`${keyName}|command`) : randomUUID();
    const metadata = this.metadata(spec.context, commandId, now);

    const hash = keyName ? requestHash(request.toolName, spec.input) : '';
    const idempotencyStream = keyName ? `idempotency-${deterministicUuid(keyName)}` : null;
    if (idempotencyStream) {
      const [first] = await this.store.readStream(idempotencyStream, { maxCount: 1 });
      if (first) {
        if (first.data.requestHash !== hash) throw new IdempotencyKeyReusedError(key!, String(first.data.toolName));
        return { ...(first.data.result as unknown as WriteResult), replayed: true };
      }
    }

    const question = spec.policy(entityId);
    const refusal = await this.policy.check(question, caller);
    if (refusal) {
      await this.recordRefusal(request.toolName, spec.entityType, entityId, spec.input, refusal, metadata, now);
      throw new PolicyRefusalError(refusal.code, refusal.message);
    }

    const streamName = spec.streamName(entityId);
    // With a key the ids come from it (a retry re-appends the very same events); without, fresh ones,
    // kept across concurrency retries so the result names the events actually written.
    const fresh: string[] = [];
    const eventIds = (i: number) => (keyName ? deterministicUuid(`${keyName}|event|${i}`) : (fresh[i] ??= randomUUID()));
    const outcome = await handleCommand(this.store, streamName, spec.decider, spec.command(entityId, now), { metadata, eventIds });
    if (!outcome.append) throw new Error(`${request.toolName}: the decider accepted the command but produced no event`);
    const result: WriteResult = {
      entityType: spec.entityType,
      entityId,
      ...(spec.parentId ? { parentId: spec.parentId } : {}),
      streamName,
      revision: outcome.append.nextExpectedRevision,
      position: outcome.append.position,
      events: outcome.events.map((e, i) => ({ id: eventIds(i), type: e.type })),
      ...(spec.changesOf ? { changes: spec.changesOf(outcome.events) } : {}),
      replayed: false,
    };
    if (idempotencyStream) await this.recordIdempotency(idempotencyStream, request.toolName, hash, result, metadata);
    return result;
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

  private async recordIdempotency(
    streamName: string,
    toolName: string,
    hash: string,
    result: WriteResult,
    metadata: EventMetadataInput,
  ): Promise<void> {
    try {
      await this.store.appendToStream(
        streamName,
        [{ type: 'IdempotencyKeyUsed', data: { toolName, requestHash: hash, result: result as unknown as JsonObject } }],
        { expectedRevision: 'no_stream', metadata },
      );
    } catch (error) {
      // A concurrent identical retry recorded it first: its result is the same write's.
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
}

/** Refusals keep the arguments for the audit trail, but never megabytes of them. */
function truncateInput(input: unknown): JsonObject {
  const text = JSON.stringify(input ?? null) ?? 'null';
  return text.length <= 8_000 ? (JSON.parse(text) as JsonObject) : { truncated: text.slice(0, 8_000) };
}
