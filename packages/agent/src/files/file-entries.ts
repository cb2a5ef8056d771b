import type { FileEntry } from '@streamspace/protocol';

const TYPES: Record<string, FileEntry['type']> = { f: 'file', d: 'directory', l: 'symlink' };

/** find's `%y\t%s\t%T@\t%f\0` records as entries, directories first, then by name. */
export function parseEntries(output: string, limit: number): { entries: FileEntry[]; truncated: boolean } {
  const records = output.split('\0').filter((r) => r.length > 0);
  const entries: FileEntry[] = [];
  for (const record of records.slice(0, limit)) {
    const [type = '', size = '0', mtime = '0', ...name] = record.split('\t');
    entries.push({
      name: name.join('\t'),
      type: TYPES[type] ?? 'other',
      size: Math.max(0, Math.trunc(Number(size)) || 0),
      mtime: new Date(Math.trunc(Number(mtime) * 1000) || 0).toISOString(),
    });
  }
  entries.sort((a, b) =>
    a.type === 'directory' && b.type !== 'directory'
      ? -1
      : b.type === 'directory' && a.type !== 'directory'
        ? 1
        : a.name.localeCompare(b.name),
  );
  return { entries, truncated: records.length > limit };
}
