import { useEffect, useState } from 'react';
import { Alert, Stack } from '@mantine/core';
import { api } from '../api.js';
import { PageHeader } from '../ui/page-header.js';
import { MyApiTokens } from './api-tokens.js';
import { PasswordForm, ProfileForm } from './account-profile.js';
import { TwoFactor } from './two-factor.js';

/** The logged-in user's own account: profile, password, two-factor, API tokens. A single sign-on
 * user has no password here, and proves a second factor to their identity provider. */
export function Account() {
  const [singleSignOn, setSingleSignOn] = useState<boolean | null>(null);
  useEffect(() => {
    api<{ single_sign_on: boolean }>('GET', '/api/v1/users/me').then(
      (me) => setSingleSignOn(me.single_sign_on),
      () => setSingleSignOn(false),
    );
  }, []);
  return (
    <Stack maw={860} gap="lg">
      <PageHeader title="Account" description="Your profile, sign-in and API tokens." />
      <ProfileForm />
      {singleSignOn === true && (
        <Alert role="note" variant="light" color="blue">
          You sign in with single sign-on: your password and two-factor authentication are managed by your identity
          provider.
        </Alert>
      )}
      {singleSignOn === false && (
        <>
          <PasswordForm />
          <TwoFactor />
        </>
      )}
      <MyApiTokens />
    </Stack>
  );
}
