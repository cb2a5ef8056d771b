import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeReasonText, parseViewerClose, viewerMatches } from './viewer-close.js';

const SESSION = '11111111-1111-4111-8111-111111111111';
const SHARE = '22222222-2222-4222-8222-222222222222';

test('a close request names a session, a share or both; anything else is ignored', () => {
  assert.deepEqual(parseViewerClose(JSON.stringify({ session_id: SESSION, reason: 'r' })), {
    sessionId: SESSION,
    shareId: undefined,
    reason: 'r',
  });
  assert.equal(parseViewerClose(JSON.stringify({ reason: 'everyone' })), undefined);
  assert.equal(parseViewerClose(JSON.stringify({ session_id: 'x', reason: 'r' })), undefined);
  assert.equal(parseViewerClose('not json'), undefined);
  const byShare = parseViewerClose(JSON.stringify({ share_id: SHARE, reason: 'share revoked' }))!;
  assert.equal(viewerMatches(byShare, { sessionId: SESSION, shareId: SHARE }), true);
  assert.equal(viewerMatches(byShare, { sessionId: SESSION, shareId: null }), false, "the owner's own viewer stays");
});

test('close reasons are cut to the 123 bytes a WebSocket close frame holds', () => {
  assert.equal(Buffer.byteLength(closeReasonText('é'.repeat(100))), 122);
  assert.equal(closeReasonText('idle for 30m'), 'idle for 30m');
});
