import { Type, type Static } from 'typebox';
import { SessionStateName } from '@streamspace/protocol';
import { WARM_POOL_MAX } from '../warm-pools/warm-spec.js';

// Request and response schemas: they validate input, serialise output and become /api/docs.

const Timestamp = Type.String({ format: 'date-time' });
const JsonObject = Type.Record(Type.String(), Type.Unknown());

export const ErrorBody = Type.Object({
  error: Type.String({ description: 'machine-readable code' }),
  message: Type.String({ description: 'what was wrong and what to do' }),
  field: Type.Optional(
    Type.String({
      description:
        'on a 400 about one field: its name in the request body (or query), dotted for nested ones, e.g. "memory_limit_mb" or "env.PATH"',
    }),
  ),
});

/** 429 from POST /sessions: the limit and the sessions holding it. */
export const SessionLimitBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
  limit: Type.Optional(Type.Integer()),
  sessions: Type.Optional(
    Type.Array(Type.Object({ id: Type.String(), template_name: Type.String(), state: Type.String() })),
  ),
});

export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ErrorBody]));

export const UserBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  display_name: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('admin'), Type.Literal('user')]),
  disabled: Type.Boolean(),
  max_sessions: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
    description: 'sessions this user may hold at once; null: USER_MAX_SESSIONS',
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
  mfa_enabled: Type.Optional(Type.Boolean({ description: 'two-factor (TOTP) is on; in the admin user list' })),
  active_api_tokens: Type.Optional(
    Type.Integer({ minimum: 0, description: 'API tokens not revoked and not expired; in the admin user list' }),
  ),
});

/** The caller's own user, and how they sign in (the Account page offers a password form or not). */
export const MeBody = Type.Object({
  ...UserBody.properties,
  single_sign_on: Type.Boolean({ description: 'signs in through single sign-on; no password here' }),
});

export const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$' });
export const Password = Type.String({ minLength: 8, maxLength: 1024 });
export const Role = Type.Union([Type.Literal('admin'), Type.Literal('user')]);

export const LoginRequest = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const LoginResponse = Type.Object({ token: Type.String(), expires_at: Timestamp, user: UserBody });

export const CreateUserRequest = Type.Object(
  {
    username: Username,
    password: Password,
    role: Type.Optional(Role),
    email: Type.Optional(Type.String({ maxLength: 255 })),
    display_name: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);
export type CreateUserRequest = Static<typeof CreateUserRequest>;

export const UpdateUserRequest = Type.Object(
  {
    password: Type.Optional(Password),
    current_password: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1024, description: 'required to change your own password' }),
    ),
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
    max_sessions: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 10_000 }), Type.Null()])),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    display_name: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;

