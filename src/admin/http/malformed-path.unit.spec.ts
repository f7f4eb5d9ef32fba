import type { NextFunction, Request, Response } from 'express';
import { refuseMalformedAdminPath } from './malformed-path';

/** The admin API fuzz soak's counterexample (seed 20250916): POST /admin/api/integrations/%/enable. */
describe('refuseMalformedAdminPath', () => {
  function run(originalUrl: string) {
    const answer: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
    const res = {
      setHeader: (name: string, value: string) => (answer.headers[name] = value),
      status: (status: number) => ((answer.status = status), res),
      json: (body: unknown) => ((answer.body = body), res),
    } as unknown as Response;
    const next = jest.fn() as unknown as NextFunction;
    refuseMalformedAdminPath({ originalUrl, url: originalUrl } as Request, res, next);
    return { answer, next: next as unknown as jest.Mock };
  }

  it.each(['/admin/api/integrations/%/enable', '/admin/api/users/%zz', '/admin/api/audit/%E0%A4%A'])('%s → 400 INVALID_PATH in the admin error shape, not passed on', (url) => {
    const { answer, next } = run(url);
    expect(next).not.toHaveBeenCalled();
    expect(answer.status).toBe(400);
    expect(answer.headers['Cache-Control']).toBe('no-store');
    expect(answer.body).toEqual({ error: { code: 'INVALID_PATH', message: expect.stringContaining('%-escape') } });
  });

  it.each(['/admin/api/integrations/abc/enable', '/admin/api/users/%25', '/admin/api/audit?cursor=%', '/admin/api/users/%C3%A9'])('%s passes', (url) => {
    const { answer, next } = run(url);
    expect(next).toHaveBeenCalledTimes(1);
    expect(answer.status).toBeUndefined();
  });
});
