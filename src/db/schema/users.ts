// Users (managers, supervisors, admins) and their API tokens (stored as SHA-256 hashes only).
import { sql } from 'drizzle-orm';
import type { Kit } from './kit.js';
import { PHONE_MODES, ROLES } from '../../contract/enums.js';

// Roles and phone modes are the browser's words too: declared in the contract.
export { PHONE_MODES, ROLES, type PhoneMode, type Role } from '../../contract/enums.js';

export function defineUsers(k: Kit) {
  const { table: sqliteTable, text, integer, index, uniqueIndex } = k;
  const users = sqliteTable(
    'users',
    {
      id: text('id').primaryKey(),
      name: text('name').notNull(),
      role: text('role', { enum: ROLES }).notNull(),
      /** The PBX the user's extension is on (src/pbx/pbxes.ts): extension 101 may exist on two PBXs. */
      pbxId: text('pbx_id').notNull().default('main'),
      /** The user's phone: at most one user per extension of a PBX (users_pbx_extension_uq; src/users/directory.ts). */
      extension: text('extension'),
      /**
       * The user's mobile in E.164 ("+79160000103"), optional: a call that a PBX forwards or follows-me there
       * and that is answered there is this user's call (src/users/directory.ts `whoseMobile`). At most one
       * user per mobile (users_mobile_uq).
       */
      mobile: text('mobile'),
      passwordHash: text('password_hash'),
      language: text('language').notNull().default('ru'),
      phoneMode: text('phone_mode', { enum: PHONE_MODES }).notNull().default('desk'),
      /** Bumped to change the browser phone's SIP password (it is derived from CTI_SIP_SECRET and this). */
      sipRotation: integer('sip_rotation').notNull().default(0),
      createdAt: integer('created_at').notNull(),
    },
    (t) => [
      uniqueIndex('users_name_uq').on(t.name),
      // One extension of a PBX, one person. Deleting a user frees the extension (users are deleted, not deactivated).
      uniqueIndex('users_pbx_extension_uq').on(t.pbxId, t.extension).where(sql`${t.extension} IS NOT NULL`),
      // One mobile, one person: "whose mobile answered" has one answer.
      uniqueIndex('users_mobile_uq').on(t.mobile).where(sql`${t.mobile} IS NOT NULL`),
    ],
  );

  const apiTokens = sqliteTable(
    'api_tokens',
    {
      id: text('id').primaryKey(),
      userId: text('user_id')
        .notNull()
        .references(() => users.id, { onDelete: 'cascade' }),
      tokenHash: text('token_hash').notNull(),
      /** What the token is for ("CRM sync"), shown in lists; never the secret. */
      label: text('label'),
      createdAt: integer('created_at').notNull(),
      lastUsedAt: integer('last_used_at'),
      /** Epoch ms after which the token gets 401; null: until revoked. */
      expiresAt: integer('expires_at'),
    },
    (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash), index('api_tokens_user_idx').on(t.userId)],
  );
  return { users, apiTokens };
}

export type UserRow = ReturnType<typeof defineUsers>['users']['$inferSelect'];
export type ApiTokenRow = ReturnType<typeof defineUsers>['apiTokens']['$inferSelect'];
