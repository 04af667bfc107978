import { auditTail } from './audit-tail.js';
import { auditVerify } from './audit-verify.js';
import type { Command } from './command.js';
import { migrate } from './migrate.js';
import { redisMemory } from './redis-memory.js';
import { sessionsList } from './sessions-list.js';
import { sessionsRevoke } from './sessions-revoke.js';
import { sessionsShow } from './sessions-show.js';
import { streamInfo } from './stream-info.js';
import { usersAdd } from './users-add.js';
import { usersDisable } from './users-disable.js';
import { usersMfaReset } from './users-mfa-reset.js';
import { usersMfaShow } from './users-mfa-show.js';
import { usersSetPassword } from './users-set-password.js';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  usersAdd,
  usersDisable,
  usersSetPassword,
  usersMfaShow,
  usersMfaReset,
  sessionsList,
  sessionsShow,
  sessionsRevoke,
  streamInfo,
  redisMemory,
  auditTail,
  auditVerify,
  migrate,
];
