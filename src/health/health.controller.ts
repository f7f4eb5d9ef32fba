import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { EventStore } from '@csmcp/event-store';
import { formatPosition } from '@csmcp/event-store';
import { ProjectionHost } from '../infrastructure/infrastructure.module';
import { APP_CONFIG, EVENT_STORE } from '../infrastructure/tokens';
import type { AppConfig } from '../config/config';

const PING_TIMEOUT_MS = 2_000;
/**
 * Below this much free space where SQLite files live, the instance is not ready: every call is
 * audited, so a full disk refuses reads too, and a balancer or operator should see it before users do.
 */
export const MIN_FREE_BYTES = 2 * 1024 * 1024;

@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Liveness: the process answers. Never touches the database, so a slow store does not get it killed. */
  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the store answers and every projection has caught up with the head of the log. */
  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    const problems: string[] = [];
    let head: string | null = null;
    try {
      await withTimeout(this.store.ping(), PING_TIMEOUT_MS, 'the event store did not answer in time');
      head = formatPosition(await withTimeout(this.store.headPosition(), PING_TIMEOUT_MS, 'reading the head position timed out'));
    } catch (error) {
      problems.push(`event store (${this.store.kind}): ${(error as Error).message}`);
    }
    const runner = this.projections.runner;
    const projections = runner.status().map((s) => ({
      name: s.name,
      position: formatPosition(s.position),
      live: s.live,
      lastError: s.lastError,
    }));
    if (problems.length === 0) {
      try {
        if (!(await runner.isCaughtUp())) problems.push('projections are catching up with the event log');
      } catch (error) {
        problems.push(`projections: ${(error as Error).message}`);
      }
    }
    for (const p of projections) if (p.lastError) problems.push(`projection ${p.name} failed: ${p.lastError}`);
    problems.push(...(await diskProblems(this.config)));
    const ready = problems.length === 0;
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json({
      status: ready ? 'ready' : 'not_ready',
      store: { kind: this.store.kind, head },
      projections,
      ...(ready ? {} : { problems }),
    });
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

/** A full (or nearly full) disk under the embedded store's or read models' SQLite files. */
async function diskProblems(config: AppConfig): Promise<string[]> {
  const dirs = new Set<string>();
  if (config.eventStore.kind === 'sqlite') dirs.add(dirname(config.eventStore.filename));
  if (config.readModels.kind === 'sqlite') dirs.add(dirname(config.readModels.filename));
  const problems: string[] = [];
  for (const dir of dirs) {
    try {
      const fs = await statfs(dir);
      const free = fs.bavail * fs.bsize;
      // /readyz answers anyone: the free space, never the path.
      if (free < MIN_FREE_BYTES) problems.push(`disk full: ${Math.floor(free / 1024)} KiB free in the data directory (writes, and reads, which are audited, are refused until space is freed)`);
    } catch (error) {
      problems.push(`data directory: ${(error as NodeJS.ErrnoException).code ?? 'cannot be read'}`);
    }
  }
  return problems;
}
