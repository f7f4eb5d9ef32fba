import type { CreditUsageResult } from './get-credit-usage.query';

/** The usage report as CSV (RFC 4180), one row per group, for spreadsheets; the same for the CLI and the admin API. */
export function usageCsv(result: CreditUsageResult): string {
  const header = ['period', 'user_id', 'user_email', 'integration_id', 'integration_name', 'tool', 'calls', 'charged_calls', 'refused_calls', 'failed_calls', 'credits'];
  const lines = [header.join(',')];
  for (const r of result.rows)
    lines.push(
      [r.period ?? `${result.since}/${result.until}`, r.user?.id, r.user?.email, r.integration?.id, r.integration?.name, r.tool, r.calls, r.chargedCalls, r.refusedCalls, r.failedCalls, r.credits]
        .map(csvCell)
        .join(','),
    );
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // A leading =, +, - or @ would be a formula in a spreadsheet: quote it with a ' so it stays text.
  const safe = /^[=+\-@\t\r]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}
