import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { forEachDatabase, PGLITE, sharedPostgres } from '../support/databases.js';
import { startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { freePort } from '../support/postgres-server.js';
import { launchChromium } from '../support/browser.js';
import { TestOidcProvider, type TestAccount } from '../support/oidc-provider.js';

// Single sign-on against a real OpenID provider (oidc-provider, with its development login form),
// driven through the UI in Chromium: click the button, sign in at the provider, land back signed in.

const CALLBACK = '/api/v1/auth/oidc/callback';
const BUTTON = 'Sign in with Test IdP';
const ADMIN_GROUP = 'streamspace-admins';
const ACCOUNTS: Record<string, TestAccount> = {
  alice: { name: 'Alice Example', groups: ['staff'] },
  root: { groups: ['staff', ADMIN_GROUP] },
  mallory: { groups: ['contractors'] },
  // Her provider calls her "admin": the bootstrap administrator's name.
  impostor: { username: 'admin', groups: ['staff'] },
  carol: { groups: ['staff'] },
  dave: { groups: ['staff'] },
};
const ports = { PGlite: 0, PostgreSQL: 0, replicaB: 0, wrongSecret: 0, down: 0, noProvider: 0, mfaRequired: 0 };
const urlOf = (port: number) => `http://127.0.0.1:${port}`;

let provider: TestOidcProvider;
let browser: Browser;

before(async () => {
  for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await freePort();
  provider = await TestOidcProvider.start({
    redirectUris: [ports.PGlite, ports.PostgreSQL, ports.replicaB, ports.wrongSecret, ports.mfaRequired].map(
      (port) => `${urlOf(port)}${CALLBACK}`,
    ),
    accounts: ACCOUNTS,
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await provider?.stop();
});

/** A control plane listening at `port`, its PUBLIC_URL that address (the redirect URI derives from it). */
const controlPlaneAt = (port: number, env: Record<string, string>, publicPort = port) =>
  PGLITE.fresh().then((fresh) =>
    startTestControlPlane(fresh, { env: { PORT: String(port), PUBLIC_URL: urlOf(publicPort), ...env } }),
  );

/** A fresh browser (no cookies, no provider session), on the control plane's login page. */
async function loginPage(url: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

/** The provider's development login form, then its consent page when it shows one. */
async function signInAtProvider(page: Page, login: string) {
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password will do');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  const consent = page.locator('input[name=prompt][value=consent]');
  await consent.or(page.locator('main')).first().waitFor({ state: 'attached' });
  if ((await consent.count()) > 0) await page.getByRole('button', { name: 'Continue' }).click();
}

/** Clicks the SSO button on the login page and signs in at the provider as `login`. */
async function signInWithSso(page: Page, login: string) {
  await page.getByRole('link', { name: BUTTON }).click();
  await signInAtProvider(page, login);
}

/** Waits for a signed-in page (home, or the one named by its heading), and asks the API who that is. */
async function signedInAs(page: Page, cp: TestControlPlane, heading?: string) {
  await (
    heading ? page.getByRole('heading', { name: heading }) : page.getByRole('button', { name: 'User menu' })
  ).waitFor();
  const token = await page.evaluate(() => sessionStorage.getItem('streamspace-token'));
  assert.ok(token, 'the UI holds a login token');
  const me = await cp.api('GET', '/api/v1/auth/me', { token });
  assert.equal(me.status, 200, JSON.stringify(me.body));
  return { me: me.body as { id: string; username: string; role: string; email: string }, token };
}

const alertOf = async (page: Page) => {
  const alert = page.getByRole('alert');
  await alert.waitFor();
  return (await alert.textContent()) ?? '';
};

const auditOf = (cp: TestControlPlane, action: string) =>
  cp.cp.database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

/** Plain HTTP, no redirects followed: the cookies a response sets, as one Cookie header. */
const setCookies = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ');
const get = (url: string, cookie = '') => fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
/** What the UI does on landing: redeem the result cookie. */
const exchange = async (cp: TestControlPlane, cookie: string) => {
  const response = await fetch(`${cp.url}/api/v1/auth/oidc/exchange`, { method: 'POST', headers: { cookie } });
  return { status: response.status, body: (await response.json()) as { message?: string; token?: string } };
};

forEachDatabase('single sign-on with OpenID Connect', (target) => {
  let cp: TestControlPlane;
  let port: number;
  before(async () => {
    port = ports[target.name];
    const fresh = await target.fresh();
    cp = await startTestControlPlane(fresh, {
      env: {
        PORT: String(port),
        PUBLIC_URL: urlOf(port),
        ...provider.env({
          OIDC_ADMIN_GROUPS: ADMIN_GROUP,
          OIDC_ALLOWED_GROUPS: `staff, ${ADMIN_GROUP}`,
          LOCAL_LOGIN: 'false',
        }),
      },
    });
    await cp.loginAsAdmin();
  });
  after(async () => {
    await cp?.stop();
  });

  test('click the button, sign in at the provider, and arrive back signed in; the account is made once', async () => {
    const page = await loginPage(cp.url);
    const providers = await cp.api('GET', '/api/v1/auth/providers', { token: null });
    assert.deepEqual(providers.body, {
      local: false,
      oidc: { label: BUTTON, login_url: '/api/v1/auth/oidc/login' },
    });
    await signInWithSso(page, 'alice');
    const { me, token } = await signedInAs(page, cp);
    assert.equal(me.username, 'alice');
    assert.equal(me.role, 'user');
    assert.equal(me.email, 'alice@example.test');
    // The token is a normal login token: the API works with it, and logout revokes it.
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token })).status, 200);
    // Nothing secret was ever in a URL the browser visited after the provider.
    assert.match(page.url(), /#\/$/);

    const created = await auditOf(cp, 'user.create');
    assert.equal(created.filter((row) => row.target_id === me.id).length, 1);
    assert.deepEqual(created.find((row) => row.target_id === me.id)!.details, {
      username: 'alice',
      role: 'user',
      method: 'oidc',
      issuer: provider.issuer,
    });
    const logins = (await auditOf(cp, 'auth.login')).filter((row) => row.actor_user_id === me.id);
    assert.deepEqual(logins[0]!.details, { method: 'oidc', issuer: provider.issuer });

    // A second sign-in finds the same account by (issuer, subject), and lands on the page asked for.
    const again = await loginPage(`${cp.url}/#/account`);
    await signInWithSso(again, 'alice');
    assert.equal((await signedInAs(again, cp, 'Account')).me.id, me.id);
    assert.match(again.url(), /#\/account$/);
    // No password here: the Account page says where it is managed, and the API refuses a change.
    await again.getByRole('note').filter({ hasText: 'managed by your identity provider' }).waitFor();
    assert.equal(await again.getByLabel('Current password').count(), 0);
    assert.equal((await cp.api('GET', '/api/v1/users/me', { token })).body.single_sign_on, true);
    const change = await cp.api('POST', '/api/v1/users/me/password', {
      token,
      body: { current_password: 'anything-at-all', new_password: 'a-new-password' },
    });
    assert.equal(change.status, 409);
    assert.match(change.body.message, /change its password at your identity provider/);
    assert.equal((await auditOf(cp, 'user.create')).filter((row) => row.target_id === me.id).length, 1);
    await page.context().close();
    await again.context().close();
  });

  test('members of OIDC_ADMIN_GROUPS are admins, and the role follows the groups at every sign-in', async () => {
    ACCOUNTS.root!.groups = ['staff', ADMIN_GROUP];
    const page = await loginPage(cp.url);
    await signInWithSso(page, 'root');
    assert.equal((await signedInAs(page, cp)).me.role, 'admin');
    await page.getByRole('link', { name: 'Users' }).waitFor();
    await page.context().close();

    ACCOUNTS.root!.groups = ['staff'];
    const later = await loginPage(cp.url);
    await signInWithSso(later, 'root');
    const { me } = await signedInAs(later, cp);
    assert.equal(me.role, 'user');
    const change = (await auditOf(cp, 'user.update')).find((row) => row.target_id === me.id);
    assert.deepEqual(change?.details, {
      fields: ['role'],
      role: 'user',
      previous_role: 'admin',
      source: 'oidc groups',
      issuer: provider.issuer,
    });
    await later.context().close();
  });

  test('someone outside OIDC_ALLOWED_GROUPS is refused with a message that says so, and gets no account', async () => {
    const page = await loginPage(cp.url);
    await signInWithSso(page, 'mallory');
    const message = await alertOf(page);
    assert.match(message, /not in a group allowed to use StreamSpace \(allowed: staff, streamspace-admins\)/);
    assert.match(message, /you are in contractors/);
    const users = (await cp.api('GET', '/api/v1/users')).body as Array<{ username: string }>;
    assert.ok(!users.some((u) => u.username === 'mallory'), 'no account for mallory');
    const failed = (await auditOf(cp, 'auth.login_failed')).find((row) => row.actor === 'mallory');
    assert.equal(failed?.details.reason, 'not in an allowed group');
    await page.context().close();
  });

  test('a user name that belongs to a local account is refused, never taken over', async () => {
    const page = await loginPage(cp.url);
    await signInWithSso(page, 'impostor');
    assert.match(await alertOf(page), /already has an account named "admin" that is not linked to your single sign-on/);
    // The bootstrap administrator is untouched and still logs in with the password.
    assert.equal((await cp.api('GET', '/api/v1/auth/me')).body.role, 'admin');
    await page.context().close();
  });

  test('a disabled single sign-on user is refused', async () => {
    const first = await loginPage(cp.url);
    await signInWithSso(first, 'dave');
    const { me } = await signedInAs(first, cp);
    await first.context().close();
    assert.equal((await cp.api('PATCH', `/api/v1/users/${me.id}`, { body: { disabled: true } })).status, 200);
    const page = await loginPage(cp.url);
    await signInWithSso(page, 'dave');
    assert.match(await alertOf(page), /This account is disabled; ask an administrator/);
    await page.context().close();
  });

  test('LOCAL_LOGIN=false: password login is refused except for the bootstrap administrator', async () => {
    await cp.api('POST', '/api/v1/users', { body: { username: 'bob', password: 'bob-password' } });
    const refused = await cp.api('POST', '/api/v1/auth/login', {
      body: { username: 'bob', password: 'bob-password' },
      token: null,
    });
    assert.equal(refused.status, 403);
    assert.match(
      refused.body.message,
      /Password login is turned off on this server \(LOCAL_LOGIN=false\); use “Sign in with Test IdP”/,
    );
    // The break-glass account still works.
    assert.equal(
      (
        await cp.api('POST', '/api/v1/auth/login', {
          body: { username: 'admin', password: 'admin-password-for-tests' },
          token: null,
        })
      ).status,
      200,
    );
    const failed = (await auditOf(cp, 'auth.login_failed')).find((row) => row.actor === 'bob');
    assert.equal(failed?.details.reason, 'password login disabled');

    // The page shows the button first; the password form is folded away as the break-glass login.
    const page = await loginPage(cp.url);
    await page.getByRole('link', { name: BUTTON }).waitFor();
    assert.equal(await page.locator('input[name=username]').isVisible(), false);
    await page.getByText('Administrator password login (break-glass)').click();
    assert.equal(await page.locator('input[name=username]').isVisible(), true);
    await page.context().close();
  });

  test('a forged state, a missing sign-in and a replayed answer are refused in words', async () => {
    // No sign-in started in this browser.
    const stray = await get(`${cp.url}${CALLBACK}?code=abc&state=xyz`);
    assert.equal(stray.status, 302);
    assert.equal(stray.headers.get('location'), `${urlOf(port)}/#/login?sso=1`);
    const noState = await exchange(cp, setCookies(stray));
    assert.equal(noState.status, 401);
    assert.match(noState.body.message!, /This browser has no single sign-on in progress/);

    // A sign-in started here, answered with another state.
    const started = await get(`${cp.url}/api/v1/auth/oidc/login`);
    assert.equal(started.status, 302);
    const authorize = new URL(started.headers.get('location')!);
    assert.equal(authorize.origin, provider.issuer);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorize.searchParams.get('redirect_uri'), `${urlOf(port)}${CALLBACK}`);
    assert.ok(authorize.searchParams.get('nonce'));
    const stateCookie = setCookies(started);
    const forged = await get(`${cp.url}${CALLBACK}?code=abc&state=forged-${Date.now()}`, stateCookie);
    const mismatch = await exchange(cp, setCookies(forged));
    assert.match(mismatch.body.message!, /does not belong to the sign-in this browser started \(state mismatch\)/);

    // An altered state cookie is as good as none.
    const tampered = await get(`${cp.url}${CALLBACK}?code=abc&state=x`, `${stateCookie.slice(0, -4)}AAAA`);
    assert.match((await exchange(cp, setCookies(tampered))).body.message!, /no single sign-on in progress/);

    // A real answer replayed with the state cookie it was made for: the provider refuses its code twice.
    const page = await loginPage(cp.url);
    const callbacks: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(`${urlOf(port)}${CALLBACK}`)) callbacks.push(request.url());
    });
    await page.getByRole('link', { name: BUTTON }).click();
    await page.locator('input[name=login]').waitFor();
    const inFlight = (await page.context().cookies(`${cp.url}${CALLBACK}`)).find(
      (c) => c.name === 'streamspace_oidc_state',
    );
    assert.ok(inFlight, 'the state cookie is set while the user is at the provider');
    await signInAtProvider(page, 'carol');
    await signedInAs(page, cp);
    const replayed = await get(callbacks[0]!, `${inFlight.name}=${inFlight.value}`);
    assert.match(
      (await exchange(cp, setCookies(replayed))).body.message!,
      /refused the sign-in code \(invalid_grant\)/,
    );
    // And the same answer again in the browser, whose state was used up: words on the login page.
    await page.goto(callbacks[0]!);
    assert.match(await alertOf(page), /no single sign-on in progress/);
    // A result cookie is good once.
    const reused = await exchange(cp, setCookies(replayed));
    assert.equal(reused.status, 401);
    await page.context().close();

    const reasons = (await auditOf(cp, 'auth.login_failed')).map((row) => row.details.reason);
    for (const reason of ['no sign-in in progress', 'state mismatch', 'invalid_grant'])
      assert.ok(reasons.includes(reason), reason);
  });
});

