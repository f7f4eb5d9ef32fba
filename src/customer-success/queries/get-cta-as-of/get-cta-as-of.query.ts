import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { Cta } from '../../ctas/cta.decider';
import type { ViewerScope } from '../shared/viewer';

export interface GetCtaAsOfInput {
  ctaId: string;
  /** ISO 8601 date-time with a time zone: the CTA as it was recorded at that instant. */
  asOf: string;
  after?: Position;
}

export interface GetCtaAsOfResult {
  ctaId: string;
  /** The instant asked for, normalised to UTC. */
  asOf: string;
  /** False when the CTA was created after `asOf` (then `cta` is null). */
  exists: boolean;
  /** Events of the CTA recorded up to `asOf`. */
  eventCount: number;
  /** When the last of those events was recorded. */
  lastChangedAt: string | null;
  /** The CTA with its tasks as they were at `asOf`. */
  cta: Cta | null;
}

export class GetCtaAsOfQuery extends Query<GetCtaAsOfResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: GetCtaAsOfInput,
  ) {
    super();
  }
}
