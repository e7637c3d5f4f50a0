import { parseSolarSystemConfig } from '@orrery/agents';
import { freePort } from '@orrery/testkit';
import { describe, expect, it } from 'vitest';
import { RunnerError } from '../src/errors.ts';
import { connectRemotePlanets } from '../src/serve/remote-planets.ts';
import { openPlanetTransport } from '../src/session/planet-transport.ts';

describe('agents.transport: nats with no server listening', () => {
  it('paper/run and serve both refuse with ORRERY_USAGE naming agents.transport.url', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const agents = parseSolarSystemConfig({ transport: { kind: 'nats', url } });
    for (const open of [() => openPlanetTransport(agents), () => connectRemotePlanets(agents)]) {
      const err = await open().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RunnerError);
      expect((err as RunnerError).code).toBe('ORRERY_USAGE');
      expect((err as Error).message).toContain(`agents.transport.url ${url}`);
    }
  });
});
