import type { Command } from './command.js';
import { migrate } from './migrate.js';
import { usersAdd } from './users-add.js';
import { usersDisable } from './users-disable.js';
import { usersSetPassword } from './users-set-password.js';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [usersAdd, usersDisable, usersSetPassword, migrate];
