CREATE TABLE "campaign_latest_snapshots" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"campaign_id" uuid PRIMARY KEY,
	"snapshot_date" timestamp with time zone NOT NULL,
	"volunteers_target" integer NOT NULL,
	"volunteers_current" integer NOT NULL,
	"volunteers_utilization" numeric(18,4) NOT NULL,
	"beneficiaries_target" integer NOT NULL,
	"beneficiaries_current" integer NOT NULL,
	"beneficiaries_utilization" numeric(18,4) NOT NULL,
	"sessions_target" integer NOT NULL,
	"sessions_current" integer NOT NULL,
	"sessions_utilization" numeric(18,4) NOT NULL,
	"budget_allocated" numeric(12,2) NOT NULL,
	"budget_spent" numeric(12,2) NOT NULL,
	"budget_remaining" numeric(12,2) NOT NULL,
	"budget_utilization" numeric(18,4) NOT NULL,
	"sroi_score" numeric(10,2),
	"average_vis_score" numeric(10,2),
	"total_hours_logged" numeric(12,2),
	"total_sessions_completed" integer,
	"seats_used" integer,
	"seats_committed" integer,
	"credits_consumed" numeric(12,2),
	"credits_allocated" numeric(12,2),
	"learners_served" integer,
	"learners_committed" integer,
	"full_snapshot" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaign_latest_snapshots" ADD CONSTRAINT "campaign_latest_snapshots_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;
