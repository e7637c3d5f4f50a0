// Runs the `chroma` CLI (which blocks its thread inside native code) in a worker thread, so that this
// process's main thread stays free to notice that its owner is gone and exit, taking the server with it.
// Usage: node chroma-launcher.mjs <cli.mjs path> <owner pid> run --path DIR --port P --host 127.0.0.1
// The owner keeps our stdin open: end of stdin, SIGTERM/SIGINT/SIGHUP, a new parent pid or a vanished
// owner pid all end the process (and the server's threads) at once.
// process.exit() would wait forever for the worker, which never returns from native code, so the process
// ends itself with SIGKILL; Chroma's own write-ahead log makes that safe for data it acknowledged.
import { Worker } from 'node:worker_threads';

const [cliPath, ownerPidText, ...cliArgs] = process.argv.slice(2);
const ownerPid = Number(ownerPidText);
const parentAtStart = process.ppid;

if (!cliPath || !Number.isInteger(ownerPid)) {
  console.error('usage: chroma-launcher.mjs <cli.mjs> <owner pid> run [options]');
  process.exit(2);
}

const bye = () => {
  process.kill(process.pid, 'SIGKILL');
};

function ownerGone() {
  if (process.ppid !== parentAtStart) return true;
  try {
    process.kill(ownerPid, 0);
    return false;
  } catch (err) {
    return err.code === 'ESRCH';
  }
}

process.on('SIGTERM', () => bye());
process.on('SIGINT', () => bye());
process.on('SIGHUP', () => bye());
process.stdin.on('end', () => bye());
process.stdin.on('close', () => bye());
process.stdin.on('error', () => bye());
process.stdin.resume();
setInterval(() => {
  if (ownerGone()) bye();
}, 250);

const worker = new Worker(cliPath, { argv: cliArgs, stdout: false, stderr: false });
worker.on('error', (err) => {
  console.error(`chroma failed: ${err?.stack ?? err}`);
  bye();
});
worker.on('exit', (code) => {
  console.error(`chroma stopped (worker exit code ${code})`);
  bye();
});