/** Icons shipped with the UI (packages/web/public/icons/<name>.svg). */
export const BUNDLED_TEMPLATE_ICONS = ['app', 'browser', 'code', 'desktop', 'graphics', 'office', 'terminal'] as const;
// An https URL (the UI's CSP allows https: images) or one of the bundled names.
const TemplateIcon = Type.Union([
  Type.Union(BUNDLED_TEMPLATE_ICONS.map((name) => Type.Literal(name))),
  Type.String({ maxLength: 2000, pattern: '^https://[^\\s]+$' }),
]);
const TemplateName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' });
const TemplatePlatform = Type.Union([Type.Literal('any'), Type.Literal('docker'), Type.Literal('kubernetes')]);
const TemplateFields = {
  display_name: Type.String({ minLength: 1, maxLength: 255 }),
  description: Type.String({ maxLength: 2000 }),
  image: Type.String({ minLength: 1, maxLength: 500 }),
  vnc_port: Type.Integer({ minimum: 1, maximum: 65535 }),
  cpu_limit: Type.Number({ exclusiveMinimum: 0, maximum: 256, description: 'CPU cores' }),
  memory_limit_mb: Type.Integer({ minimum: 64, maximum: 1_048_576 }),
  env: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String()),
  persistent_home: Type.Boolean(),
  platform: TemplatePlatform,
  idle_timeout: Type.Union([Type.String({ maxLength: 32 }), Type.Null()], {
    description: 'Overrides SESSION_IDLE_TIMEOUT for this template, e.g. "30m" ("0s" = never); null = the setting',
  }),
  max_lifetime: Type.Union([Type.String({ maxLength: 32 }), Type.Null()], {
    description:
      'Overrides SESSION_MAX_LIFETIME for this template, e.g. "8h" or "2d" ("0s" = no limit); null = the setting',
  }),
  icon: Type.Union([TemplateIcon, Type.Null()], {
    description: `A bundled icon (${BUNDLED_TEMPLATE_ICONS.join(', ')}) or an https URL to an image; null = the generic icon`,
  }),
  category: Type.String({ minLength: 1, maxLength: 64, description: 'The catalog group the app is listed under' }),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9][a-z0-9 +.-]*$' }), {
    maxItems: 20,
    uniqueItems: true,
    description: 'Lowercase words the catalog search matches besides the name and description',
  }),
  warm_pool: Type.Integer({
    minimum: 0,
    maximum: WARM_POOL_MAX,
    description: `Sessions kept started ahead, 0 to ${WARM_POOL_MAX}: a user's start claims a running one at once and a replacement starts behind it. Each holds an agent slot. Not with persistent_home (a pooled session cannot know its user's home ahead); a new template with a pool and no persistent_home given gets none.`,
  }),
};

export const TemplateBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  ...TemplateFields,
  // Shown to admins only: an image names the registry and build, env may carry configuration.
  image: Type.Optional(TemplateFields.image),
  env: Type.Optional(TemplateFields.env),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const CreateTemplateRequest = Type.Object(
  {
    name: TemplateName,
    display_name: TemplateFields.display_name,
    image: TemplateFields.image,
    description: Type.Optional(TemplateFields.description),
    vnc_port: Type.Optional(TemplateFields.vnc_port),
    cpu_limit: Type.Optional(TemplateFields.cpu_limit),
    memory_limit_mb: Type.Optional(TemplateFields.memory_limit_mb),
    env: Type.Optional(TemplateFields.env),
    persistent_home: Type.Optional(TemplateFields.persistent_home),
    platform: Type.Optional(TemplateFields.platform),
    idle_timeout: Type.Optional(TemplateFields.idle_timeout),
    max_lifetime: Type.Optional(TemplateFields.max_lifetime),
    icon: Type.Optional(TemplateFields.icon),
    category: Type.Optional(TemplateFields.category),
    tags: Type.Optional(TemplateFields.tags),
    warm_pool: Type.Optional(TemplateFields.warm_pool),
  },
  { additionalProperties: false },
);
export type CreateTemplateRequest = Static<typeof CreateTemplateRequest>;

export const UpdateTemplateRequest = Type.Partial(Type.Object(TemplateFields), {
  additionalProperties: false,
  minProperties: 1,
});
export type UpdateTemplateRequest = Static<typeof UpdateTemplateRequest>;

export const SessionBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  user: Type.String(),
  user_id: Type.String({ format: 'uuid' }),
  template: Type.String(),
  state: SessionStateName,
  state_reason: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Union([JsonObject, Type.Null()]),
  region: Type.Union([Type.String(), Type.Null()]),
  agent_id: Type.Union([Type.String(), Type.Null()], { description: 'the agent holding the session' }),
  agent_region: Type.Union([Type.String(), Type.Null()], {
    description: 'the region of the agent holding the session',
  }),
  platform: Type.Union([Type.String(), Type.Null()]),
  platform_metadata: Type.Union([JsonObject, Type.Null()]),
  state_changed_at: Timestamp,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const CreateSessionRequest = Type.Object(
  {
    template: Type.String({ minLength: 1, maxLength: 64 }),
    user: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'owner; admins only, defaults to the caller' }),
    ),
    state: Type.Optional(Type.Literal('running', { description: 'the only state a new session can be asked for' })),
    region: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'preferred agent region' })),
  },
  { additionalProperties: false },
);
export type CreateSessionRequest = Static<typeof CreateSessionRequest>;

