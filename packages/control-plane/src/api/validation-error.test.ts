import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeValidation, type ValidationIssue } from './validation-error.js';

const issue = (keyword: string, instancePath: string, message: string, params: Record<string, unknown> = {}) =>
  ({ keyword, instancePath, message, params }) satisfies ValidationIssue;

test('a plain violation names the field and keeps the message ajv wrote', () => {
  assert.deepEqual(describeValidation('body', [issue('minimum', '/memory_limit_mb', 'must be >= 64')]), {
    field: 'memory_limit_mb',
    message: 'body.memory_limit_mb must be >= 64',
  });
});

test('a union keeps the telling branch and lists the allowed names', () => {
  const consts = ['app', 'terminal'].map((v) =>
    issue('const', '/icon', 'must be equal to constant', { allowedValue: v }),
  );
  const result = describeValidation('body', [
    ...consts,
    issue('anyOf', '/icon', 'must match a schema in anyOf'),
    issue('pattern', '/icon', 'must match pattern "^https://"'),
    issue('type', '/icon', 'must be null'),
  ]);
  assert.deepEqual(result, {
    field: 'icon',
    message: 'body.icon must match pattern "^https://", or one of: app, terminal',
  });
});

test('nested paths are dotted; missing and unknown properties are the field', () => {
  assert.equal(describeValidation('body', [issue('pattern', '/tags/1', 'must match')]).field, 'tags.1');
  const missing = describeValidation('body', [
    issue('required', '', "must have required property 'image'", { missingProperty: 'image' }),
  ]);
  assert.deepEqual(missing, { field: 'image', message: "body must have required property 'image'" });
  const unknown = describeValidation('body', [
    issue('additionalProperties', '', 'must NOT have additional properties', { additionalProperty: 'colour' }),
  ]);
  assert.deepEqual(unknown, { field: 'colour', message: 'body must NOT have additional properties (colour)' });
  assert.equal(describeValidation('body', [issue('type', '', 'must be object')]).field, undefined);
});
