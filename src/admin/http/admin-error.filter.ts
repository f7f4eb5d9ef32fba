import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { adminErrorOf, type AdminErrorBody } from './admin-api-error';

/**
 * Every error of an admin API handler as `{ error: { code, message, details? } }`. Unexpected ones are
 * logged with their stack and answered 500 without their message (it may hold internals).
 */
@Catch()
export class AdminErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('AdminApi');

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let answer = adminErrorOf(error);
    if (!answer && error instanceof HttpException) {
      // Nest's own refusals (e.g. a route parameter it could not parse).
      const status = error.getStatus();
      answer = { status, body: { error: { code: status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message: error.message } } };
    }
    if (!answer) {
      this.logger.error({ err: error, msg: 'admin API request failed' });
      const body: AdminErrorBody = { error: { code: 'INTERNAL', message: 'The request failed on the server; the server log has the details (look for the X-Request-Id of this response)' } };
      answer = { status: 500, body };
    }
    if (res.headersSent) return;
    if (answer.status === 503) res.setHeader('Retry-After', '1');
    res.setHeader('Cache-Control', 'no-store');
    res.status(answer.status).json(answer.body);
  }
}
