import { isIP } from 'node:net';
import { RunnerError, RunnerErrorCode } from '../errors.ts';

/** The shortest bearer token accepted (a guessable token protects nothing). */
export const MIN_TOKEN_LENGTH = 16;

/**
 * True for addresses only this machine can reach: `localhost`, `127.0.0.0/8`, `::1` and their IPv4-mapped
 * forms. Anything else (`0.0.0.0`, `::`, a LAN address, a host name) is reachable from outside.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(h) === 6 && (h === '::1' || /^0{0,4}(:0{0,4}){6}:0{0,3}1$/.test(h));
}

/**
 * Refuses unsafe combinations before anything listens: a non-loopback `host` without a token, and a token
 * shorter than {@link MIN_TOKEN_LENGTH}.
 * @throws RunnerError `ORRERY_USAGE` saying what to do.
 */
export function assertBindAllowed(host: string, token: string | undefined, tokenSource = 'the token'): void {
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      `${tokenSource} is too short (${token.length} characters); use at least ${MIN_TOKEN_LENGTH} random characters, e.g. \`openssl rand -hex 32\``,
    );
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      `refusing to listen on ${host} without a bearer token: anyone who can reach it could spend your LLM budget. ` +
        `Set ${tokenSource} (at least ${MIN_TOKEN_LENGTH} characters), or listen on 127.0.0.1`,
    );
  }
}
