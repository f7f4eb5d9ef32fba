import { Module } from '@nestjs/common';
import { CustomerSuccessModule } from '../customer-success/customer-success.module';
import { McpController } from './mcp.controller';
import { McpService } from './mcp.service';

/** The MCP server: Streamable HTTP at /mcp and /v1/ds-mcp/mcp, legacy HTTP+SSE at /sse + /messages. */
@Module({
  imports: [CustomerSuccessModule],
  controllers: [McpController],
  providers: [McpService],
})
export class McpModule {}
