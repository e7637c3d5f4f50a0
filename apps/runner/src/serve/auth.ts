import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem, ServeErrorCode } from './problem.ts';

/** Routes reachable without the token: liveness only. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/healthz']);

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * An `onRequest` hook requiring `Authorization: Bearer <token>` on every route but {@link PUBLIC_ROUTES}
 * (unknown routes included, so a scan learns nothing). Compared in constant time; answers 401 with
 * `WWW-Authenticate: Bearer` before the body is read.
 */
export function bearerAuth(
  token: string,
  onReject: () => void,
  options: {
    /** Routes that authenticate their callers themselves (answering in their own wire format). */
    selfAuthenticated?: (route: string) => boolean;
    /** Another credential this route accepts (a virtual key on `/chains`). */
    alsoAccepts?: (route: string, credential: string) => boolean;
  } = {},
): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = digest(token);
  return async (req, reply) => {
    const route = req.routeOptions.url;
    if (route !== undefined && PUBLIC_ROUTES.has(route)) return;
    if (route !== undefined && options.selfAuthenticated?.(route) === true) return;
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (m?.[1] !== undefined && timingSafeEqual(digest(m[1]), expected)) return;
    if (m?.[1] !== undefined && route !== undefined && options.alsoAccepts?.(route, m[1]) === true) return;
    onReject();
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="orrery"')
      .send(
        problem(
          ServeErrorCode.UNAUTHORIZED,
          header === undefined
            ? 'missing bearer token: send Authorization: Bearer <token>'
            : 'invalid bearer token',
        ),
      );
  };
}
