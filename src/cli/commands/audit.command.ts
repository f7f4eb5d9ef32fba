import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { QueryBus } from '@nestjs/cqrs';
import type { EventStore } from '@csmcp/event-store';
import type { SqlExecutor } from '@csmcp/projections';
import { AUDIT_LOG } from '../../audit/audit.tokens';
import type { AuditLog } from '../../audit/audit-log';
import { parseAuditHead, verifyAuditLog, type AuditHead } from '../../audit/audit-verifier';
import { QueryAuditLogQuery, type AuditRecordView } from '../../audit/queries/query-audit-log/query-audit-log.query';
import { loadConfig } from '../../config/config';
import { EVENT_STORE, READ_MODEL_DB } from '../../infrastructure/tokens';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';
import { RevertRefusedError, RevertService, type RevertOutcome } from '../../audit/revert/revert.service';
import { asUsage, auditReadModelCaughtUp, cliActor, integerOption } from './audit-cli-support';

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('the audit log: every MCP tool call, credit grant, limit and price change, newest first')
    // Its filters only before a subcommand: else `audit verify --json` or `audit revert --session ID`
    // hand --json / --session to the listing, and the subcommand never sees them (needs the program's too).
    .enablePositionalOptions()
    .option('--user <user>', "a user's email or id (or a machine client's id)")
    .option('--integration <client_id>', 'an integration')
    .option('--tool <tool>', 'a tool name, e.g. create_cta (repeat with commas: create_cta,update_cta)')
    .option('--entity <id>', 'everything that concerned this CTA, task, plan, activity or company')
    .option('--outcome <outcome>', 'ok, refused or failed (commas for several)')
    .option('--session <id>', 'one MCP session')
    .option('--since <when>', 'from this date (YYYY-MM-DD, UTC) or ISO date-time')
    .option('--until <when>', 'up to this date (the whole day) or date-time')
    .option('--limit <n>', 'entries per page, 1-100 (default 25)')
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .option('--json', 'print JSON: { items, nextCursor } with each entry whole')
    .action(async (options: Record<string, string | boolean | undefined>) => {
      await withAppContext(loadConfig(), async (app) => {
        await auditReadModelCaughtUp(app);
        const list = (v: unknown) => (typeof v === 'string' && v.includes(',') ? v.split(',').map((s) => s.trim()) : v);
        const page = await asUsage(() =>
          app.get(QueryBus).execute(
            new QueryAuditLogQuery({
              user: options.user as string | undefined,
              integration: options.integration as string | undefined,
              tool: list(options.tool) as string | string[] | undefined,
              entity: options.entity as string | undefined,
              outcome: list(options.outcome) as never,
              session: options.session as string | undefined,
              since: options.since as string | undefined,
              until: options.until as string | undefined,
              limit: integerOption('--limit', options.limit as string | undefined),
              cursor: options.cursor as string | undefined,
            }),
          ),
        );
        if (options.json) {
          process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
          return;
        }
        print(page.items.map(auditLine), false);
        if (page.nextCursor) process.stderr.write(`More: csmcp audit ... --cursor ${page.nextCursor}\n`);
      });
    });

  audit
    .command('verify')
    .description("check the audit log's hash chain from its first entry, and every audit_log row against it; exit 1 at the first break")
    .option('--expect-head <seq:hash>', 'a head exported earlier (csmcp audit head): the log must still hold that entry with that hash')
    .option('--json', 'print JSON')
    .action(async (options: { expectHead?: string; json?: boolean }) => {
      const expectHead = options.expectHead === undefined ? undefined : parseHead(options.expectHead);
      await withAppContext(loadConfig(), async (app) => {
        await auditReadModelCaughtUp(app);
        const report = await verifyAuditLog(app.get<EventStore>(EVENT_STORE), app.get<SqlExecutor>(READ_MODEL_DB), expectHead);
        if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        else if (report.ok)
          process.stdout.write(`The audit log verifies: ${report.entries} entries chained, ${report.rows} read-model rows match; head ${formatHead(report.head)}.\n`);
        else process.stdout.write(`The audit log does NOT verify: in the ${report.broken!.where}, at entry ${report.broken!.seq}: ${report.broken!.reason}.\n`);
        if (!report.ok) process.exitCode = 1;
      });
    });

  audit
    .command('revert')
    .argument('[seq]', 'the audit entry of the write to undo (csmcp audit shows it)')
    .description('undo an LLM write (or with --session every write of one MCP session) with compensating events; refused if the record changed since')
    .option('--session <id>', 'every successful write of this MCP session, record by record')
    .requiredOption('--reason <text>', 'why, kept in the audit log')
    .option('--as <email>', 'the admin the revert is recorded as (default: the command line itself)')
    .option('--json', 'print JSON')
    .action(async (seqText: string | undefined, options: { session?: string; reason: string; as?: string; json?: boolean }) => {
      if ((seqText === undefined) === (options.session === undefined)) throw new UsageError('name one write (its audit entry number) or --session <id>, not both');
      const seq = seqText === undefined ? undefined : integerOption('seq', seqText);
      await withAppContext(loadConfig(), async (app) => {
        const by = await cliActor(app.get<EventStore>(EVENT_STORE), options.as);
        const reverts = app.get(RevertService);
        let outcomes: RevertOutcome[];
        try {
          if (seq !== undefined) outcomes = [await reverts.revertEntry(seq, options.reason, by)];
          else {
            await auditReadModelCaughtUp(app);
            outcomes = await reverts.revertSession(options.session!, options.reason, by);
          }
        } catch (error) {
          if (error instanceof RevertRefusedError) throw new UsageError(error.message);
          throw error;
        }
        if (options.json) process.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
        else
          print(
            outcomes.map((o) => ({
              entries: o.seqs.join(','),
              record: o.stream,
              reverted: o.reverted ? `yes (entry ${o.revertSeq})` : 'no',
              detail: o.reverted ? (o.changes ?? []).map((c) => `${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join('; ') : o.reason,
            })),
            false,
          );
        if (outcomes.some((o) => !o.reverted)) process.exitCode = 1;
      });
    });

  audit
    .command('head')
    .description('print the last entry\'s seq and hash ("seq:hash"); keep it elsewhere, and pass it to audit verify --expect-head later to detect truncation')
    .option('--json', 'print JSON: { seq, hash }')
    .action(async (options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const head = (await app.get<AuditLog>(AUDIT_LOG).refresh()).head;
        if (options.json) process.stdout.write(`${JSON.stringify(head)}\n`);
        else process.stdout.write(`${head ? formatHead(head) : '(the audit log is empty)'}\n`);
      });
    });
}

function auditLine(item: AuditRecordView): Record<string, unknown> {
  const e = item.entry as unknown as Record<string, any>;
  const what =
    item.type === 'ToolCallRecorded'
      ? `${e.tool} ${e.outcome}${e.code ? ` ${e.code}` : ''}${e.subject ? ` ${e.subject.type}:${e.subject.id}` : ''}${e.replayed ? ' (replay)' : ''}`
      : item.type === 'CreditsGranted'
        ? `${e.amount > 0 ? 'granted' : 'adjusted'} ${e.amount}: ${e.reason}`
        : item.type === 'CreditLimitSet'
          ? `limit ${e.scope}:${e.id} ${e.monthlyLimit ?? 'none'}/month: ${e.reason}`
          : item.type === 'CreditPricesSet'
            ? `prices ${JSON.stringify(e.byKind)} ${JSON.stringify(e.byTool)}`
            : `reverted entries ${e.revertedSeqs.join(', ')}: ${e.reason}`;
  return {
    seq: item.seq,
    at: item.at,
    who: item.actor.email ?? `${item.actor.type}:${item.actor.id}`,
    via: e.integrationName ?? e.integrationId ?? '-',
    what,
    credits: item.type === 'ToolCallRecorded' ? e.credits : item.type === 'CreditsGranted' ? e.amount : 0,
  };
}

function parseHead(value: string): AuditHead {
  let text = value.trim();
  if (text.startsWith('@')) text = readFileSync(text.slice(1), 'utf8').trim();
  const head = parseAuditHead(text);
  if (!head) throw new UsageError(`--expect-head must be "seq:hash" as csmcp audit head prints it (or @file holding that); got ${JSON.stringify(value)}`);
  return head;
}

function formatHead(head: AuditHead | null): string {
  return head ? `${head.seq}:${head.hash}` : '(empty)';
}
