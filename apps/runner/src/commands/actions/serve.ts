import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../../errors.ts';
import { gatewayDbPath, openGateway, untilAborted } from '../../serve/open-gateway.ts';
import { builtinPlanetCatalog } from '../../serve/planet-catalog.ts';
import { connectRemotePlanets } from '../../serve/remote-planets.ts';
import { SERVE_LOG_LEVELS } from '../../serve/serve-defaults.ts';
import { startServe } from '../../serve/start.ts';
import { VirtualKeyStore } from '../../serve/virtual-keys.ts';
import type { CliIO } from '../io.ts';
import type { ServeFlags } from '../serve.ts';

/** Runs `orrery serve` (see its registration in ../serve.ts). */
export async function serve(flags: ServeFlags, cmd: Command, io: CliIO): Promise<void> {
  if (!SERVE_LOG_LEVELS.includes(flags.logLevel)) {
    throw new RunnerError(RunnerErrorCode.USAGE, `--log-level must be one of ${SERVE_LOG_LEVELS.join(', ')}`);
  }
  const raw = io.env[flags.tokenEnv]?.trim();
  const token = raw === undefined || raw === '' ? undefined : raw;
  if (token === undefined && cmd.getOptionValueSource('tokenEnv') === 'cli') {
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      `--token-env ${flags.tokenEnv}: ${flags.tokenEnv} is not set`,
    );
  }
  const loaded = loadConfig({ file: flags.config, env: io.env, cwd: io.cwd });
  const gateway = openGateway(loaded, flags.gatewayDb, io.cwd);
  for (const w of gateway.warnings) io.err(`warning: ${w}`);
  const dbPath = gatewayDbPath(loaded, flags.gatewayDb, io.cwd);
  // Virtual keys live in the gateway's file; with `:memory:` there are none (the keys command cannot reach it).
  const keys = dbPath === ':memory:' ? undefined : new VirtualKeyStore(dbPath);
  let remote: Awaited<ReturnType<typeof connectRemotePlanets>> | undefined;
  try {
    remote = await connectRemotePlanets(loaded.config.agents);
    const server = await startServe({
      host: flags.host,
      port: flags.port,
      token,
      tokenSource: flags.tokenEnv,
      gateway,
      planets: builtinPlanetCatalog(
        loaded.config.agents.planets.enabled,
        loaded.config.agents.planets.weights,
      ),
      moons: loaded.config.agents,
      remotePlanets: remote.remote,
      maxConcurrent: flags.maxConcurrent,
      bodyLimitBytes: flags.bodyLimit,
      log: io.err,
      logLevel: flags.logLevel,
      control: { ledgerPath: loaded.config.run.ledgerPath },
      keys,
      requireKey: flags.requireKey === true,
      allowedHosts: flags.allowHost,
    }).catch((err: unknown) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        throw new RunnerError(
          RunnerErrorCode.USAGE,
          `cannot listen on ${flags.host}:${flags.port} (${code}); choose another --host or --port`,
          { cause: err },
        );
      }
      throw err;
    });
    io.out(
      `orrery serve: listening on ${server.url} (${token === undefined ? 'no token: loopback only' : `bearer token from ${flags.tokenEnv}`}); config ${loaded.source}`,
    );
    if (remote.remote !== undefined) {
      io.out(
        `orrery serve: planets ${remote.remote.names.join(', ')} asked over ${remote.remote.where} (orrery planet NAME --nats URL workers)`,
      );
    }
    await untilAborted(io.signal);
    io.err('orrery serve: stopping (requests in flight finish first)');
    await server.close();
  } finally {
    await remote?.close();
    keys?.close();
    await gateway.close();
  }
}
