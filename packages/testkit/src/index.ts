export {
  echoResponder,
  type LlmRecordedRequest,
  type LlmReply,
  type LlmResponder,
  type LlmServer,
  type LlmServerOptions,
  type LlmWire,
  startLlmServer,
} from './llm-server.ts';
export { freePort, tempDir } from './net.ts';
