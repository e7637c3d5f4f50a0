// A process that owns an embedded Chroma server and then just lives; the orphan test SIGKILLs it.
import { ChromaServer } from '../../src/index.ts';

const server = await ChromaServer.start({ dataDir: process.argv[2]!, startTimeoutMs: 60_000 });
process.stdout.write(`${JSON.stringify({ pid: server.pid, url: server.url })}\n`);
setInterval(() => undefined, 60_000);
