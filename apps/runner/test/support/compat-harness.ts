import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { GatewayConfigInput } from '@orrery/core';
import { tempDir } from '@orrery/testkit';
import type { ServeAppOptions } from '../../src/serve/app.ts';
import { VirtualKeyStore } from '../../src/serve/virtual-keys.ts';
import { type ServeHarness, serveHarness } from './serve-harness.ts';

/** A serve harness listening on loopback (for real SDK clients) with a virtual key store. */
export interface CompatHarness extends ServeHarness {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  keys: VirtualKeyStore;
  /** HTTP requests the server received (every SDK attempt counts). */
  received(): number;
}

/** Builds a {@link CompatHarness}. */
export async function compatHarness(
  opts: { gateway?: Partial<GatewayConfigInput>; app?: Partial<ServeAppOptions> } = {},
): Promise<CompatHarness> {
  const dir = tempDir('orrery-compat-');
  const keys = new VirtualKeyStore(join(dir.path, 'keys.db'));
  const h = await serveHarness({
    ...(opts.gateway === undefined ? {} : { gateway: opts.gateway }),
    app: { keys, ...opts.app },
  });
  let n = 0;
  h.app.server.on('request', () => {
    n += 1;
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (h.app.server.address() as AddressInfo).port;
  return {
    ...h,
    url: `http://127.0.0.1:${port}`,
    keys,
    received: () => n,
    async close() {
      await h.close();
      keys.close();
      dir.remove();
    },
  };
}

/** Resolves when `release()` is called: lets a test hold the loopback provider's answer. */
export function gate(): { wait: Promise<void>; release(): void } {
  let release = () => {};
  const wait = new Promise<void>((r) => {
    release = r;
  });
  return { wait, release };
}
