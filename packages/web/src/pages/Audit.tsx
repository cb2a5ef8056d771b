import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Button, Code, Group, Paper, SimpleGrid, Skeleton, Table, Text, TextInput } from '@mantine/core';
import { IconDownload, IconFilter } from '@tabler/icons-react';
import { api, getToken } from '../api.js';
import { AdminPage } from './admin-page.js';

interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  actor_user_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

interface AuditPage {
  entries: AuditEntry[];
  next_cursor: string | null;
}

const PAGE = 100;

/** The form's fields as GET /api/v1/audit parameters; the time inputs are local time, sent as RFC 3339. */
function filterParams(form: FormData): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of ['actor', 'action', 'target_type', 'target_id']) {
    const value = String(form.get(name) ?? '').trim();
    if (value) params.set(name, value);
  }
  for (const name of ['since', 'until']) {
    const value = String(form.get(name) ?? '');
    if (value) params.set(name, new Date(value).toISOString());
  }
  return params;
}

/**
 * Downloads an export. The token lives in browser storage, not a cookie, so a plain link would
 * arrive unauthenticated: fetch with the bearer header, then hand the blob to the browser.
 */
async function download(params: URLSearchParams, format: 'csv' | 'jsonl') {
  const query = new URLSearchParams(params);
  query.set('format', format);
  const response = await fetch(`/api/v1/audit?${query}`, { headers: { authorization: `Bearer ${getToken()}` } });
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
    throw new Error(body?.message ?? response.statusText);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? `audit.${format}`;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has handed the blob to the download; the URL is not needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

const target = (e: AuditEntry) => (e.target_id ? `${e.target_type} ${e.target_id}` : e.target_type);
const details = (e: AuditEntry) => (Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : '');

/** Admin: who did what, to what, from where. Filters, pages by cursor, exports CSV and JSON lines. */
export function Audit() {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [params, setParams] = useState(() => new URLSearchParams());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async (filters: URLSearchParams, after: string | null) => {
    setError(null);
    setBusy(true);
    try {
      const query = new URLSearchParams(filters);
      query.set('limit', String(PAGE));
      if (after) query.set('cursor', after);
      const page = await api<AuditPage>('GET', `/api/v1/audit?${query}`);
      setEntries((shown) => (after ? [...shown, ...page.entries] : page.entries));
      setCursor(page.next_cursor);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => void load(new URLSearchParams(), null), [load]);

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const filters = filterParams(new FormData(event.currentTarget));
    setParams(filters);
    void load(filters, null);
  };
  const exportAs = (format: 'csv' | 'jsonl') => {
    setError(null);
    download(params, format).catch((e: Error) => setError(e.message));
  };

  return (
    <AdminPage title="Audit log" description="Who did what, to what, from where." error={error}>
      <Paper withBorder p="md">
        <form onSubmit={apply} aria-label="Filter the audit log">
          <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="sm">
            <TextInput name="actor" label="Actor" description="username or user id" />
            <TextInput name="action" label="Action" description="e.g. auth.login; auth.* for a prefix" />
            <TextInput name="target_type" label="Target type" description="user, session, template, agent …" />
            <TextInput name="target_id" label="Target id" />
            <TextInput name="since" type="datetime-local" step={1} label="From" description="local time" />
            <TextInput name="until" type="datetime-local" step={1} label="To" description="local time" />
          </SimpleGrid>
          <Group mt="md" gap="sm">
            <Button type="submit" leftSection={<IconFilter size={16} aria-hidden />}>
              Apply filters
            </Button>
            <Button
              variant="default"
              leftSection={<IconDownload size={16} aria-hidden />}
              onClick={() => exportAs('csv')}
            >
              Export CSV
            </Button>
            <Button
              variant="default"
              leftSection={<IconDownload size={16} aria-hidden />}
              onClick={() => exportAs('jsonl')}
            >
              Export JSON lines
            </Button>
          </Group>
        </form>
      </Paper>
      {/* Focusable, so keyboard users can scroll the wide table sideways on a phone. */}
      <Table.ScrollContainer minWidth={900} type="native" tabIndex={0}>
        <Table striped verticalSpacing="xs" aria-label="Audit log" aria-busy={busy}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Time</Table.Th>
              <Table.Th>Actor</Table.Th>
              <Table.Th>Action</Table.Th>
              <Table.Th>Target</Table.Th>
              <Table.Th>Address</Table.Th>
              <Table.Th>Details</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((e) => (
              <Table.Tr key={e.id} data-action={e.action}>
                <Table.Td title={e.at}>{new Date(e.at).toLocaleString()}</Table.Td>
                <Table.Td title={e.actor_user_id ?? ''}>{e.actor}</Table.Td>
                <Table.Td>
                  <Code>{e.action}</Code>
                </Table.Td>
                <Table.Td>{target(e)}</Table.Td>
                <Table.Td>{e.ip ?? '–'}</Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>
                  <Code>{details(e)}</Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {busy && entries.length === 0 && <Skeleton height={120} />}
      {!busy && entries.length === 0 && <Text c="dimmed">No entries match.</Text>}
      {cursor && (
        <Group justify="center">
          <Button variant="default" loading={busy} onClick={() => void load(params, cursor)}>
            Load more
          </Button>
        </Group>
      )}
    </AdminPage>
  );
}
