import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { enforceMfaEnrollment, mfaDemanded } from './mfa-policy.js';

test('MFA_REQUIRED covers nobody, admins, or everyone', () => {
  assert.deepEqual(
    (['none', 'admins', 'all'] as const).map((p) => [mfaDemanded(p, 'admin'), mfaDemanded(p, 'user')]),
    [
      [false, false],
      [true, false],
      [true, true],
    ],
  );
});

test('a user who must enroll reaches only the enrollment routes; with two-factor on, everything', () => {
  const request = (method: string, url: string) => ({ method, routeOptions: { url } }) as unknown as FastifyRequest;
  assert.doesNotThrow(() => enforceMfaEnrollment(request('POST', '/api/v1/users/me/mfa/totp'), 'all', 'user', false));
  assert.doesNotThrow(() => enforceMfaEnrollment(request('GET', '/api/v1/auth/me'), 'all', 'user', false));
  assert.throws(
    () => enforceMfaEnrollment(request('GET', '/api/v1/sessions'), 'all', 'user', false),
    (e: Error & { statusCode?: number }) =>
      e.statusCode === 403 && /Set up two-factor authentication first/.test(e.message),
  );
  assert.throws(() => enforceMfaEnrollment(request('DELETE', '/api/v1/users/me/mfa/totp'), 'all', 'user', false));
  assert.doesNotThrow(() => enforceMfaEnrollment(request('GET', '/api/v1/sessions'), 'all', 'user', true));
  assert.doesNotThrow(() => enforceMfaEnrollment(request('GET', '/api/v1/sessions'), 'admins', 'user', false));
});
