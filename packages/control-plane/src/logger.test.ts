import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.js';

test('secrets are redacted by configuration wherever they appear in a logged object', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger('info', sink);
  logger.info(
    {
      password: 'hunter2-password',
      token: 'eyJ.secret.token',
      req: { headers: { authorization: 'Bearer abc.def.ghi', host: 'example' } },
      config: { jwtSecret: 'j'.repeat(32), agentToken: 'agent-secret-token', port: 8080 },
      user: { password_hash: '$argon2id$v=19$secret' },
    },
    'event',
  );
  const line = lines.join('');
  for (const secret of [
    'hunter2-password',
    'eyJ.secret.token',
    'abc.def.ghi',
    'j'.repeat(32),
    'agent-secret-token',
    '$argon2id$',
  ]) {
    assert.ok(!line.includes(secret), `${secret} leaked: ${line}`);
  }
  const parsed = JSON.parse(line) as { config: { port: number }; req: { headers: { host: string } } };
  assert.equal(parsed.config.port, 8080, 'other fields are kept');
  assert.equal(parsed.req.headers.host, 'example');
});
