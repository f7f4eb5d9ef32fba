import { Query } from '@nestjs/cqrs';
import type { Position } from '@csmcp/event-store';
import type { ViewerScope } from '../shared/viewer';
import type { CtaTaskView, CtaView } from '../shared/views';

export interface GetCtaInput {
  ctaId: string;
  after?: Position;
}

/** The CTA with its tasks, oldest task first. */
export type GetCtaResult = CtaView & { tasks: CtaTaskView[] };

export class GetCtaQuery extends Query<GetCtaResult> {
  constructor(
    readonly viewer: ViewerScope,
    readonly input: GetCtaInput,
  ) {
    super();
  }
}
