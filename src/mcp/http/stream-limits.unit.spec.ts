import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { StreamLimits } from './stream-limits';

function response(): EventEmitter & Pick<ServerResponse, 'once'> {
  return new EventEmitter() as EventEmitter & Pick<ServerResponse, 'once'>;
}

describe('StreamLimits', () => {
  it('admits up to the limit per owner, then refuses; each owner counts alone', () => {
    const limits = new StreamLimits(2);
    expect(limits.admit('ann', response())).toBe(true);
    expect(limits.admit('ann', response())).toBe(true);
    expect(limits.admit('ann', response())).toBe(false);
    expect(limits.admit('client:sync', response())).toBe(true);
    expect(limits.openOf('ann')).toBe(2);
    expect(limits.openOf('client:sync')).toBe(1);
  });

  it('frees a place when a stream closes, once however often close is emitted', () => {
    const limits = new StreamLimits(1);
    const first = response();
    expect(limits.admit('ann', first)).toBe(true);
    expect(limits.admit('ann', response())).toBe(false);
    first.emit('close');
    first.emit('close');
    expect(limits.openOf('ann')).toBe(0);
    expect(limits.admit('ann', response())).toBe(true);
    expect(limits.openOf('ann')).toBe(1);
  });

  it('a refused stream is not counted, so it frees nothing when it closes', () => {
    const limits = new StreamLimits(1);
    expect(limits.admit('ann', response())).toBe(true);
    const refused = response();
    expect(limits.admit('ann', refused)).toBe(false);
    refused.emit('close');
    expect(limits.openOf('ann')).toBe(1);
  });

  it('refuses with 429, Retry-After and a message naming the limit and what to do', () => {
    const headers: Record<string, string> = {};
    let body = '';
    const res = {
      headersSent: false,
      statusCode: 200,
      setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
      end: (text: string) => (body = text),
    } as unknown as ServerResponse;
    new StreamLimits(16).refuse(res);
    expect(res.statusCode).toBe(429);
    expect(headers['retry-after']).toBe('10');
    const parsed = JSON.parse(body) as { error: { code: number; message: string } };
    expect(parsed.error.code).toBe(-32000);
    expect(parsed.error.message).toContain('at most 16 at once');
    expect(parsed.error.message).toContain('MCP_MAX_STREAMS_PER_USER');
  });
});
