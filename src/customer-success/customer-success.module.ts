import { Module } from '@nestjs/common';
import { WritePolicyService } from '../governance/write-policy-config/write-policy.service';
import { CreateCtaTaskHandler } from './ctas/commands/create-cta-task/create-cta-task.handler';
import { CreateCtaHandler } from './ctas/commands/create-cta/create-cta.handler';
import { UpdateCtaHandler } from './ctas/commands/update-cta/update-cta.handler';
import { CreateSuccessPlanHandler } from './success-plans/commands/create-success-plan/create-success-plan.handler';
import { UpdateSuccessPlanHandler } from './success-plans/commands/update-success-plan/update-success-plan.handler';
import { CreateTimelineActivityHandler } from './timeline/commands/create-timeline-activity/create-timeline-activity.handler';
import { UpdateTimelineActivityHandler } from './timeline/commands/update-timeline-activity/update-timeline-activity.handler';
import { EventStorePolicyLookups } from './write/policy-lookups';
import { WritePipeline } from './write/write-pipeline';
import { WRITE_POLICY } from './write/write-policy.port';

/** The write side of the customer-success domain: the MCP write commands and their pipeline. */
@Module({
  providers: [
    EventStorePolicyLookups,
    WritePolicyService,
    { provide: WRITE_POLICY, useExisting: WritePolicyService },
    WritePipeline,
    CreateCtaHandler,
    UpdateCtaHandler,
    CreateCtaTaskHandler,
    CreateSuccessPlanHandler,
    UpdateSuccessPlanHandler,
    CreateTimelineActivityHandler,
    UpdateTimelineActivityHandler,
  ],
  exports: [WritePipeline, WritePolicyService, WRITE_POLICY],
})
export class CustomerSuccessModule {}
