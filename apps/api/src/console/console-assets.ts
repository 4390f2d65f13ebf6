import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NextFunction, Request, RequestHandler, Response, static as serveStatic } from 'express';

/** Where the console is served: by the API process itself, so it needs no second server and no CORS. */
export const CONSOLE_PATH = '/console';

/**
 * The console's files: beside the compiled code when `npm run build` copied them there, else in the source tree
 * (the e2e tests run the TypeScript directly, and a dist built without the copy step still finds them).
 */
export function consoleAssetsDir(): string {
  const candidates = [join(__dirname, 'static'), resolve(__dirname, '../../../../../apps/api/src/console/static')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0];
}

/**
 * Static files, served before the access guard: the page itself holds no data, every figure it shows comes from
 * the REST API with the key the person signs in with. The policy forbids any other origin (no CDN, no call-home)
 * and no referrer, so nothing the console shows leaks in a request header.
 */
export function consoleAssets(dir = consoleAssetsDir()): RequestHandler[] {
  const headers = (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
    );
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  };
  return [headers, serveStatic(dir, { index: 'index.html', fallthrough: true })];
}
