import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_HNSW, type HnswSettings } from './chroma-index.ts';
import { MemoryConfigError } from './errors.ts';
import { MAX_DIMENSION } from './schemas.ts';
import { DEFAULT_SHORT_TERM_SIZE } from './short-term.ts';

/** Chroma's rule for collection names. */
const COLLECTION_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]$/;

/**
 * Where the similarity index lives: `embedded` starts the `chroma` CLI from the chromadb package on a
 * loopback port with `dataDir` (the default, under the database's folder); `external` uses a running
 * server at `url`; `off` keeps memory in SQLite only (recall finds nothing).
 */
export const chromaConfigSchema = z
  .discriminatedUnion('mode', [
    z.strictObject({
      mode: z
        .literal('embedded')
        .describe('`embedded`: start the `chroma` CLI of the chromadb package on a loopback port.'),
      dataDir: z
        .string()
        .min(1)
        .describe("Folder of its data. Default (when `chroma` is left out): `<dbPath's folder>/chroma`."),
      port: z
        .number()
        .int()
        .min(1)
        .max(65535)
        .optional()
        .describe('Loopback port to listen on. Default: a free one.'),
      startTimeoutMs: z
        .number()
        .int()
        .positive()
        .default(60_000)
        .describe("How long to wait for the server's first heartbeat, ms. Default 60000."),
      maxRestarts: z
        .number()
        .int()
        .min(0)
        .max(100)
        .default(5)
        .describe(
          'Times the server is restarted after it dies (then memory stays degraded, SQLite only), 0..100. Default 5.',
        ),
    }),
    z.strictObject({
      mode: z.literal('external').describe('`external`: use a running Chroma server.'),
      url: z.url({ protocol: /^https?$/ }).describe('http(s) URL of the server. Required.'),
    }),
    z.strictObject({
      mode: z.literal('off').describe('`off`: memory in SQLite only (recall finds nothing).'),
    }),
  ])
  .describe(
    "Where the similarity index lives: `embedded` (default, under the database's folder), `external` (a running server at `url`) or `off` (SQLite only; recall finds nothing).",
  );

/** Where the similarity index lives. */
export type ChromaConfig = z.output<typeof chromaConfigSchema>;

/**
 * Episodic memory's configuration, as the runner reads it from YAML. Times are in ms.
 * - `dbPath`: the SQLite file (the source of truth; `:memory:` for a throwaway one).
 * - `chroma`: defaults to embedded with `dataDir` = `<dbPath's folder>/chroma`.
 * - `dimension`: situation vectors' length; when absent it is fixed by the first episode stored.
 * - `indexRetryMs`: after Chroma fails, how long before an operation tries it again.
 * - `indexTimeoutMs`: longest wait for any one Chroma request.
 * - `hnsw`: the index graph's settings (see {@link HnswSettings}); construction settings take effect when
 *   the collection is created, so change them with a `rebuildIndex()`.
 */
export const memoryConfigSchema = z
  .strictObject({
    dbPath: z
      .string()
      .min(1)
      .describe(
        'The SQLite file of the episodes (the source of truth; `:memory:` for a throwaway one). Required.',
      ),
    shortTermSize: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(DEFAULT_SHORT_TERM_SIZE)
      .describe(
        `Recent decisions kept in short-term memory (1..1000000). Default ${DEFAULT_SHORT_TERM_SIZE}.`,
      ),
    chroma: chromaConfigSchema.optional(),
    collection: z
      .string()
      .regex(
        COLLECTION_NAME,
        '3-512 characters of [a-zA-Z0-9._-], starting and ending with a letter or digit',
      )
      .default('orrery_episodes')
      .describe(
        'Name of the Chroma collection (3-512 characters of [a-zA-Z0-9._-]). Default `orrery_episodes`.',
      ),
    dimension: z
      .number()
      .int()
      .min(1)
      .max(MAX_DIMENSION)
      .optional()
      .describe(
        `Length of the situation vectors (1..${MAX_DIMENSION}). Default: fixed by the first episode stored.`,
      ),
    indexRetryMs: z
      .number()
      .int()
      .nonnegative()
      .default(5_000)
      .describe('After Chroma fails, how long before an operation tries it again, ms. Default 5000.'),
    indexTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Longest wait for any one Chroma request, ms. Default 10000.'),
    hnsw: z
      .strictObject({
        efConstruction: z
          .number()
          .int()
          .min(10)
          .max(2000)
          .default(DEFAULT_HNSW.efConstruction)
          .describe(
            `Candidates considered when inserting (graph quality; fixed at creation), 10..2000. Default ${DEFAULT_HNSW.efConstruction}.`,
          ),
        efSearch: z
          .number()
          .int()
          .min(10)
          .max(2000)
          .default(DEFAULT_HNSW.efSearch)
          .describe(
            `Candidates considered per query (recall vs. speed), 10..2000. Default ${DEFAULT_HNSW.efSearch}.`,
          ),
        maxNeighbors: z
          .number()
          .int()
          .min(4)
          .max(128)
          .default(DEFAULT_HNSW.maxNeighbors)
          .describe(
            `Links per node of the graph (fixed at creation), 4..128. Default ${DEFAULT_HNSW.maxNeighbors}.`,
          ),
      })
      .default(DEFAULT_HNSW)
      .describe(
        `The index graph (HNSW). Construction settings take effect when the collection is created: change them with a \`rebuildIndex()\`. Default: efConstruction ${DEFAULT_HNSW.efConstruction}, efSearch ${DEFAULT_HNSW.efSearch}, maxNeighbors ${DEFAULT_HNSW.maxNeighbors}.`,
      ),
  })
  .transform((c) => ({
    ...c,
    chroma:
      c.chroma ??
      ({
        mode: 'embedded',
        dataDir: join(dirname(c.dbPath), 'chroma'),
        startTimeoutMs: 60_000,
        maxRestarts: 5,
      } as ChromaConfig),
  }));

/** Episodic memory's configuration, as written (defaults optional). */
export type MemoryConfigInput = z.input<typeof memoryConfigSchema>;
/** Episodic memory's configuration with defaults applied. */
export type MemoryConfig = z.output<typeof memoryConfigSchema>;

/**
 * Validates a memory configuration and applies defaults.
 * @throws MemoryConfigError listing every problem as `path: reason`.
 */
export function parseMemoryConfig(input: unknown): MemoryConfig {
  const res = memoryConfigSchema.safeParse(input);
  if (res.success) return res.data;
  throw new MemoryConfigError(
    res.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`),
    { cause: res.error },
  );
}
