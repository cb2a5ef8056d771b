import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Group, Modal, NativeSelect, Stack, Table, Text, TextInput } from '@mantine/core';
import { api } from '../api.js';
import { RevokeButton, TableHead } from '../ui/table-parts.js';

interface Share {
  id: string;
  mode: 'view' | 'control';
  username: string | null;
  created_by: string | null;
  expires_at: string;
  status: 'active' | 'expired' | 'revoked';
  viewers: Array<{ user_id: string; username: string; mode: string; connected_at: string }>;
}

/** Expiry choices (the server caps them at SHARE_MAX_LIFETIME and says so). */
const EXPIRIES = [
  { value: '30m', label: '30 minutes' },
  { value: '1h', label: '1 hour' },
  { value: '8h', label: '8 hours' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
];
const MODES = [
  { value: 'view', label: 'View only' },
  { value: 'control', label: 'Control (keyboard and mouse)' },
];

/**
 * Sharing a session: make a link (view only or control, an expiry, optionally for one user) and copy
 * it; below, the session's shares with who is watching through each now, and a revoke button.
 */
export function ShareDialog({ sessionId, onClose }: { sessionId: string; onClose: () => void }) {
  const [shares, setShares] = useState<Share[]>([]);
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const guard = useCallback(async (action: () => Promise<unknown>) => {
    try {
      setError(null);
      await action();
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  const refresh = useCallback(
    () => guard(async () => setShares(await api<Share[]>('GET', `/api/v1/sessions/${sessionId}/shares`))),
    [guard, sessionId],
  );
  useEffect(() => {
    void refresh();
    // Who is watching changes without us: look again every few seconds while the dialog is open.
    const timer = setInterval(() => void refresh(), 5000);
    return () => clearInterval(timer);
  }, [refresh]);

  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const username = String(form.get('username') ?? '').trim();
    void guard(async () => {
      const created = await api<{ url: string }>('POST', `/api/v1/sessions/${sessionId}/shares`, {
        mode: form.get('mode'),
        expires_in: form.get('expires_in'),
        ...(username ? { username } : {}),
      });
      setLink(created.url);
      setCopied(false);
      await refresh();
    });
  };
  const copy = () =>
    void guard(async () => {
      await navigator.clipboard.writeText(link!);
      setCopied(true);
    });

  return (
    <Modal
      opened
      onClose={onClose}
      title="Share session"
      size="lg"
      className="share-dialog"
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <Stack>
        <Text size="sm" c="dimmed">
          Anyone signed in who opens the link sees this desktop; with control they also type and click in it.
        </Text>
        <form onSubmit={create}>
          <Stack gap="sm">
            <Group grow align="flex-end" wrap="wrap">
              <NativeSelect name="mode" label="Mode" defaultValue="view" data={MODES} miw={180} />
              <NativeSelect name="expires_in" label="Expires after" defaultValue="1h" data={EXPIRIES} miw={140} />
            </Group>
            <TextInput name="username" label="Only for user" placeholder="anyone signed in" autoComplete="off" />
            <Group justify="flex-end">
              <Button type="submit">Create link</Button>
            </Group>
          </Stack>
        </form>
        {link && (
          <Group align="flex-end" wrap="nowrap">
            <TextInput
              readOnly
              label="Share link"
              value={link}
              onFocus={(e) => e.currentTarget.select()}
              style={{ flex: 1 }}
            />
            <Button variant="light" onClick={copy}>
              {copied ? 'Copied' : 'Copy link'}
            </Button>
          </Group>
        )}
        {copied && (
          <Text size="sm" role="status">
            copied
          </Text>
        )}
        {error && (
          <Alert color="red" variant="light" className="error">
            {error}
          </Alert>
        )}
        {shares.length > 0 && (
          <Table.ScrollContainer minWidth={480}>
            <Table className="shares" aria-label="Shares" verticalSpacing="xs">
              <TableHead columns={['Mode', 'For', 'Until', 'Watching now']} />
              <Table.Tbody>
                {shares.map((s) => (
                  <Table.Tr key={s.id} data-share={s.id} data-status={s.status}>
                    <Table.Td>
                      <Badge variant="light" color={s.mode === 'view' ? 'gray' : 'orange'}>
                        {s.mode === 'view' ? 'view only' : 'control'}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{s.username ? `for ${s.username}` : 'anyone with the link'}</Table.Td>
                    <Table.Td>
                      {s.status === 'active' ? `until ${new Date(s.expires_at).toLocaleString()}` : s.status}
                    </Table.Td>
                    <Table.Td aria-label="Watching now">
                      {s.viewers.length === 0 ? 'nobody connected' : s.viewers.map((v) => v.username).join(', ')}
                    </Table.Td>
                    <Table.Td>
                      <RevokeButton
                        active={s.status === 'active'}
                        onClick={() =>
                          void guard(async () => {
                            await api('DELETE', `/api/v1/sessions/${sessionId}/shares/${s.id}`);
                            await refresh();
                          })
                        }
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Modal>
  );
}
