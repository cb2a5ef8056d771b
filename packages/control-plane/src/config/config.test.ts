import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configurationTable, loadConfig, SETTINGS } from './config.js';
import { formatDuration, parseDuration } from '@streamspace/protocol';

const problemsOf = (env: Record<string, string>) => {
  const result = loadConfig(env);
  return result.ok ? [] : result.problems;
};

test('with no environment at all the control plane starts embedded, on the documented defaults', () => {
  const result = loadConfig({});
  assert.ok(result.ok);
  const { config } = result;
  assert.equal(config.port, 8080);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.database.kind, 'pglite');
  assert.match(config.dataDir, /\/data$/);
  assert.equal(config.agentHeartbeatTimeoutMs, 30_000);
  assert.equal(config.vncProxyTimeoutMs, 300_000);
  assert.equal(config.sessionStartTimeoutMs, 300_000);
  assert.equal(config.adminUsername, 'admin');
  assert.equal(config.publicUrl, 'http://localhost:8080');
  assert.ok(config.replicaId.length > 0);
});

test('every setting has a documented default or says it is generated or none', () => {
  for (const setting of Object.values(SETTINGS)) {
    assert.ok(setting.defaultText.length > 0, setting.env);
    assert.ok(setting.description.length > 10, setting.env);
  }
});

test("the seed's DB_* variables build a PostgreSQL URL; PostgreSQL requires shared secrets", () => {
  const env = {
    DB_HOST: 'db.internal',
    DB_USER: 'stream space',
    DB_PASSWORD: 'p@ss/word',
    JWT_SECRET: 'x'.repeat(32),
    AGENT_TOKEN: 'y'.repeat(16),
  };
  const result = loadConfig(env);
  assert.ok(result.ok);
  assert.deepEqual(result.config.database, {
    kind: 'postgres',
    url: 'postgres://stream%20space:p%40ss%2Fword@db.internal:5432/streamspace',
    poolMax: 10,
  });
  assert.deepEqual(problemsOf({ DB_HOST: 'db' }), [
    'DB_USER: required when DB_HOST is set',
    'JWT_SECRET: required with PostgreSQL (32+ characters, e.g. `openssl rand -base64 32`)',
    'AGENT_TOKEN: required with PostgreSQL (16+ characters, e.g. `openssl rand -hex 24`)',
  ]);
});

test('each bad value is one line naming the variable and what it expects, all reported at once', () => {
  assert.deepEqual(
    problemsOf({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      AGENT_HEARTBEAT_TIMEOUT: '30',
      VNC_PROXY_TIMEOUT: 'soon',
      DATABASE_URL: 'mysql://x',
    }),
    [
      'PORT: expected a whole number from 0 to 65535, got "eighty"',
      'LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"',
      'DATABASE_URL: expected a postgres: or postgresql: URL, got "mysql:"',
      'AGENT_HEARTBEAT_TIMEOUT: expected a duration like 30s, 5m or 1h, got "30"',
      'VNC_PROXY_TIMEOUT: expected a duration like 30s, 5m or 1h, got "soon"',
    ],
  );
  assert.deepEqual(problemsOf({ JWT_SECRET: 'short' }), ['JWT_SECRET: must be at least 32 characters, got 5']);
  assert.deepEqual(
    problemsOf({
      DATABASE_URL: 'postgres://a@b/c',
      DB_HOST: 'b',
      DB_USER: 'a',
      JWT_SECRET: 'x'.repeat(32),
      AGENT_TOKEN: 'y'.repeat(16),
    }),
    ['DATABASE_URL: set either DATABASE_URL or DB_HOST, not both'],
  );
  assert.deepEqual(problemsOf({ AGENT_HEARTBEAT_TIMEOUT: '100ms' }), [
    'AGENT_HEARTBEAT_TIMEOUT: must be at least 300ms, got "100ms"',
  ]);
});

test('durations parse the Go-style forms the seed documents use', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1500ms'), 1500);
  assert.equal(parseDuration('0.5s'), 500);
  for (const bad of ['30', '', 's', '5 m', '-5s', '1d']) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(formatDuration(300_000), '5m');
  assert.equal(formatDuration(1500), '1500ms');
});

test('the configuration table lists every variable', () => {
  const table = configurationTable();
  for (const setting of Object.values(SETTINGS)) assert.ok(table.includes(`| \`${setting.env}\` |`), setting.env);
});

test('single sign-on is off by default; an issuer needs a client id and secret, each named when missing', () => {
  const off = loadConfig({});
  assert.ok(off.ok);
  assert.equal(off.config.oidc, undefined);
  assert.equal(off.config.localLogin, true);

  assert.deepEqual(problemsOf({ OIDC_ISSUER_URL: 'https://idp.example.com/realms/main' }), [
    'OIDC_CLIENT_ID: required when OIDC_ISSUER_URL is set',
    'OIDC_CLIENT_SECRET: required when OIDC_ISSUER_URL is set',
  ]);
  assert.deepEqual(problemsOf({ OIDC_ISSUER_URL: 'not a url' }), [
    'OIDC_ISSUER_URL: expected a URL like https://idp.example.com/realms/main, got "not a url"',
  ]);
  assert.deepEqual(problemsOf({ LOCAL_LOGIN: 'maybe' }), ['LOCAL_LOGIN: expected true or false, got "maybe"']);
  assert.match(problemsOf({ LOCAL_LOGIN: 'false' })[0]!, /^LOCAL_LOGIN: false needs single sign-on/);
});

test('OIDC settings: defaults, lists, the issuer kept exactly, the redirect URI from PUBLIC_URL', () => {
  const result = loadConfig({
    PUBLIC_URL: 'https://streamspace.example.com/',
    OIDC_ISSUER_URL: 'https://tenant.auth0.com/',
    OIDC_CLIENT_ID: 'streamspace',
    OIDC_CLIENT_SECRET: 's3cret',
    OIDC_ADMIN_GROUPS: ' ops , platform ',
    LOCAL_LOGIN: 'false',
  });
  assert.ok(result.ok);
  assert.equal(result.config.localLogin, false);
  assert.deepEqual(result.config.oidc, {
    issuerUrl: 'https://tenant.auth0.com/',
    clientId: 'streamspace',
    clientSecret: 's3cret',
    scopes: 'openid profile email',
    usernameClaim: 'preferred_username',
    groupsClaim: 'groups',
    adminGroups: ['ops', 'platform'],
    allowedGroups: [],
    buttonLabel: 'Sign in with single sign-on',
    redirectUri: 'https://streamspace.example.com/api/v1/auth/oidc/callback',
  });
  assert.deepEqual(
    problemsOf({ OIDC_ISSUER_URL: 'https://i', OIDC_CLIENT_ID: 'c', OIDC_CLIENT_SECRET: 's', OIDC_SCOPES: 'profile' }),
    ['OIDC_SCOPES: must include openid, got "profile"'],
  );
});
