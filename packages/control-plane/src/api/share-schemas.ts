import { Type, type Static } from 'typebox';

const Timestamp = Type.String({ format: 'date-time' });
const ShareMode = Type.Union([Type.Literal('view'), Type.Literal('control')], {
  description: 'view: watch only (the proxy drops keys, pointer and clipboard); control: keyboard and mouse too',
});

export const CreateShareRequest = Type.Object(
  {
    mode: ShareMode,
    expires_in: Type.Union([Type.String({ minLength: 1, maxLength: 32 }), Type.Integer()], {
      description: 'seconds, or a duration like 30m, 8h, 2d; required, at most SHARE_MAX_LIFETIME',
    }),
    username: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'only this user may join; omit for anyone signed in' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateShareRequest = Static<typeof CreateShareRequest>;

export const CreatedShareBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  token: Type.String({ description: 'in this answer only; only its hash is stored' }),
  url: Type.String({ description: 'opens the shared desktop in the web UI' }),
  mode: ShareMode,
  username: Type.Union([Type.String(), Type.Null()]),
  expires_at: Timestamp,
});

export const ShareViewerBody = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  mode: ShareMode,
  connected_at: Timestamp,
});

export const ShareBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  session_id: Type.String({ format: 'uuid' }),
  mode: ShareMode,
  username: Type.Union([Type.String(), Type.Null()], { description: 'the one user it is for; null: anyone signed in' }),
  created_by: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  expires_at: Timestamp,
  revoked_at: Type.Union([Timestamp, Type.Null()]),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  viewers: Type.Array(ShareViewerBody, { description: 'connected through this share now' }),
});

export const ShareParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  share_id: Type.String({ maxLength: 64 }),
});
export const ShareTokenParam = Type.Object({ token: Type.String({ maxLength: 128 }) });

export const RedeemShareBody = Type.Object({
  ticket: Type.String({ description: 'single use, short lived' }),
  expires_at: Timestamp,
  session_id: Type.String({ format: 'uuid' }),
  mode: ShareMode,
  owner: Type.String({ description: 'whose desktop it is' }),
  template: Type.String(),
  path: Type.String({ description: 'WebSocket path to open with the ticket' }),
  ws_url: Type.String(),
});
