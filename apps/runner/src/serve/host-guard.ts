import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost } from './bind-policy.ts';
import { problem, ServeErrorCode } from './problem.ts';

/** The host name of a `Host` header or an `Origin` URL (no port, no brackets), lower-case; `undefined` if unparsable. */
export function hostnameOf(value: string, isOrigin: boolean): string | undefined {
  try {
    const url = new URL(isOrigin ? value : `http://${value}`);
    return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * An `onRequest` hook for a server without a token (a loopback one): a request whose `Host` is not this
 * machine (`localhost`, `127.0.0.0/8`, `::1`) or one of `allowedHosts`, or that comes from a web page
 * (`Origin`) of another host, is refused with 403 `ORRERY_HTTP_FORBIDDEN_HOST` before anything runs —
 * a page on the web cannot spend the budget or reach `/control` by DNS rebinding or a cross-site form.
 */
export function hostGuard(
  allowedHosts: readonly string[],
  onReject: () => void,
): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const allowed = new Set(
    allowedHosts.map((h) =>
      h
        .trim()
        .toLowerCase()
        .replace(/^\[|\]$/g, ''),
    ),
  );
  const ok = (name: string | undefined) => name !== undefined && (isLoopbackHost(name) || allowed.has(name));
  return async (req, reply) => {
    const host = req.headers.host;
    const origin = req.headers.origin;
    let why: string | undefined;
    if (typeof host !== 'string' || !ok(hostnameOf(host, false))) {
      why = `Host ${JSON.stringify(host ?? '')} is not this machine`;
    } else if (typeof origin === 'string' && origin !== 'null' && !ok(hostnameOf(origin, true))) {
      why = `Origin ${JSON.stringify(origin)} is another site`;
    } else if (origin === 'null') {
      why = 'Origin "null" (a sandboxed page or a file) is another site';
    }
    if (why === undefined) return;
    onReject();
    await reply
      .code(403)
      .send(
        problem(
          ServeErrorCode.FORBIDDEN_HOST,
          `${why}: this server has no token, so it answers only requests addressed to localhost (DNS rebinding and web pages are refused). ` +
            'Use http://127.0.0.1:PORT, add the name with --allow-host, or set a token',
        ),
      );
  };
}
