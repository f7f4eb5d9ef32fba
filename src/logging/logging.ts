import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino from 'pino';
import type { LogLevel } from '../config/config';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * JSON logs (pino) with a request id on every line of a request: the caller's X-Request-Id when it is
 * a sane token, otherwise a fresh UUID; echoed back in the response header.
 */
export function loggingParams(level: LogLevel, destination: 'stdout' | 'stderr'): Params {
  return {
    pinoHttp: {
      level,
      stream: pino.destination({ fd: destination === 'stdout' ? 1 : 2, sync: false }),
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Health probes every few seconds would drown the log.
      autoLogging: { ignore: (req: IncomingMessage) => req.url === '/healthz' || req.url === '/readyz' },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: redactUrlSecrets(req.url),
          remoteAddress: req.remoteAddress,
        }),
        // A redirect back to a client carries the authorization code in its Location (issue 9: found
        // by test/e2e/secrets-in-logs.e2e.spec.ts): redacted like a request URL's.
        res: (res: { statusCode: number; headers?: Record<string, unknown> }) =>
          typeof res.headers?.location === 'string' ? { ...res, headers: { ...res.headers, location: redactUrlSecrets(res.headers.location) } } : res,
      },
    },
  };
}

/** Query parameters that carry secrets (a token in the URL is refused, but the request is still logged). */
const SECRET_PARAMS = /([?&#](?:access_token|refresh_token|id_token|code|client_secret|token|password)=)[^&#]*/gi;

export function redactUrlSecrets(url: string): string {
  return typeof url === 'string' ? url.replace(SECRET_PARAMS, '$1[redacted]') : url;
}
