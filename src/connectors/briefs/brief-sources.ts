import { randomBytes } from 'node:crypto';
import { ConcurrencyError, type EventStore, type NewEvent } from '@csmcp/event-store';
import { adminMetadata, type AdminContext } from '../../customer-success/companies/commands/admin-context';
import { ConnectorError } from '../registry/connector-error';
import type { ConnectorRegistry } from '../registry/connector.service';
import { BriefTemplateError, DEFAULT_SOURCE_TIMEOUT_MS, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS, parseTemplate, parseTimeout } from './brief-template';

/**
 * Brief sources: which connector tool get_account_brief calls for every account, with what arguments
 * (a template over the company's fields), under which label and within what time. Their own stream,
 * `brief-sources`: one short list every brief reads whole, each change an event.
 */
export const BRIEF_SOURCES_STREAM = 'brief-sources';

export interface BriefSource {
  readonly id: string;
  readonly label: string;
  readonly connector: string;
  readonly tool: string;
  /** The arguments template (parsed JSON; strings may hold {{company.field}}). */
  readonly args: Record<string, unknown>;
  readonly timeoutMs: number;
  readonly addedAt: string;
  readonly addedBy: { type: string; id: string; email: string | null };
}

/** Event data is JSON: the template is parsed JSON, the rest strings and numbers. */
export type BriefSourceAdded = { readonly type: 'BriefSourceAdded'; readonly data: BriefSource };
export type BriefSourceRemoved = { readonly type: 'BriefSourceRemoved'; readonly data: { id: string; label: string; removedAt: string; removedBy: BriefSource['addedBy'] } };
export type BriefSourceEvent = BriefSourceAdded | BriefSourceRemoved;

export interface AddBriefSourceRequest {
  readonly connector: string;
  readonly tool: string;
  /** The arguments template as typed (JSON text), or already parsed. */
  readonly args?: string | Record<string, unknown>;
  readonly label: string;
  /** "5s", "1500ms", or milliseconds; default 10 s. */
  readonly timeout?: string | number;
}

const MAX_SOURCES = 20;
const TOOL_NAME = /^[A-Za-z0-9_.\-/]{1,128}$/;

/** The sources in force: folded from the stream, in the order they were added. */
export function foldSources(events: readonly { type: string; data: unknown }[]): BriefSource[] {
  const sources = new Map<string, BriefSource>();
  for (const e of events as unknown as BriefSourceEvent[]) {
    if (e.type === 'BriefSourceAdded') sources.set(e.data.id, e.data);
    else if (e.type === 'BriefSourceRemoved') sources.delete(e.data.id);
  }
  return [...sources.values()];
}

export class BriefSources {
  now: () => number = Date.now;

  constructor(
    private readonly store: EventStore,
    private readonly registry: ConnectorRegistry,
  ) {}

  async list(): Promise<BriefSource[]> {
    return foldSources(await this.store.readStream(BRIEF_SOURCES_STREAM));
  }

  /** Throws ConnectorError (VALIDATION, CONNECTOR_NOT_FOUND, ALREADY_EXISTS) saying what was wrong. */
  async add(request: AddBriefSourceRequest, context: AdminContext): Promise<BriefSource> {
    const connector = await this.registry.require(String(request.connector ?? '').trim());
    const tool = String(request.tool ?? '').trim();
    if (!TOOL_NAME.test(tool)) throw new ConnectorError('VALIDATION', `the tool must be the name of one of ${connector.name}'s tools (csmcp connectors test ${connector.name} lists them); got ${JSON.stringify(request.tool)}`, 'tool');
    const label = String(request.label ?? '').trim();
    if (label.length < 1 || label.length > 80) throw new ConnectorError('VALIDATION', `the label is what the brief titles this section with: 1 to 80 characters; got ${JSON.stringify(request.label)}`, 'label');
    const args = templated(() => (request.args === undefined ? {} : typeof request.args === 'string' ? parseTemplate(request.args) : parseTemplate(JSON.stringify(request.args))), 'args');
    const timeoutMs = templated(() => timeoutOf(request.timeout), 'timeout');
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(BRIEF_SOURCES_STREAM);
      const current = foldSources(recorded);
      if (current.some((s) => s.label.toLowerCase() === label.toLowerCase()))
        throw new ConnectorError('ALREADY_EXISTS', `a brief source is labelled ${JSON.stringify(label)} already; labels title the brief's sections, so each is unique (csmcp connectors sources list)`, 'label');
      if (current.length >= MAX_SOURCES) throw new ConnectorError('VALIDATION', `there are ${MAX_SOURCES} brief sources already, the most a brief calls; remove one first`);
      const source: BriefSource = {
        id: `bs_${randomBytes(9).toString('base64url')}`,
        label,
        connector: connector.name,
        tool,
        args,
        timeoutMs,
        addedAt: new Date(context.now?.getTime() ?? this.now()).toISOString(),
        addedBy: actorOf(context),
      };
      const event: BriefSourceAdded = { type: 'BriefSourceAdded', data: source };
      try {
        await this.store.appendToStream(BRIEF_SOURCES_STREAM, [event as unknown as NewEvent], { expectedRevision: revisionOf(recorded), metadata: adminMetadata(context) });
        return source;
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < 3) continue;
        throw error;
      }
    }
  }

  /** By id or label (case-insensitive). */
  async remove(idOrLabel: string, context: AdminContext): Promise<BriefSource> {
    const key = String(idOrLabel ?? '').trim();
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(BRIEF_SOURCES_STREAM);
      const source = foldSources(recorded).find((s) => s.id === key || s.label.toLowerCase() === key.toLowerCase());
      if (!source) throw new ConnectorError('CONNECTOR_NOT_FOUND', `no brief source has the id or label ${JSON.stringify(key)}; csmcp connectors sources list shows them`, 'source');
      const event: BriefSourceRemoved = {
        type: 'BriefSourceRemoved',
        data: { id: source.id, label: source.label, removedAt: new Date(context.now?.getTime() ?? this.now()).toISOString(), removedBy: actorOf(context) },
      };
      try {
        await this.store.appendToStream(BRIEF_SOURCES_STREAM, [event as unknown as NewEvent], { expectedRevision: revisionOf(recorded), metadata: adminMetadata(context) });
        return source;
      } catch (error) {
        if (error instanceof ConcurrencyError && attempt < 3) continue;
        throw error;
      }
    }
  }
}

function timeoutOf(value: string | number | undefined): number {
  if (value === undefined) return DEFAULT_SOURCE_TIMEOUT_MS;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < MIN_TIMEOUT_MS || value > MAX_TIMEOUT_MS)
      throw new BriefTemplateError(`the timeout must be a whole number of milliseconds between ${MIN_TIMEOUT_MS} and ${MAX_TIMEOUT_MS}; got ${value}`);
    return value;
  }
  return parseTimeout(value);
}

function templated<T>(work: () => T, field: string): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof BriefTemplateError) throw new ConnectorError('VALIDATION', `${field}: ${error.message}`, field);
    throw error;
  }
}

function revisionOf(recorded: readonly { revision: number }[]): number | 'no_stream' {
  return recorded.length === 0 ? 'no_stream' : recorded[recorded.length - 1].revision;
}

function actorOf(context: AdminContext): BriefSource['addedBy'] {
  const { actor } = context;
  return actor.type === 'user' ? { type: 'user', id: actor.id, email: actor.email } : { type: 'system', id: actor.id, email: null };
}
