import { MyApiTokens } from './api-tokens.js';
import { PasswordForm, ProfileForm } from './account-profile.js';
import { TwoFactor } from './two-factor.js';

/** The logged-in user's own account: profile, password, two-factor, API tokens. */
export function Account() {
  return (
    <main>
      <header>
        <h1>Account</h1>
        <a href="#/">← Sessions</a>
      </header>
      <ProfileForm />
      <PasswordForm />
      <TwoFactor />
      <MyApiTokens />
    </main>
  );
}
