-- name: first_revision
-- Revision 1 is the environment's settings; written once, on a database that has none.
INSERT INTO config_revisions (revision, settings, comment, created_by)
VALUES (1, %(settings)s, 'the environment''s settings', 'scheduler')
ON CONFLICT (revision) DO NOTHING;

-- name: current_revision
SELECT * FROM config_revisions ORDER BY revision DESC LIMIT 1;

-- name: revision_by_number
SELECT * FROM config_revisions WHERE revision = %(revision)s;

-- name: revision_history
SELECT * FROM config_revisions ORDER BY revision DESC LIMIT %(limit)s;

-- name: lock_revisions
-- Serialises writers so two saves never pick the same next number.
LOCK TABLE config_revisions IN SHARE ROW EXCLUSIVE MODE;

-- name: insert_revision
INSERT INTO config_revisions (revision, settings, comment, created_by, rollback_of)
SELECT coalesce(max(revision), 0) + 1, %(settings)s, %(comment)s, %(created_by)s, %(rollback_of)s
  FROM config_revisions
RETURNING *;
