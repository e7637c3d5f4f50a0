import { createWriteStream } from 'node:fs';
import type { Redactor } from './redact.ts';
import { type AuditSources, auditTrail } from './trail.ts';

/** What an export wrote. */
export interface AuditExportSummary {
  lines: number;
  decisions: number;
  /** Lines about bars the operator decided or held. */
  operator: number;
  llmCalls: number;
  orders: number;
  fills: number;
}

/**
 * Writes the audit trail of `runId` (see `auditTrail`) as JSONL through `write`, every line redacted.
 * @returns counts of what was written.
 */
export function writeAudit(
  src: AuditSources,
  runId: string,
  redact: Redactor,
  write: (line: string) => void,
): AuditExportSummary {
  const s: AuditExportSummary = { lines: 0, decisions: 0, operator: 0, llmCalls: 0, orders: 0, fills: 0 };
  for (const line of auditTrail(src, runId)) {
    s.lines += 1;
    if (line.type === 'decision') s.decisions += 1;
    if (line.type === 'operator') s.operator += 1;
    const orders = (line.orders as { fill: unknown }[] | undefined) ?? [];
    s.orders += orders.length;
    s.fills += orders.filter((o) => o.fill !== null).length;
    s.llmCalls += ((line.llm as unknown[] | undefined) ?? []).length + (line.type === 'llm_call' ? 1 : 0);
    write(`${JSON.stringify(redact.value(line))}\n`);
  }
  return s;
}

/** {@link writeAudit} into a file (created or replaced). Resolves once it is flushed. */
export async function exportAuditFile(
  src: AuditSources,
  runId: string,
  redact: Redactor,
  path: string,
): Promise<AuditExportSummary> {
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
  });
  const summary = writeAudit(src, runId, redact, (line) => out.write(line));
  out.end();
  await done;
  return summary;
}