--> statement-breakpoint
-- Custom part: the table is kept by statement-level triggers with transition tables on the
-- partitioned snapshot table (they see the rows of every partition, and a COPY or a batch
-- upsert costs one statement of upkeep, not one per row). Inserted and updated rows replace
-- the copy when at least as new; deleting a campaign's newest row (retention rolling up a
-- campaign that stopped reporting) moves the copy back to the newest row left, or removes it.
CREATE FUNCTION campaign_latest_snapshots_refresh(campaign_ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  -- Lock the copies first: a writer that is replacing one holds it until it commits, and the
  -- statement below then reads with a snapshot taken after that commit, so it never puts back
  -- an older row over a newer one written meanwhile.
  PERFORM 1 FROM campaign_latest_snapshots WHERE campaign_id = ANY(campaign_ids) ORDER BY campaign_id FOR UPDATE;
  INSERT INTO campaign_latest_snapshots (id, campaign_id, snapshot_date, volunteers_target, volunteers_current, volunteers_utilization, beneficiaries_target, beneficiaries_current, beneficiaries_utilization, sessions_target, sessions_current, sessions_utilization, budget_allocated, budget_spent, budget_remaining, budget_utilization, sroi_score, average_vis_score, total_hours_logged, total_sessions_completed, seats_used, seats_committed, credits_consumed, credits_allocated, learners_served, learners_committed, full_snapshot, created_at)
  SELECT n.id, n.campaign_id, n.snapshot_date, n.volunteers_target, n.volunteers_current, n.volunteers_utilization, n.beneficiaries_target, n.beneficiaries_current, n.beneficiaries_utilization, n.sessions_target, n.sessions_current, n.sessions_utilization, n.budget_allocated, n.budget_spent, n.budget_remaining, n.budget_utilization, n.sroi_score, n.average_vis_score, n.total_hours_logged, n.total_sessions_completed, n.seats_used, n.seats_committed, n.credits_consumed, n.credits_allocated, n.learners_served, n.learners_committed, n.full_snapshot, n.created_at
  FROM unnest(campaign_ids) AS c(id)
  CROSS JOIN LATERAL (
    SELECT * FROM campaign_metrics_snapshots s
    WHERE s.campaign_id = c.id
    ORDER BY s.snapshot_date DESC LIMIT 1
  ) n
  ON CONFLICT (campaign_id) DO UPDATE SET (id, snapshot_date, volunteers_target, volunteers_current, volunteers_utilization, beneficiaries_target, beneficiaries_current, beneficiaries_utilization, sessions_target, sessions_current, sessions_utilization, budget_allocated, budget_spent, budget_remaining, budget_utilization, sroi_score, average_vis_score, total_hours_logged, total_sessions_completed, seats_used, seats_committed, credits_consumed, credits_allocated, learners_served, learners_committed, full_snapshot, created_at) = ROW(EXCLUDED.id, EXCLUDED.snapshot_date, EXCLUDED.volunteers_target, EXCLUDED.volunteers_current, EXCLUDED.volunteers_utilization, EXCLUDED.beneficiaries_target, EXCLUDED.beneficiaries_current, EXCLUDED.beneficiaries_utilization, EXCLUDED.sessions_target, EXCLUDED.sessions_current, EXCLUDED.sessions_utilization, EXCLUDED.budget_allocated, EXCLUDED.budget_spent, EXCLUDED.budget_remaining, EXCLUDED.budget_utilization, EXCLUDED.sroi_score, EXCLUDED.average_vis_score, EXCLUDED.total_hours_logged, EXCLUDED.total_sessions_completed, EXCLUDED.seats_used, EXCLUDED.seats_committed, EXCLUDED.credits_consumed, EXCLUDED.credits_allocated, EXCLUDED.learners_served, EXCLUDED.learners_committed, EXCLUDED.full_snapshot, EXCLUDED.created_at);
  DELETE FROM campaign_latest_snapshots l
  WHERE l.campaign_id = ANY(campaign_ids)
    AND NOT EXISTS (SELECT 1 FROM campaign_metrics_snapshots s WHERE s.campaign_id = l.campaign_id);
END $$;
--> statement-breakpoint
CREATE FUNCTION campaign_latest_snapshots_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE campaign_latest_snapshots;
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO campaign_latest_snapshots (id, campaign_id, snapshot_date, volunteers_target, volunteers_current, volunteers_utilization, beneficiaries_target, beneficiaries_current, beneficiaries_utilization, sessions_target, sessions_current, sessions_utilization, budget_allocated, budget_spent, budget_remaining, budget_utilization, sroi_score, average_vis_score, total_hours_logged, total_sessions_completed, seats_used, seats_committed, credits_consumed, credits_allocated, learners_served, learners_committed, full_snapshot, created_at)
    SELECT DISTINCT ON (n.campaign_id) n.id, n.campaign_id, n.snapshot_date, n.volunteers_target, n.volunteers_current, n.volunteers_utilization, n.beneficiaries_target, n.beneficiaries_current, n.beneficiaries_utilization, n.sessions_target, n.sessions_current, n.sessions_utilization, n.budget_allocated, n.budget_spent, n.budget_remaining, n.budget_utilization, n.sroi_score, n.average_vis_score, n.total_hours_logged, n.total_sessions_completed, n.seats_used, n.seats_committed, n.credits_consumed, n.credits_allocated, n.learners_served, n.learners_committed, n.full_snapshot, n.created_at
    FROM new_rows n
    ORDER BY n.campaign_id, n.snapshot_date DESC
    ON CONFLICT (campaign_id) DO UPDATE SET (id, snapshot_date, volunteers_target, volunteers_current, volunteers_utilization, beneficiaries_target, beneficiaries_current, beneficiaries_utilization, sessions_target, sessions_current, sessions_utilization, budget_allocated, budget_spent, budget_remaining, budget_utilization, sroi_score, average_vis_score, total_hours_logged, total_sessions_completed, seats_used, seats_committed, credits_consumed, credits_allocated, learners_served, learners_committed, full_snapshot, created_at) = ROW(EXCLUDED.id, EXCLUDED.snapshot_date, EXCLUDED.volunteers_target, EXCLUDED.volunteers_current, EXCLUDED.volunteers_utilization, EXCLUDED.beneficiaries_target, EXCLUDED.beneficiaries_current, EXCLUDED.beneficiaries_utilization, EXCLUDED.sessions_target, EXCLUDED.sessions_current, EXCLUDED.sessions_utilization, EXCLUDED.budget_allocated, EXCLUDED.budget_spent, EXCLUDED.budget_remaining, EXCLUDED.budget_utilization, EXCLUDED.sroi_score, EXCLUDED.average_vis_score, EXCLUDED.total_hours_logged, EXCLUDED.total_sessions_completed, EXCLUDED.seats_used, EXCLUDED.seats_committed, EXCLUDED.credits_consumed, EXCLUDED.credits_allocated, EXCLUDED.learners_served, EXCLUDED.learners_committed, EXCLUDED.full_snapshot, EXCLUDED.created_at)
    WHERE campaign_latest_snapshots.snapshot_date <= EXCLUDED.snapshot_date;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    -- only an update that moves a row to another key can take away the newest one
    PERFORM campaign_latest_snapshots_refresh(ARRAY(
      SELECT DISTINCT o.campaign_id FROM old_rows o
      WHERE NOT EXISTS (
        SELECT 1 FROM new_rows n WHERE n.campaign_id = o.campaign_id AND n.snapshot_date = o.snapshot_date
      )
    ));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM campaign_latest_snapshots_refresh(ARRAY(
      SELECT DISTINCT o.campaign_id FROM old_rows o
      JOIN campaign_latest_snapshots l ON l.campaign_id = o.campaign_id AND l.snapshot_date = o.snapshot_date
    ));
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER campaign_latest_snapshots_on_insert AFTER INSERT ON campaign_metrics_snapshots
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_latest_snapshots_keep();
--> statement-breakpoint
CREATE TRIGGER campaign_latest_snapshots_on_update AFTER UPDATE ON campaign_metrics_snapshots
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_latest_snapshots_keep();
--> statement-breakpoint
CREATE TRIGGER campaign_latest_snapshots_on_delete AFTER DELETE ON campaign_metrics_snapshots
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION campaign_latest_snapshots_keep();
--> statement-breakpoint
CREATE TRIGGER campaign_latest_snapshots_on_truncate AFTER TRUNCATE ON campaign_metrics_snapshots
  FOR EACH STATEMENT EXECUTE FUNCTION campaign_latest_snapshots_keep();
--> statement-breakpoint
-- Existing data: one backward index probe per campaign.
SELECT campaign_latest_snapshots_refresh(ARRAY(SELECT id FROM campaigns));