describe('single sign-on across two replicas on PostgreSQL', () => {
  let a: TestControlPlane;
  let b: TestControlPlane;
  before(async () => {
    const url = await (await sharedPostgres()).createDatabase('oidc');
    const fresh = { kind: 'postgres' as const, url, close: async () => undefined };
    // Behind one load balancer both have the same PUBLIC_URL (here: B's address).
    const env = { PUBLIC_URL: urlOf(ports.replicaB), ...provider.env() };
    a = await startTestControlPlane(fresh, { env: { ...env, REPLICA_ID: 'replica-a' } });
    b = await startTestControlPlane(fresh, { env: { ...env, PORT: String(ports.replicaB), REPLICA_ID: 'replica-b' } });
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  test('a sign-in started on one replica finishes on the other', async () => {
    const page = await loginPage(a.url);
    const served: string[] = [];
    page.on('request', (request) => served.push(request.url()));
    await signInWithSso(page, 'carol');
    const { me } = await signedInAs(page, b);
    assert.equal(me.username, 'carol');
    assert.ok(
      served.some((u) => u.startsWith(`${a.url}/api/v1/auth/oidc/login`)),
      'started on A',
    );
    assert.ok(
      served.some((u) => u.startsWith(`${b.url}${CALLBACK}`)),
      'finished on B',
    );
    assert.match(b.logs.text, /single sign-on succeeded/);
    assert.doesNotMatch(a.logs.text, /single sign-on succeeded/);

    // An account of single sign-on has no password to log in with.
    const password = await a.api('POST', '/api/v1/auth/login', {
      body: { username: 'carol', password: 'anything-at-all' },
      token: null,
    });
    assert.equal(password.status, 403);
    assert.match(
      password.body.message,
      /signs in through single sign-on and has no password; use “Sign in with Test IdP”/,
    );

    // Nor with one an administrator set: the account belongs to the provider.
    await a.loginAsAdmin();
    assert.equal((await a.api('PATCH', `/api/v1/users/${me.id}`, { body: { password: 'set-by-admin' } })).status, 200);
    const set = await a.api('POST', '/api/v1/auth/login', {
      body: { username: 'carol', password: 'set-by-admin' },
      token: null,
    });
    assert.equal(set.status, 403);

    // Without OIDC_ADMIN_GROUPS the groups decide no role: a promotion by hand survives the next sign-in.
    assert.equal((await a.api('PATCH', `/api/v1/users/${me.id}`, { body: { role: 'admin' } })).status, 200);
    const again = await loginPage(b.url);
    await signInWithSso(again, 'carol');
    assert.equal((await signedInAs(again, b)).me.role, 'admin');
    await again.context().close();
    await page.context().close();
  });
});

test('MFA_REQUIRED=all: single sign-on users meet it at their provider; password users must enroll TOTP here', async () => {
  const cp = await controlPlaneAt(ports.mfaRequired, { ...provider.env(), MFA_REQUIRED: 'all' });
  try {
    const page = await loginPage(cp.url);
    await signInWithSso(page, 'dave');
    const { token } = await signedInAs(page, cp);
    assert.equal((await cp.api('GET', '/api/v1/sessions', { token })).status, 200);
    await page.context().close();
    // The bootstrap administrator logs in with a password and reaches only the enrollment routes.
    await cp.loginAsAdmin();
    const refused = await cp.api('GET', '/api/v1/sessions');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'mfa_enrollment_required');
  } finally {
    await cp.stop();
  }
});

describe('provider errors reach the login page in words', () => {
  test('cancelled at the provider (access_denied), and a wrong client secret (invalid_client)', async () => {
    const cp = await controlPlaneAt(ports.wrongSecret, provider.env({ OIDC_CLIENT_SECRET: 'not-the-secret' }));
    try {
      const page = await loginPage(cp.url);
      await page.getByRole('link', { name: BUTTON }).click();
      await page.getByRole('link', { name: '[ Cancel ]' }).click();
      assert.match(await alertOf(page), /Sign-in was cancelled or refused at the identity provider \(access_denied/);

      await page.goto(cp.url);
      await signInWithSso(page, 'alice');
      const message = await alertOf(page);
      assert.match(message, /did not accept StreamSpace’s client credentials \(invalid_client\)/);
      assert.doesNotMatch(cp.logs.text, /not-the-secret/);
      await page.context().close();
    } finally {
      await cp.stop();
    }
  });

  test('the provider down at discovery', async () => {
    const cp = await controlPlaneAt(ports.noProvider, {
      ...provider.env(),
      OIDC_ISSUER_URL: `http://127.0.0.1:${await freePort()}`,
    });
    try {
      const page = await loginPage(cp.url);
      await page.getByRole('link', { name: BUTTON }).click();
      assert.match(
        await alertOf(page),
        /The identity provider at http:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\)/,
      );
      assert.match(cp.logs.text, /single sign-on failed: provider unreachable \(discovery: ECONNREFUSED\)/);
      await page.context().close();
    } finally {
      await cp.stop();
    }
  });

  test('the provider down at the code exchange', async () => {
    // Its discovery document names a token endpoint nothing listens at.
    const own = await TestOidcProvider.start({
      redirectUris: [`${urlOf(ports.down)}${CALLBACK}`],
      tokenEndpoint: `http://127.0.0.1:${await freePort()}/token`,
    });
    const cp = await controlPlaneAt(ports.down, own.env());
    try {
      const page = await loginPage(cp.url);
      await signInWithSso(page, 'alice');
      assert.match(
        await alertOf(page),
        /The identity provider at http:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\)/,
      );
      assert.match(cp.logs.text, /provider unreachable \(token: ECONNREFUSED\)/);
      await page.context().close();
    } finally {
      await cp.stop();
      await own.stop();
    }
  });
});
