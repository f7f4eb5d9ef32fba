import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { EventStore } from '@csmcp/event-store';
import { formatPosition } from '@csmcp/event-store';
import { ProjectionHost } from '../infrastructure/infrastructure.module';
import { EVENT_STORE } from '../infrastructure/tokens';

const PING_TIMEOUT_MS = 2_000;

@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionHost,
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
