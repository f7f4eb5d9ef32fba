import type { NextFunction, Request, Response } from 'express';
import type { AdminErrorBody } from './admin-api-error';

/**
 * Express decodes route parameters itself: a malformed %-escape in a path parameter
 * (`/admin/api/integrations/%/enable`) made it answer 400 in Nest's default shape
 * (`{ message, error, statusCode }`), before any admin middleware or filter ran. Mounted first on
 * /admin/api (a plain prefix: nothing to decode), this refuses such a path in the admin API's shape.
 * Found by the admin API fuzz soak (test/soak/fuzz-inputs.soak.spec.ts, seed 20250916).
 */
export function refuseMalformedAdminPath(req: Request, res: Response, next: NextFunction): void {
  const path = (req.originalUrl ?? req.url).split('?')[0];
  try {
    decodeURIComponent(path);
  } catch {
    const body: AdminErrorBody = {
      error: { code: 'INVALID_PATH', message: 'The path has a malformed %-escape; encode each path segment (a % as %25)' },
    };
    res.setHeader('Cache-Control', 'no-store');
    res.status(400).json(body);
    return;
  }
  next();
}
