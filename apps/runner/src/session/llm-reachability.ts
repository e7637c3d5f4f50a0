import { connect } from 'node:net';
import type { GatewayConfig } from '@orrery/core';

/** Whether any LLM provider can be reached, and why not when none can. */
export interface Reachability {
  readonly reachable: boolean;
  /** Providers that can serve (have a key, or answer on loopback). */
  readonly usable: readonly string[];
  /** One sentence for the user when nothing is reachable. */
  readonly reason: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Decides, before the loop starts, whether an LLM can answer at all: a provider counts when it has an API
 * key, or when its base URL is on this machine and a TCP connection to it succeeds within `timeoutMs`.
 * Without any, the runner passes no gateway to the agents, so no cycle waits on a call that cannot work.
 */
export async function probeLlm(config: GatewayConfig, timeoutMs = 1000): Promise<Reachability> {
  const usable: string[] = [];
  const tried: string[] = [];
  for (const [name, p] of Object.entries(config.providers)) {
    const url = new URL(p.baseUrl);
    if (p.apiKey !== undefined && !p.local) {
      usable.push(name);
      continue;
    }
    if (LOOPBACK.has(url.hostname)) {
      const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
      if (await canConnect(url.hostname.replace(/^\[|\]$/g, ''), port, timeoutMs)) usable.push(name);
      else tried.push(`${name} at ${url.origin}`);
    }
  }
  const reason =
    usable.length > 0
      ? ''
      : `no reachable LLM (no API key set${tried.length > 0 ? `; nothing answering: ${tried.join(', ')}` : ''})`;
  return { reachable: usable.length > 0, usable, reason };
}

function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
