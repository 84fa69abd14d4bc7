-- Custom migration: campaign_metrics_snapshots becomes range-partitioned by month on
-- snapshot_date (drizzle-kit cannot express partitioning; snapshot.json records the same end
-- state as drizzle sees it: primary key (campaign_id, snapshot_date), id a plain column).
-- Upgrades a database with data: the old table is renamed, the partitioned parent gets one
-- partition per month that holds rows plus this month and three ahead (no DEFAULT partition:
-- it would turn every "newest snapshot" probe into a merge over all partitions; ingest creates
-- a missing month first, src/queries/snapshot-partitions.ts), the rows are copied with their ids and created_at (generated columns are recomputed from
-- the same inputs), keys are added after the copy (one index build per partition instead of
-- row-by-row upkeep) and the old table is dropped.
ALTER TABLE "campaign_metrics_snapshots" RENAME TO "campaign_metrics_snapshots_unpartitioned";--> statement-breakpoint
ALTER TABLE "campaign_metrics_snapshots_unpartitioned" DROP CONSTRAINT "campaign_metrics_snapshots_pkey";--> statement-breakpoint
DROP INDEX "campaign_metrics_snapshots_campaign_date_key";--> statement-breakpoint
CREATE TABLE "campaign_metrics_snapshots" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"campaign_id" uuid NOT NULL,
	"snapshot_date" timestamp with time zone NOT NULL,
	"volunteers_target" integer NOT NULL,
	"volunteers_current" integer NOT NULL,
	"volunteers_utilization" numeric(18,4) GENERATED ALWAYS AS (coalesce(round("volunteers_current"::numeric / nullif("volunteers_target", 0), 4), 0)) STORED NOT NULL,
	"beneficiaries_target" integer NOT NULL,
	"beneficiaries_current" integer NOT NULL,
	"beneficiaries_utilization" numeric(18,4) GENERATED ALWAYS AS (coalesce(round("beneficiaries_current"::numeric / nullif("beneficiaries_target", 0), 4), 0)) STORED NOT NULL,
	"sessions_target" integer NOT NULL,
	"sessions_current" integer NOT NULL,
	"sessions_utilization" numeric(18,4) GENERATED ALWAYS AS (coalesce(round("sessions_current"::numeric / nullif("sessions_target", 0), 4), 0)) STORED NOT NULL,
	"budget_allocated" numeric(12,2) NOT NULL,
	"budget_spent" numeric(12,2) NOT NULL,
	"budget_remaining" numeric(12,2) GENERATED ALWAYS AS (budget_allocated - budget_spent) STORED NOT NULL,
	"budget_utilization" numeric(18,4) GENERATED ALWAYS AS (coalesce(round("budget_spent"::numeric / nullif("budget_allocated", 0), 4), 0)) STORED NOT NULL,
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
) PARTITION BY RANGE ("snapshot_date");
--> statement-breakpoint
DO $$
DECLARE
  month_start timestamp;
BEGIN
  -- months as UTC wall-clock timestamps, so adding a month never depends on the session zone
  FOR month_start IN
    SELECT DISTINCT date_trunc('month', snapshot_date AT TIME ZONE 'UTC') FROM "campaign_metrics_snapshots_unpartitioned"
    UNION
    SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => ahead) FROM generate_series(0, 3) AS ahead
  LOOP
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF "campaign_metrics_snapshots" FOR VALUES FROM (%L) TO (%L)',
      'campaign_metrics_snapshots_' || to_char(month_start, 'YYYY_MM'),
      to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00',
      to_char(month_start + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00'
    );
  END LOOP;
END
$$;--> statement-breakpoint
INSERT INTO "campaign_metrics_snapshots" (
	"id", "campaign_id", "snapshot_date", "volunteers_target", "volunteers_current", "beneficiaries_target",
	"beneficiaries_current", "sessions_target", "sessions_current", "budget_allocated", "budget_spent",
	"sroi_score", "average_vis_score", "total_hours_logged", "total_sessions_completed", "seats_used",
	"seats_committed", "credits_consumed", "credits_allocated", "learners_served", "learners_committed",
	"full_snapshot", "created_at"
)
SELECT
	"id", "campaign_id", "snapshot_date", "volunteers_target", "volunteers_current", "beneficiaries_target",
	"beneficiaries_current", "sessions_target", "sessions_current", "budget_allocated", "budget_spent",
	"sroi_score", "average_vis_score", "total_hours_logged", "total_sessions_completed", "seats_used",
	"seats_committed", "credits_consumed", "credits_allocated", "learners_served", "learners_committed",
	"full_snapshot", "created_at"
FROM "campaign_metrics_snapshots_unpartitioned";--> statement-breakpoint
DROP TABLE "campaign_metrics_snapshots_unpartitioned";--> statement-breakpoint
ALTER TABLE "campaign_metrics_snapshots" ADD CONSTRAINT "campaign_metrics_snapshots_pkey" PRIMARY KEY("campaign_id","snapshot_date");--> statement-breakpoint
ALTER TABLE "campaign_metrics_snapshots" ADD CONSTRAINT "campaign_metrics_snapshots_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;
