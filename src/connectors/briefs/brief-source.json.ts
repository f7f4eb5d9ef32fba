import type { BriefSource } from './brief-sources';

/** A brief source as scripts and the admin API see it (the shape of `csmcp connectors sources … --json`). */
export interface BriefSourceJson {
  readonly id: string;
  readonly label: string;
  readonly connector: string;
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly timeout_ms: number;
  readonly added_at: string;
  readonly added_by: BriefSource['addedBy'];
}

export function briefSourceJson(s: BriefSource): BriefSourceJson {
  return { id: s.id, label: s.label, connector: s.connector, tool: s.tool, args: s.args, timeout_ms: s.timeoutMs, added_at: s.addedAt, added_by: s.addedBy };
}
