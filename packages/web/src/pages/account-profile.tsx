import { useEffect, useState, type FormEvent } from 'react';
import { Button, Group, PasswordInput, TextInput } from '@mantine/core';
import { api, setToken, type Me } from '../api.js';
import { SectionSkeleton } from '../ui/loading.js';
import { AccountSection, Notice, type Message } from './account-section.js';

export { Notice, type Message } from './account-section.js';

/** Display name and email (PATCH /api/v1/users/me). */
export function ProfileForm() {
  const [me, setMe] = useState<Me | null>(null);
  const [message, setMessage] = useState<Message>(null);
  useEffect(() => {
    api<Me>('GET', '/api/v1/users/me').then(setMe, (e: Error) => setMessage({ error: true, text: e.message }));
  }, []);
  const save = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    api<Me>('PATCH', '/api/v1/users/me', { display_name: form.get('display_name'), email: form.get('email') }).then(
      (updated) => {
        setMe(updated);
        setMessage({ error: false, text: 'Profile saved.' });
      },
      (e: Error) => setMessage({ error: true, text: e.message }),
    );
  };
  if (!me) return message ? <Notice message={message} /> : <SectionSkeleton />;
  return (
    <AccountSection id="profile" title={`Profile of ${me.username} (${me.role})`}>
      <Notice message={message} />
      <form onSubmit={save}>
        <Group align="flex-end" grow preventGrowOverflow={false} wrap="wrap">
          <TextInput
            name="display_name"
            label="Display name"
            maxLength={255}
            defaultValue={me.display_name ?? ''}
            miw={200}
          />
          <TextInput name="email" label="Email" type="email" maxLength={255} defaultValue={me.email ?? ''} miw={200} />
        </Group>
        <Group justify="flex-end" mt="md">
          <Button type="submit">Save profile</Button>
        </Group>
      </form>
    </AccountSection>
  );
}

/** The current password is required; the answer carries a new login token, every other login ends. */
export function PasswordForm() {
  const [message, setMessage] = useState<Message>(null);
  const change = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    api<{ token: string }>('POST', '/api/v1/users/me/password', {
      current_password: data.get('current_password'),
      new_password: data.get('password'),
    }).then(
      (answer) => {
        setToken(answer.token);
        form.reset();
        setMessage({ error: false, text: 'Password changed; other devices are logged out.' });
      },
      (e: Error) => setMessage({ error: true, text: e.message }),
    );
  };
  return (
    <AccountSection id="password" title="Password" description="Changing it logs you out everywhere else.">
      <Notice message={message} />
      <form onSubmit={change}>
        <Group align="flex-end" grow preventGrowOverflow={false} wrap="wrap">
          <PasswordInput
            name="current_password"
            label="Current password"
            required
            autoComplete="current-password"
            miw={200}
          />
          <PasswordInput
            name="password"
            label="New password"
            description="8 characters or more"
            required
            minLength={8}
            autoComplete="new-password"
            miw={200}
          />
        </Group>
        <Group justify="flex-end" mt="md">
          <Button type="submit">Change password</Button>
        </Group>
      </form>
    </AccountSection>
  );
}
