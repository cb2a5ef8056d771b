import { useState, type FormEvent } from 'react';
import {
  Badge,
  Button,
  Card,
  Group,
  NumberInput,
  Paper,
  PasswordInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconUserPlus } from '@tabler/icons-react';
import { api } from '../api.js';
import { AdminPage, useAdminList } from './admin-page.js';
import { UserApiTokens } from './api-tokens.js';
import { useConfirm } from './confirm-action.js';

interface User {
  id: string;
  username: string;
  role: 'admin' | 'user';
  disabled: boolean;
  /** Sessions this user may hold; null: the server's USER_MAX_SESSIONS. */
  max_sessions: number | null;
  /** Two-factor (TOTP) is on. */
  mfa_enabled?: boolean;
  /** API tokens that still work. */
  active_api_tokens?: number;
}

type Run = (action?: () => Promise<unknown>) => Promise<unknown>;
type Ask = ReturnType<typeof useConfirm>['ask'];

/** Admin: users, their roles, access, session quota, two-factor and API tokens. */
export function Users() {
  const { items: users, error, run } = useAdminList<User>('/api/v1/users');
  const { ask, dialog } = useConfirm();
  const [tokensOf, setTokensOf] = useState<string | null>(null);
  // Read on the first render (not in an effect) so a phone never flashes the table first.
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const actions = { run, ask, tokensOf, setTokensOf };
  return (
    <AdminPage title="Users" description="Roles, access, session quotas, two-factor and API tokens." error={error}>
      {dialog}
      <NewUserForm run={run} />
      {phone ? (
        <Stack gap="sm">
          {users.map((u) => (
            <Card key={u.id} withBorder data-user={u.username}>
              <Group justify="space-between" mb="xs">
                <Text fw={600}>{u.username}</Text>
                <UserBadges user={u} />
              </Group>
              <UserControls user={u} {...actions} />
              {tokensOf === u.id && <UserApiTokens userId={u.id} username={u.username} />}
            </Card>
          ))}
        </Stack>
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table verticalSpacing="sm" aria-label="Users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User</Table.Th>
                <Table.Th>Role, access, two-factor, tokens</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.flatMap((u) => [
                <Table.Tr key={u.id} data-user={u.username}>
                  <Table.Td fw={600}>{u.username}</Table.Td>
                  <Table.Td>
                    <UserBadges user={u} />
                  </Table.Td>
                  <Table.Td>
                    <UserControls user={u} {...actions} />
                  </Table.Td>
                </Table.Tr>,
                ...(tokensOf === u.id
                  ? [
                      <Table.Tr key={`${u.id}-tokens`}>
                        <Table.Td colSpan={3}>
                          <UserApiTokens userId={u.id} username={u.username} />
                        </Table.Td>
                      </Table.Tr>,
                    ]
                  : []),
              ])}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </AdminPage>
  );
}

function UserBadges({ user: u }: { user: User }) {
  const tokens = u.active_api_tokens ?? 0;
  return (
    <Group gap={6}>
      <Badge variant="dot" color={u.role === 'admin' ? 'grape' : 'gray'} radius="sm">
        {u.role}
      </Badge>
      <Badge variant="dot" color={u.disabled ? 'red' : 'green'} radius="sm">
        {u.disabled ? 'disabled' : 'active'}
      </Badge>
      <Badge variant="dot" color={u.mfa_enabled ? 'teal' : 'gray'} radius="sm">
        {u.mfa_enabled ? 'two-factor on' : 'no two-factor'}
      </Badge>
      <Badge variant="dot" color="gray" radius="sm">
        {tokens} API token{tokens === 1 ? '' : 's'}
      </Badge>
    </Group>
  );
}

function UserControls({
  user: u,
  run,
  ask,
  tokensOf,
  setTokensOf,
}: {
  user: User;
  run: Run;
  ask: Ask;
  tokensOf: string | null;
  setTokensOf: (id: string | null) => void;
}) {
  const patch = (body: Record<string, unknown>) => run(() => api('PATCH', `/api/v1/users/${u.id}`, body));
  const changeRole = async (role: string | null) => {
    if (!role || role === u.role) return;
    const demote = role === 'user';
    if (
      await ask(
        demote ? `Make ${u.username} a user?` : `Make ${u.username} an admin?`,
        demote
          ? `${u.username} loses the admin pages and is logged out everywhere.`
          : `${u.username} can then manage users, templates, agents and every session.`,
        demote ? 'Make user' : 'Make admin',
      )
    )
      await patch({ role });
  };
  const toggleDisabled = async () => {
    if (u.disabled) return void patch({ disabled: false });
    if (
      await ask(
        `Disable ${u.username}?`,
        `${u.username} is logged out everywhere, their API tokens stop working and they cannot log in until enabled again.`,
        'Disable',
      )
    )
      await patch({ disabled: true });
  };
  const resetMfa = async () => {
    if (
      await ask(
        `Reset two-factor of ${u.username}?`,
        `Their authenticator and recovery codes stop working and they are logged out everywhere; they set two-factor up again at their next login.`,
        'Reset two-factor',
      )
    )
      await run(() => api('DELETE', `/api/v1/users/${u.id}/mfa`));
  };
  const setQuota = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const raw = String(new FormData(event.currentTarget).get('max_sessions') ?? '').trim();
    void patch({ max_sessions: raw === '' ? null : Number(raw) });
  };
  return (
    <Group gap="xs" align="flex-end" wrap="wrap">
      <Select
        label="Role"
        aria-label={`Role of ${u.username}`}
        size="xs"
        w={100}
        data={['user', 'admin']}
        value={u.role}
        allowDeselect={false}
        onChange={(role) => void changeRole(role)}
      />
      <form onSubmit={setQuota}>
        <Group gap={4} align="flex-end" wrap="nowrap">
          <NumberInput
            name="max_sessions"
            label="Session limit"
            aria-label={`Session limit of ${u.username}`}
            placeholder="default"
            size="xs"
            w={110}
            min={0}
            max={10_000}
            allowDecimal={false}
            defaultValue={u.max_sessions ?? ''}
          />
          <Button type="submit" size="xs" variant="default">
            Set limit
          </Button>
        </Group>
      </form>
      <Button
        size="xs"
        variant="light"
        color={u.disabled ? 'green' : 'red'}
        aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.username}`}
        onClick={() => void toggleDisabled()}
      >
        {u.disabled ? 'Enable' : 'Disable'}
      </Button>
      <Button
        size="xs"
        variant="default"
        aria-expanded={tokensOf === u.id}
        aria-label={`API tokens of ${u.username}`}
        onClick={() => setTokensOf(tokensOf === u.id ? null : u.id)}
      >
        Tokens
      </Button>
      {u.mfa_enabled && (
        <Button
          size="xs"
          variant="light"
          color="orange"
          aria-label={`Reset two-factor of ${u.username}`}
          onClick={() => void resetMfa()}
        >
          Reset two-factor
        </Button>
      )}
    </Group>
  );
}

function NewUserForm({ run }: { run: Run }) {
  const [role, setRole] = useState<string | null>('user');
  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    void run(async () => {
      await api('POST', '/api/v1/users', { username: data.get('username'), password: data.get('password'), role });
      form.reset();
    });
  };
  return (
    <Paper withBorder p="md">
      <Title order={2} size="h5" mb="xs">
        Add a user
      </Title>
      <form onSubmit={create} aria-label="Add a user">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput name="username" label="Username" aria-label="New username" required />
          <PasswordInput
            name="password"
            label="Password"
            aria-label="New password"
            description="8 characters or more"
            required
            minLength={8}
          />
          <Select label="Role" data={['user', 'admin']} value={role} onChange={setRole} allowDeselect={false} w={110} />
          <Button type="submit" leftSection={<IconUserPlus size={16} aria-hidden />}>
            Add user
          </Button>
        </Group>
      </form>
    </Paper>
  );
}
