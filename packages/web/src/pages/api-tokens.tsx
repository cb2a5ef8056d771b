import { useState, type FormEvent } from 'react';
import { Alert, Badge, Box, Button, Code, Group, NativeSelect, Table, Text, TextInput } from '@mantine/core';
import { api } from '../api.js';
import { AccountSection } from './account-section.js';
import { RevokeButton, TableHead } from '../ui/table-parts.js';
import { useAdminList } from './admin-page.js';
import { Notice } from './account-profile.js';

/** A personal API token as GET /api/v1/users/me/tokens and /api/v1/tokens list it (never the token). */
export interface ApiToken {
  id: string;
  name: string;
  hint: string;
  username: string;
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  last_used_from: string | null;
  revoked_by: string | null;
}

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');

/** Tokens in a table, each active one with a Revoke button. */
export function TokenTable({
  tokens,
  revoke,
  caption,
}: {
  tokens: ApiToken[];
  revoke: (token: ApiToken) => void;
  caption: string;
}) {
  if (tokens.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No API tokens.
      </Text>
    );
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table className="tokens" verticalSpacing="xs" captionSide="top">
        <Table.Caption>{caption}</Table.Caption>
        <TableHead columns={['Name', 'Token', 'Status', 'Expires', 'Last used']} />
        <Table.Tbody>
          {tokens.map((t) => (
            <Table.Tr key={t.id} data-token={t.name} data-status={t.status}>
              <Table.Td>{t.name}</Table.Td>
              <Table.Td>
                <Code>{t.hint}…</Code>
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={STATUS_COLOR[t.status]}>
                  {t.status === 'revoked' && t.revoked_by ? `revoked (${t.revoked_by})` : t.status}
                </Badge>
              </Table.Td>
              <Table.Td>{when(t.expires_at)}</Table.Td>
              <Table.Td>
                {t.last_used_at ? `${when(t.last_used_at)} from ${t.last_used_from ?? '?'}` : 'never'}
              </Table.Td>
              <Table.Td>
                <RevokeButton
                  active={t.status === 'active'}
                  onClick={() => revoke(t)}
                  label={`Revoke token ${t.name}`}
                />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

const STATUS_COLOR: Record<ApiToken['status'], string> = { active: 'green', expired: 'gray', revoked: 'red' };

const LIFETIMES = ['7d', '30d', '90d', '365d'];

/** The caller's own tokens: create one (shown once, with a copy button), list them, revoke. */
export function MyApiTokens() {
  const { items, error, run } = useAdminList<ApiToken>('/api/v1/users/me/tokens');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void run(async () => {
      const answer = await api<{ name: string; token: string }>('POST', '/api/v1/users/me/tokens', {
        name: data.get('name'),
        expires_in: data.get('expires_in'),
      });
      setCopied(false);
      setCreated(answer);
      form.reset();
    });
  };
  const copy = () => {
    if (!created) return;
    void navigator.clipboard.writeText(created.token).then(() => setCopied(true));
  };
  return (
    <AccountSection
      id="api-tokens"
      title="API tokens"
      description={
        <>
          For scripts and the <Code>streamspace</Code> command: send one as <Code>Authorization: Bearer</Code>, or store
          it with <Code>streamspace login --token</Code>.
        </>
      }
    >
      <Notice message={error ? { error: true, text: error } : null} />
      <form onSubmit={create}>
        <Group align="flex-end" wrap="wrap">
          <TextInput name="name" label="Token name" required maxLength={100} placeholder="what it is for" miw={200} />
          <NativeSelect
            name="expires_in"
            label="Expires in"
            defaultValue="90d"
            data={LIFETIMES.map((l) => ({ value: l, label: `expires in ${l}` }))}
          />
          <Button type="submit">Create token</Button>
        </Group>
      </form>
      {created && (
        <Alert role="status" color="green" variant="light" className="new-token" my="md">
          <Text size="sm">
            Token <strong>{created.name}</strong> created. Copy it now: it is not shown again.
          </Text>
          <Group mt="xs" align="flex-end" wrap="nowrap">
            <TextInput
              readOnly
              value={created.token}
              aria-label="New API token"
              onFocus={(e) => e.currentTarget.select()}
              ff="monospace"
              style={{ flex: 1 }}
            />
            <Button variant="light" onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
            <Button variant="default" onClick={() => setCreated(null)}>
              Done
            </Button>
          </Group>
        </Alert>
      )}
      <Box mt="md" />
      <TokenTable
        caption="Your API tokens"
        tokens={items}
        revoke={(t) => void run(() => api('DELETE', `/api/v1/users/me/tokens/${t.id}`))}
      />
    </AccountSection>
  );
}

/** Admin: one user's tokens, each revocable. */
export function UserApiTokens({ userId, username }: { userId: string; username: string }) {
  const { items, error, run } = useAdminList<ApiToken>(`/api/v1/tokens?user_id=${encodeURIComponent(userId)}`);
  return (
    <div>
      <Notice message={error ? { error: true, text: error } : null} />
      <TokenTable
        caption={`API tokens of ${username}`}
        tokens={items}
        revoke={(t) => void run(() => api('DELETE', `/api/v1/tokens/${t.id}`))}
      />
    </div>
  );
}
