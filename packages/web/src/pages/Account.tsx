import { useEffect, useState } from 'react';
import { api } from '../api.js';
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
    <main>
      <header>
        <h1>Account</h1>
        <a href="#/">← Sessions</a>
      </header>
      <ProfileForm />
      {singleSignOn === true && (
        <p role="note">
          You sign in with single sign-on: your password and two-factor authentication are managed by your identity
          provider.
        </p>
      )}
      {singleSignOn === false && (
        <>
          <PasswordForm />
          <TwoFactor />
        </>
      )}
      <MyApiTokens />
    </main>
  );
}
