import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_CONCURRENT, type ServeLogLevel } from '../serve/app.ts';
import { gatewayDbPath, openGateway, untilAborted } from '../serve/open-gateway.ts';
import { builtinPlanetCatalog } from '../serve/planet-catalog.ts';
import { connectRemotePlanets } from '../serve/remote-planets.ts';
import { startServe } from '../serve/start.ts';
import { VirtualKeyStore } from '../serve/virtual-keys.ts';
import type { CliIO } from './io.ts';

interface ServeFlags {
  host: string;
  port: number;
  config?: string;
  tokenEnv: string;
  gatewayDb?: string;
  maxConcurrent: number;
  bodyLimit: number;
  logLevel: ServeLogLevel;
  requireKey?: boolean;
  allowHost: string[];
}

const LOG_LEVELS: readonly ServeLogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** Parses an integer flag in [min, max] for commander. */
export function intFlag(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `must be an integer >= ${min}`
          : `must be an integer from ${min} to ${max}`,
      );
    return n;
  };
}

/** Registers `orrery serve`: the gateway and the planets over HTTP. */
export function registerServeCommand(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description(
      'serve the LLM gateway and the planets over HTTP: POST /execute, /chains, /planets/:name/analyze, the OpenAI-compatible /v1/chat/completions and /v1/models, the Anthropic-compatible /v1/messages, GET /healthz, /metrics',
    )
    .option('--host <host>', 'interface to bind; anything but loopback requires a bearer token', '127.0.0.1')
    .option('--port <port>', 'TCP port (0: any free port)', intFlag(0, 65535), 9999)
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--token-env <name>', 'environment variable holding the bearer token', 'ORRERY_TOKEN')
    .option('--gateway-db <file>', 'gateway SQLite file (default: run.gatewayDbPath; :memory: for none)')
    .option(
      '--max-concurrent <n>',
      'execute/analyze requests served at once; more get 429',
      intFlag(1),
      DEFAULT_MAX_CONCURRENT,
    )
    .option('--body-limit <bytes>', 'largest request body; larger get 413', intFlag(1), DEFAULT_BODY_LIMIT)
    .option('--log-level <level>', `JSON log on stderr: ${LOG_LEVELS.join(' | ')}`, 'info')
    .option('--require-key', 'the /v1 routes need a virtual key (orrery keys create), even without a token')
    .option(
      '--allow-host <name>',
      'without a token, also answer requests whose Host/Origin is this name (repeatable); default: localhost, 127.0.0.0/8, ::1',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .action(async (flags: ServeFlags, cmd: Command) => {
      if (!LOG_LEVELS.includes(flags.logLevel)) {
        throw new RunnerError(RunnerErrorCode.USAGE, `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
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
    });
}
