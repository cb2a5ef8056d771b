import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { listAuditEntries, type AuditFilter, type AuditRow } from '../db/queries/audit.js';

/** Rows read from the database per query while exporting: memory stays at one batch, whatever the size. */
export const EXPORT_BATCH = 500;

export const CSV_COLUMNS = [
  'id',
  'at',
  'actor',
  'actor_user_id',
  'action',
  'target_type',
  'target_id',
  'ip',
  'details',
] as const;

/**
 * One CSV cell (RFC 4180). A cell a spreadsheet would run as a formula (starting with = + - @, or a
 * tab or carriage return that hides one) gets a leading apostrophe: a username or a login's reason
 * is attacker-chosen text, and opening the export must not execute it (OWASP "CSV injection").
 */
export function csvCell(value: string | null): string {
  if (value === null || value === '') return '';
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${guarded.replaceAll('"', '""')}"`;
}

export function csvLine(row: AuditRow): string {
  const cells = CSV_COLUMNS.map((column) => csvCell(column === 'details' ? JSON.stringify(row.details) : row[column]));
  return `${cells.join(',')}\r\n`;
}

export const jsonLine = (row: AuditRow): string => `${JSON.stringify(row)}\n`;

/**
 * Every entry matching `filter`, newest first, as CSV (with a header line) or JSON lines, read in
 * keyset batches as the client consumes them (backpressure: a slow download does not pile rows up
 * in memory). The first batch is read before returning, so an unreachable database is an error
 * response rather than a download that breaks off.
 */
export async function auditExport(
  db: Kysely<Schema>,
  filter: AuditFilter,
  format: 'csv' | 'jsonl',
  batchSize = EXPORT_BATCH,
): Promise<Readable> {
  const first = await listAuditEntries(db, filter, { limit: batchSize });
  const line = format === 'csv' ? csvLine : jsonLine;
  async function* lines() {
    if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
    let batch = first;
    while (batch.length > 0) {
      yield batch.map(line).join('');
      if (batch.length < batchSize) return;
      const last = batch[batch.length - 1]!;
      batch = await listAuditEntries(db, filter, { after: { at: last.at, id: last.id }, limit: batchSize });
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
