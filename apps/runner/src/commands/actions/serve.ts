import type { Command } from 'commander';
import { type LoadedConfig, loadConfig } from '../../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../../errors.ts';
import { gatewayDbPath, untilAborted } from '../../serve/open-gateway.ts';
import { builtinPlanetCatalog } from '../../serve/planet-catalog.ts';
import { connectRemotePlanets } from '../../serve/remote-planets.ts';
import { SERVE_LOG_LEVELS } from '../../serve/serve-defaults.ts';
import { openServeGateway } from '../../serve/session-gateway.ts';
import { startServe } from '../../serve/start.ts';
import { VirtualKeyStore } from '../../serve/virtual-keys.ts';
import type { CliIO } from '../io.ts';
import type { ServeFlags } from '../serve.ts';

/** Runs `orrery serve` (see its registration in ../serve.ts). */
export async function serve(flags: ServeFlags, cmd: Command, io: CliIO): Promise<void> {
  const token = checkFlags(flags, cmd, io);
  const loaded = loadConfig({ file: flags.config, env: io.env, cwd: io.cwd });
  const session = openServeGateway(loaded, flags, io.cwd);
  for (const w of session.gateway.warnings) io.err(`warning: ${w}`);
  const dbPath = gatewayDbPath(loaded, flags.gatewayDb, io.cwd);
  // Virtual keys live in the gateway's file; with `:memory:` there are none (the keys command cannot reach it).
  const keys = dbPath === ':memory:' ? undefined : new VirtualKeyStore(dbPath);
  let remote: RemotePlanets | undefined;
  try {
    remote = await connectRemotePlanets(loaded.config.agents);
    const server = await listen(flags, { token, loaded, session, keys, remote, io });
    announce(io, server.url, { flags, token, loaded, session, remote });
    await untilAborted(io.signal);
    io.err('orrery serve: stopping (requests in flight finish first)');
    await server.close();
  } finally {
    await remote?.close();
    keys?.close();
    await session.close();
  }
}

type RemotePlanets = Awaited<ReturnType<typeof connectRemotePlanets>>;

/** What the server is started with, besides the flags. */
interface ServeParts {
  token: string | undefined;
  loaded: LoadedConfig;
  session: ReturnType<typeof openServeGateway>;
  keys: VirtualKeyStore | undefined;
  remote: RemotePlanets;
  io: CliIO;
}

/**
 * Checks the flags that need no configuration: the log level, and a `--token-env` given on the command
 * line naming a variable that is set. Returns the bearer token (undefined: none).
 */
function checkFlags(flags: ServeFlags, cmd: Command, io: CliIO): string | undefined {
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
  return token;
}

/** Starts the server; an address that cannot be listened on is a usage error naming it. */
function listen(flags: ServeFlags, p: ServeParts): ReturnType<typeof startServe> {
  const { agents, run } = p.loaded.config;
  return startServe({
    host: flags.host,
    port: flags.port,
    token: p.token,
    tokenSource: flags.tokenEnv,
    gateway: p.session.gateway,
    planets: builtinPlanetCatalog(agents.planets.enabled, agents.planets.weights),
    moons: agents,
    remotePlanets: p.remote.remote,
    maxConcurrent: flags.maxConcurrent,
    bodyLimitBytes: flags.bodyLimit,
    log: p.io.err,
    logLevel: flags.logLevel,
    control: { ledgerPath: run.ledgerPath },
    keys: p.keys,
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
}

/** The lines saying where the server listens, how it is protected and where its planets are. */
function announce(
  io: CliIO,
  url: string,
  p: Pick<ServeParts, 'token' | 'loaded' | 'session' | 'remote'> & { flags: ServeFlags },
): void {
  const auth = p.token === undefined ? 'no token: loopback only' : `bearer token from ${p.flags.tokenEnv}`;
  io.out(`orrery serve: listening on ${url} (${auth}); config ${p.loaded.source}`);
  if (p.session.describe !== undefined) io.out(`orrery serve: ${p.session.describe}`);
  const remote = p.remote.remote;
  if (remote !== undefined) {
    io.out(
      `orrery serve: planets ${remote.names.join(', ')} asked over ${remote.where} (orrery planet NAME --nats URL workers)`,
    );
  }
}
