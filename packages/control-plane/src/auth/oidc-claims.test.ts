import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimAt, decideFromClaims, groupsOf, type ClaimRules } from './oidc-claims.js';

const rules: ClaimRules = {
  usernameClaim: 'preferred_username',
  groupsClaim: 'groups',
  adminGroups: ['ops'],
  allowedGroups: [],
};

test('a user in an admin group is an admin; everyone else a user', () => {
  const admin = decideFromClaims({ sub: 's1', preferred_username: 'ann', groups: ['staff', 'ops'] }, rules);
  assert.ok(admin.ok);
  assert.equal(admin.role, 'admin');
  const user = decideFromClaims({ sub: 's2', preferred_username: 'bo', groups: ['staff'] }, rules);
  assert.ok(user.ok);
  assert.equal(user.role, 'user');
  // No admin groups configured: groups decide no role (admins promote by hand, and it sticks).
  const none = decideFromClaims(
    { sub: 's1', preferred_username: 'ann', groups: ['ops'] },
    { ...rules, adminGroups: [] },
  );
  assert.ok(none.ok);
  assert.equal(none.role, null);
});

test('the profile comes from the claims: subject, user name, email, name, groups', () => {
  const decision = decideFromClaims(
    { sub: 'abc', preferred_username: ' ann@example.com ', email: 'ann@example.com', name: 'Ann', groups: 'ops' },
    rules,
  );
  assert.deepEqual(decision, {
    ok: true,
    role: 'admin',
    profile: {
      subject: 'abc',
      username: 'ann@example.com',
      email: 'ann@example.com',
      displayName: 'Ann',
      groups: ['ops'],
    },
  });
});

test('OIDC_ALLOWED_GROUPS: outside every allowed group is refused, saying which groups are allowed and which the user has', () => {
  const allowed = { ...rules, allowedGroups: ['staff', 'ops'] };
  assert.ok(decideFromClaims({ sub: 's', preferred_username: 'a', groups: ['staff'] }, allowed).ok);
  const refused = decideFromClaims({ sub: 's', preferred_username: 'a', groups: ['guests'] }, allowed);
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok);
  assert.equal(refused.reason, 'not in an allowed group');
  assert.match(refused.message, /allowed: staff, ops\); you are in guests\./);
  // No groups claim at all (Entra without group claims configured, Google): said so.
  const missing = decideFromClaims({ sub: 's', preferred_username: 'a' }, allowed);
  assert.ok(!missing.ok);
  assert.match(missing.message, /carried no "groups" claim/);
  // Many groups are summarised.
  const many = decideFromClaims(
    { sub: 's', preferred_username: 'a', groups: Array.from({ length: 25 }, (_, i) => `g${i}`) },
    allowed,
  );
  assert.ok(!many.ok);
  assert.match(many.message, /g9 and 15 more/);
});

test('the user name claim must be there and usable; the groups claim may be a dotted path', () => {
  const missing = decideFromClaims({ sub: 's' }, rules);
  assert.ok(!missing.ok);
  assert.match(missing.message, /no "preferred_username" claim/);
  const unusable = decideFromClaims({ sub: 's', preferred_username: 'Ann Example' }, rules);
  assert.ok(!unusable.ok);
  assert.match(unusable.message, /not a usable StreamSpace user name/);
  assert.ok(!decideFromClaims({ sub: 's', preferred_username: 'x'.repeat(65) }, rules).ok);
  assert.ok(!decideFromClaims({ preferred_username: 'a' }, rules).ok, 'no subject');

  const keycloak = decideFromClaims(
    { sub: 's', email: 'k@example.com', realm_access: { roles: ['ops'] } },
    { ...rules, usernameClaim: 'email', groupsClaim: 'realm_access.roles' },
  );
  assert.ok(keycloak.ok);
  assert.equal(keycloak.role, 'admin');
  assert.equal(keycloak.profile.username, 'k@example.com');
});

test('claimAt prefers a claim with the whole name; groupsOf keeps only non-empty strings', () => {
  assert.equal(claimAt({ 'a.b': 1, a: { b: 2 } }, 'a.b'), 1);
  assert.equal(claimAt({ a: { b: 2 } }, 'a.b'), 2);
  assert.equal(claimAt({ a: 1 }, 'a.b'), undefined);
  assert.deepEqual(groupsOf(['x', 3, '', 'y', null]), ['x', 'y']);
  assert.deepEqual(groupsOf(''), []);
  assert.deepEqual(groupsOf(undefined), []);
});