export const UpdateSessionRequest = Type.Object(
  { state: Type.Union([Type.Literal('running'), Type.Literal('hibernated'), Type.Literal('stopped')]) },
  { additionalProperties: false },
);
export type UpdateSessionRequest = Static<typeof UpdateSessionRequest>;

export const SessionQuery = Type.Object(
  { state: Type.Optional(SessionStateName), user: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

export const AgentBody = Type.Object({
  agent_id: Type.String(),
  platform: Type.String(),
  status: Type.String(),
  status_reason: Type.Union([Type.String(), Type.Null()]),
  region: Type.Union([Type.String(), Type.Null()]),
  pool: Type.Union([Type.String(), Type.Null()], {
    description: 'agents of one pool share a platform and take over each other’s sessions when one goes offline',
  }),
  capacity: Type.Union([JsonObject, Type.Null()]),
  used: Type.Union([JsonObject, Type.Null()]),
  sessions: Type.Integer({ description: 'active sessions assigned to the agent' }),
  version: Type.Union([Type.String(), Type.Null()]),
  replica_id: Type.Union([Type.String(), Type.Null()]),
  last_heartbeat: Type.Union([Timestamp, Type.Null()]),
  created_at: Timestamp,
  enrolled: Type.Boolean({ description: 'the agent id holds its own credential (enrolled with the join token)' }),
  enrolled_at: Type.Union([Timestamp, Type.Null()]),
  enrolled_from: Type.Union([Type.String(), Type.Null()], { description: 'address it enrolled from (admins only)' }),
  last_address: Type.Union([Type.String(), Type.Null()], {
    description: 'address of its latest connection (admins only)',
  }),
  revoked_at: Type.Union([Timestamp, Type.Null()]),
  revoked_by: Type.Union([Type.String(), Type.Null()]),
});

export const IdParam = Type.Object({ id: Type.String({ maxLength: 64 }) });
export const NameParam = Type.Object({ name: Type.String({ maxLength: 64 }) });

// Personal API tokens and the caller's own account (routes/api-tokens.ts, routes/me.ts).

export const CreateApiTokenRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'what the token is for, e.g. "ci deploy"' }),
    expires_in: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 32 }), Type.Integer()], {
        description:
          'seconds, or a duration like 30d, 12h, 30m; default 90d; at most API_TOKEN_MAX_LIFETIME (tokens always expire)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateApiTokenRequest = Static<typeof CreateApiTokenRequest>;

export const ApiTokenBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  hint: Type.String({ description: 'the first characters of the token, to tell tokens apart' }),
  user_id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  created_at: Timestamp,
  expires_at: Timestamp,
  last_used_at: Type.Union([Timestamp, Type.Null()], { description: 'recorded at most once a minute' }),
  last_used_from: Type.Union([Type.String(), Type.Null()]),
  revoked_at: Type.Union([Timestamp, Type.Null()]),
  revoked_by: Type.Union([Type.String(), Type.Null()]),
});

export const CreatedApiTokenBody = Type.Object({
  id: Type.String({ format: 'uuid' }),
  token: Type.String({ description: 'shown this once; only its hash is stored' }),
  name: Type.String(),
  hint: Type.String(),
  expires_at: Timestamp,
});

export const ApiTokenQuery = Type.Object(
  { user_id: Type.Optional(Type.String({ format: 'uuid' })) },
  { additionalProperties: false },
);

export const UpdateMeRequest = Type.Object(
  {
    email: Type.Optional(Type.Union([Type.String({ maxLength: 255, format: 'email' }), Type.Literal(''), Type.Null()])),
    display_name: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateMeRequest = Static<typeof UpdateMeRequest>;

export const ChangePasswordRequest = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: 1024 }), new_password: Password },
  { additionalProperties: false },
);
export type ChangePasswordRequest = Static<typeof ChangePasswordRequest>;

export const ChangePasswordResponse = Type.Object({
  token: Type.String({ description: 'a new login token for this caller; every other login has ended' }),
  expires_at: Timestamp,
});
