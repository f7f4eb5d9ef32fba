import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { formatPosition, type EventStore } from '@csmcp/event-store';
import { loadConfig } from '../../config/config';
import { ProjectionHost } from '../../infrastructure/infrastructure.module';
import { EVENT_STORE } from '../../infrastructure/tokens';
import { print, withAppContext } from '../context';
import { UsageError } from '../errors';

export function registerProjections(program: Command): void {
  const projections = program.command('projections').description('inspect and rebuild the read models');

  projections
    .command('status')
    .description('show each projection, its checkpoint and whether it has caught up')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const store = app.get<EventStore>(EVENT_STORE);
        const runner = app.get(ProjectionHost).runner;
        const head = await store.headPosition();
        const checkpoints = await runner.checkpoints();
        print(
          checkpoints.map((c) => ({
            name: c.name,
            version: c.version,
            checkpoint: formatPosition(c.position),
            head: formatPosition(head),
          })),
          options.json === true,
        );
      });
    });

  projections
    .command('rebuild')
    .argument('[names...]', 'projections to rebuild (default: all)')
    .description('rebuild read models from the first event; safe while the server runs')
    .option('--json', 'print JSON')
    .action(async (names: string[], options: { json?: boolean }) => {
      await withAppContext(loadConfig(), async (app) => {
        const runner = app.get(ProjectionHost).runner;
        const known = runner.status().map((s) => s.name);
        const unknown = names.filter((n) => !known.includes(n));
        if (unknown.length > 0)
          throw new UsageError(`Unknown projection ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${known.join(', ') || '(none)'}`);
        const selected = names.length > 0 ? names : known;
        const bar = process.stderr.isTTY && !options.json ? new SingleBar({ format: '{name} [{bar}] {value}/{total} events {percentage}% {eta_formatted}' }, Presets.shades_classic) : null;
        const started = Date.now();
        const results: Array<{ name: string; events: number; seconds: number }> = [];
        let current: string | null = null;
        let last = { name: '', processed: 0 };
        await runner.rebuild(selected, (p) => {
          if (p.name !== current) {
            if (current !== null) bar?.stop();
            current = p.name;
            bar?.start(p.total, 0, { name: p.name });
          }
          bar?.setTotal(p.total);
          bar?.update(p.processed, { name: p.name });
          last = p;
          const done = results.find((r) => r.name === p.name);
          if (done) done.events = p.processed;
          else results.push({ name: p.name, events: p.processed, seconds: 0 });
        });
        bar?.stop();
        const seconds = (Date.now() - started) / 1000;
        for (const r of results) r.seconds = Number(seconds.toFixed(2));
        if (!options.json && !bar) process.stderr.write(`rebuilt ${selected.length} projection(s); last: ${last.name} at ${last.processed} events\n`);
        print(
          selected.map((name) => results.find((r) => r.name === name) ?? { name, events: 0, seconds: Number(seconds.toFixed(2)) }),
          options.json === true,
        );
      });
    });
}
