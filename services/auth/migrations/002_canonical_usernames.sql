-- Usernames are stored in their canonical form only (canonicalUsername in
-- @gatehouse/contracts: NFKC, full case fold, ASCII a-z 0-9 . _ @ -) and
-- compared with `=`: PostgreSQL never folds case itself, so it cannot
-- disagree with the Redis keys and events the services build in JavaScript.
--
-- Every name 001 could store was ASCII, whose canonical form is its ASCII
-- lowercase (COLLATE "C": no locale may turn I into a dotless ı). Collisions
-- are impossible, since the old unique index was on lower(username); should a
-- hand-inserted row still collide or fall outside the pattern, this migration
-- stops on the unique index or the CHECK and nothing changes: rename or merge
-- the accounts by hand (never silently merged, that would hand one person's
-- account to another), then run it again.
UPDATE users SET username = lower(username COLLATE "C") WHERE username <> lower(username COLLATE "C");
CREATE UNIQUE INDEX users_username_key ON users (username);
DROP INDEX users_username_lower_key;
ALTER TABLE users ADD CONSTRAINT users_username_canonical CHECK (username ~ '^[a-z0-9._@-]{1,64}$');
