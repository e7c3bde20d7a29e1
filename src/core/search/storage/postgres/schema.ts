/**
 * The tables of the study database. A study's trials exist from its creation, one row per trial number, so a claim
 * only changes a row (SELECT … FOR UPDATE SKIP LOCKED hands one row to one worker) and the study can never hold more
 * trials than it asked for. `params` and `line` are `json`, not `jsonb`: they keep the text PXP wrote (key order,
 * every digit), so a trial read back is the trial written.
 */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS pxp_studies (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  settings json NOT NULL,
  description json NOT NULL,
  trials_wanted integer NOT NULL CHECK (trials_wanted > 0),
  batch integer NOT NULL CHECK (batch > 0),
  heartbeat_timeout double precision NOT NULL CHECK (heartbeat_timeout > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS pxp_trials (
  study_id bigint NOT NULL REFERENCES pxp_studies (id) ON DELETE CASCADE,
  number integer NOT NULL CHECK (number >= 0),
  state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'running', 'done')),
  params json,
  worker text,
  heartbeat timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  claims integer NOT NULL DEFAULT 0,
  auc double precision,
  line json,
  PRIMARY KEY (study_id, number),
  CHECK ((state = 'done') = (line IS NOT NULL))
);`;

/** Serializes schema creation between processes (two CREATE TABLE IF NOT EXISTS can collide in the catalog). */
export const SCHEMA_LOCK = 7_319_468_211;
