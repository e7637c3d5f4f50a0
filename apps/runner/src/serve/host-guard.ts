import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost } from './bind-policy.ts';
import { problem, ServeErrorCode } from './problem.ts';

/** The host name of a `Host` header or an `Origin` URL (no port, no brackets), lower-case; `undefined` if unparsable. */
export function hostnameOf(value: string, isOrigin: boolean): string | undefined {
  try {
    const url = new URL(isOrigin ? value : `http://${value}`);
    const name = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    // URL writes an IPv4-mapped address in hex (`::ffff:7f00:1`); give it back its dotted form.
    const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(name);
    if (m === null) return name;
    const hi = Number.parseInt(m[1] ?? '0', 16);
    const lo = Number.parseInt(m[2] ?? '0', 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
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
  // Verdicts per header value (a client repeats its Host), bounded.
  const verdicts = new Map<string, boolean>();
  const judged = (value: string, isOrigin: boolean): boolean => {
    const key = `${isOrigin ? 'o' : 'h'}${value}`;
    let v = verdicts.get(key);
    if (v === undefined) {
      v = ok(hostnameOf(value, isOrigin));
      if (verdicts.size >= 1024) verdicts.clear();
      verdicts.set(key, v);
    }
    return v;
  };
  return async (req, reply) => {
    const host = req.headers.host;
    const origin = req.headers.origin;
    let why: string | undefined;
    if (typeof host !== 'string' || !judged(host, false)) {
      why = `Host ${JSON.stringify(host ?? '')} is not this machine`;
    } else if (typeof origin === 'string' && origin !== 'null' && !judged(origin, true)) {
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
