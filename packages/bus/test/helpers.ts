import { Address, createMessage, type Message, type MoonReading, type PlanetReport } from '../src/index.ts';

/** Polls `cond` until it holds; fails with `what` after `timeoutMs` (generous: CI machines are slow). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A promise the test resolves when it wants a blocked handler to go on. */
export function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

/** A planet report from `planet.<from>` to the sun. */
export function report(from: string, n: number, priority: PlanetReport['priority'] = 'normal'): PlanetReport {
  return createMessage('planet.report', {
    sender: Address.planet(from),
    recipient: Address.sun,
    priority,
    payload: { symbol: 'BTC-USD', signal: 0, confidence: 0.5, reasons: [`#${n}`] },
  });
}

/** A moon reading from `moon.<from>` to `to`. */
export function reading(from: string, to: Message['recipient'], value: number): MoonReading {
  return createMessage('moon.reading', {
    sender: Address.moon(from),
    recipient: to,
    payload: { symbol: 'BTC-USD', metric: 'rsi14', value },
  });
}

/** The `#n` tag a report was built with. */
export function tag(m: Message): string {
  return m.type === 'planet.report' ? (m.payload.reasons[0] ?? '') : m.type;
}
