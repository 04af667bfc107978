import { userInfo } from 'node:os';

/** The operator at the terminal, as the `actor.username` of the events a command publishes: `cli:<login>`. */
export function operatorName(): string {
  return `cli:${userInfo().username}`;
}
