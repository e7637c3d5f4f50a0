export { freePort, tempDir } from './net.ts';
