import { All, Controller, Query, Req, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { AuthenticatedRequest } from './http/streamable-http.endpoint';
import { McpService } from './mcp.service';

/** The MCP endpoints. Responses are written by the transports, so Nest only routes here. */
@Controller()
export class McpController {
  constructor(private readonly mcp: McpService) {}

  @All(['mcp', 'v1/ds-mcp/mcp'])
  streamable(@Req() req: AuthenticatedRequest, @Res() res: ServerResponse): Promise<void> {
    return this.mcp.handleStreamable(req, res);
  }

  @All('sse')
  legacyStream(@Req() req: AuthenticatedRequest, @Res() res: ServerResponse): Promise<void> {
    return this.mcp.handleLegacyStream(req, res, '/messages');
  }

  @All('messages')
  legacyMessage(@Req() req: AuthenticatedRequest, @Res() res: ServerResponse, @Query('sessionId') sessionId?: string): Promise<void> {
    return this.mcp.handleLegacyMessage(req, res, typeof sessionId === 'string' ? sessionId : undefined);
  }
}
