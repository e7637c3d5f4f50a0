import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createServeApp, type ServeAppOptions } from './app.ts';
import { assertBindAllowed } from './bind-policy.ts';

/** Where and how `startServe` listens. */
export interface StartServeOptions extends ServeAppOptions {
  /** Interface to bind (default `127.0.0.1`); any non-loopback address requires `token`. */
  host?: string | undefined;
  /** TCP port (0: a free one). */
  port: number;
  /** Names the token's source in refusals (e.g. `ORRERY_TOKEN`). */
  tokenSource?: string | undefined;
}

/** A listening server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** `http://host:port` as bound (the real port when 0 was asked). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets requests in flight finish, closes. Does not close the gateway. Idempotent. */
  close(): Promise<void>;
}

/**
 * Checks the bind policy, builds the app and listens.
 * @throws RunnerError `ORRERY_USAGE` when `host` is not loopback and no token is set, or the token is short;
 *   the listen error (e.g. `EADDRINUSE`) otherwise.
 */
export async function startServe(opts: StartServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  assertBindAllowed(host, opts.token, opts.tokenSource);
  const app = createServeApp(opts);
  await app.listen({ host, port: opts.port });
  const addr = app.server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    app,
    url: `http://${shown}:${addr.port}`,
    port: addr.port,
    close: () => {
      closing ??= app.close();
      return closing;
    },
  };
}
