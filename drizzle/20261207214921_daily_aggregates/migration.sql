CREATE TABLE "campaign_metrics_daily" (
	"campaign_id" uuid,
	"time_zone" text,
	"day_start" timestamp with time zone,
	"sample_count" integer NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"volunteers_target_first" integer,
	"volunteers_target_last" integer,
	"volunteers_target_min" integer,
	"volunteers_target_max" integer,
	"volunteers_target_sum" numeric,
	"volunteers_current_first" integer,
	"volunteers_current_last" integer,
	"volunteers_current_min" integer,
	"volunteers_current_max" integer,
	"volunteers_current_sum" numeric,
	"volunteers_utilization_first" numeric(18,4),
	"volunteers_utilization_last" numeric(18,4),
	"volunteers_utilization_min" numeric(18,4),
	"volunteers_utilization_max" numeric(18,4),
	"volunteers_utilization_sum" numeric,
	"beneficiaries_target_first" integer,
	"beneficiaries_target_last" integer,
	"beneficiaries_target_min" integer,
	"beneficiaries_target_max" integer,
	"beneficiaries_target_sum" numeric,
	"beneficiaries_current_first" integer,
	"beneficiaries_current_last" integer,
	"beneficiaries_current_min" integer,
	"beneficiaries_current_max" integer,
	"beneficiaries_current_sum" numeric,
	"beneficiaries_utilization_first" numeric(18,4),
	"beneficiaries_utilization_last" numeric(18,4),
	"beneficiaries_utilization_min" numeric(18,4),
	"beneficiaries_utilization_max" numeric(18,4),
	"beneficiaries_utilization_sum" numeric,
	"sessions_target_first" integer,
	"sessions_target_last" integer,
	"sessions_target_min" integer,
	"sessions_target_max" integer,
	"sessions_target_sum" numeric,
	"sessions_current_first" integer,
	"sessions_current_last" integer,
	"sessions_current_min" integer,
	"sessions_current_max" integer,
	"sessions_current_sum" numeric,
	"sessions_utilization_first" numeric(18,4),
	"sessions_utilization_last" numeric(18,4),
	"sessions_utilization_min" numeric(18,4),
	"sessions_utilization_max" numeric(18,4),
	"sessions_utilization_sum" numeric,
	"budget_allocated_first" numeric(12,2),
	"budget_allocated_last" numeric(12,2),
	"budget_allocated_min" numeric(12,2),
	"budget_allocated_max" numeric(12,2),
	"budget_allocated_sum" numeric,
	"budget_spent_first" numeric(12,2),
	"budget_spent_last" numeric(12,2),
	"budget_spent_min" numeric(12,2),
	"budget_spent_max" numeric(12,2),
	"budget_spent_sum" numeric,
	"budget_remaining_first" numeric(12,2),
	"budget_remaining_last" numeric(12,2),
	"budget_remaining_min" numeric(12,2),
	"budget_remaining_max" numeric(12,2),
	"budget_remaining_sum" numeric,
	"budget_utilization_first" numeric(18,4),
	"budget_utilization_last" numeric(18,4),
	"budget_utilization_min" numeric(18,4),
	"budget_utilization_max" numeric(18,4),
	"budget_utilization_sum" numeric,
	"sroi_score_first" numeric(12,2),
	"sroi_score_last" numeric(12,2),
	"sroi_score_min" numeric(12,2),
	"sroi_score_max" numeric(12,2),
	"sroi_score_sum" numeric,
	"sroi_score_count" integer,
	"average_vis_score_first" numeric(12,2),
	"average_vis_score_last" numeric(12,2),
	"average_vis_score_min" numeric(12,2),
	"average_vis_score_max" numeric(12,2),
	"average_vis_score_sum" numeric,
	"average_vis_score_count" integer,
	"total_hours_logged_first" numeric(12,2),
	"total_hours_logged_last" numeric(12,2),
	"total_hours_logged_min" numeric(12,2),
	"total_hours_logged_max" numeric(12,2),
	"total_hours_logged_sum" numeric,
	"total_hours_logged_count" integer,
	"total_sessions_completed_first" integer,
	"total_sessions_completed_last" integer,
	"total_sessions_completed_min" integer,
	"total_sessions_completed_max" integer,
	"total_sessions_completed_sum" numeric,
	"total_sessions_completed_count" integer,
	"seats_used_first" integer,
	"seats_used_last" integer,
	"seats_used_min" integer,
	"seats_used_max" integer,
	"seats_used_sum" numeric,
	"seats_used_count" integer,
	"seats_committed_first" integer,
	"seats_committed_last" integer,
	"seats_committed_min" integer,
	"seats_committed_max" integer,
	"seats_committed_sum" numeric,
	"seats_committed_count" integer,
	"credits_consumed_first" numeric(12,2),
	"credits_consumed_last" numeric(12,2),
	"credits_consumed_min" numeric(12,2),
	"credits_consumed_max" numeric(12,2),
	"credits_consumed_sum" numeric,
	"credits_consumed_count" integer,
	"credits_allocated_first" numeric(12,2),
	"credits_allocated_last" numeric(12,2),
	"credits_allocated_min" numeric(12,2),
	"credits_allocated_max" numeric(12,2),
	"credits_allocated_sum" numeric,
	"credits_allocated_count" integer,
	"learners_served_first" integer,
	"learners_served_last" integer,
	"learners_served_min" integer,
	"learners_served_max" integer,
	"learners_served_sum" numeric,
	"learners_served_count" integer,
	"learners_committed_first" integer,
	"learners_committed_last" integer,
	"learners_committed_min" integer,
	"learners_committed_max" integer,
	"learners_committed_sum" numeric,
	"learners_committed_count" integer,
	CONSTRAINT "campaign_metrics_daily_pkey" PRIMARY KEY("campaign_id","time_zone","day_start")
);
--> statement-breakpoint
CREATE TABLE "daily_aggregate_zones" (
	"time_zone" text PRIMARY KEY
);
--> statement-breakpoint
ALTER TABLE "campaign_metrics_daily" ADD CONSTRAINT "campaign_metrics_daily_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;
--> statement-breakpoint
-- Custom part: the local days of the snapshots already stored, in each campaign's own zone
-- (daily_aggregate_zones is empty yet). Bucket statements take a campaign's own zone as always
-- pre-aggregated, so an upgraded database must not start without them. The statement is the
-- one rebuildDailyAggregates (src/queries/daily-aggregates.ts) sends for every campaign; it
-- reads every snapshot once (minutes at 15M rows).
INSERT INTO campaign_metrics_daily (campaign_id, time_zone, day_start, sample_count, first_at, last_at, volunteers_target_first, volunteers_target_last, volunteers_target_min, volunteers_target_max, volunteers_target_sum, volunteers_current_first, volunteers_current_last, volunteers_current_min, volunteers_current_max, volunteers_current_sum, volunteers_utilization_first, volunteers_utilization_last, volunteers_utilization_min, volunteers_utilization_max, volunteers_utilization_sum, beneficiaries_target_first, beneficiaries_target_last, beneficiaries_target_min, beneficiaries_target_max, beneficiaries_target_sum, beneficiaries_current_first, beneficiaries_current_last, beneficiaries_current_min, beneficiaries_current_max, beneficiaries_current_sum, beneficiaries_utilization_first, beneficiaries_utilization_last, beneficiaries_utilization_min, beneficiaries_utilization_max, beneficiaries_utilization_sum, sessions_target_first, sessions_target_last, sessions_target_min, sessions_target_max, sessions_target_sum, sessions_current_first, sessions_current_last, sessions_current_min, sessions_current_max, sessions_current_sum, sessions_utilization_first, sessions_utilization_last, sessions_utilization_min, sessions_utilization_max, sessions_utilization_sum, budget_allocated_first, budget_allocated_last, budget_allocated_min, budget_allocated_max, budget_allocated_sum, budget_spent_first, budget_spent_last, budget_spent_min, budget_spent_max, budget_spent_sum, budget_remaining_first, budget_remaining_last, budget_remaining_min, budget_remaining_max, budget_remaining_sum, budget_utilization_first, budget_utilization_last, budget_utilization_min, budget_utilization_max, budget_utilization_sum, sroi_score_first, sroi_score_last, sroi_score_min, sroi_score_max, sroi_score_sum, sroi_score_count, average_vis_score_first, average_vis_score_last, average_vis_score_min, average_vis_score_max, average_vis_score_sum, average_vis_score_count, total_hours_logged_first, total_hours_logged_last, total_hours_logged_min, total_hours_logged_max, total_hours_logged_sum, total_hours_logged_count, total_sessions_completed_first, total_sessions_completed_last, total_sessions_completed_min, total_sessions_completed_max, total_sessions_completed_sum, total_sessions_completed_count, seats_used_first, seats_used_last, seats_used_min, seats_used_max, seats_used_sum, seats_used_count, seats_committed_first, seats_committed_last, seats_committed_min, seats_committed_max, seats_committed_sum, seats_committed_count, credits_consumed_first, credits_consumed_last, credits_consumed_min, credits_consumed_max, credits_consumed_sum, credits_consumed_count, credits_allocated_first, credits_allocated_last, credits_allocated_min, credits_allocated_max, credits_allocated_sum, credits_allocated_count, learners_served_first, learners_served_last, learners_served_min, learners_served_max, learners_served_sum, learners_served_count, learners_committed_first, learners_committed_last, learners_committed_min, learners_committed_max, learners_committed_sum, learners_committed_count)
    SELECT g.campaign_id, g.time_zone, g.day_start, g.sample_count, g.first_at, g.last_at, f.volunteers_target AS volunteers_target_first, l.volunteers_target AS volunteers_target_last, g.volunteers_target_min, g.volunteers_target_max, g.volunteers_target_sum, f.volunteers_current AS volunteers_current_first, l.volunteers_current AS volunteers_current_last, g.volunteers_current_min, g.volunteers_current_max, g.volunteers_current_sum, f.volunteers_utilization AS volunteers_utilization_first, l.volunteers_utilization AS volunteers_utilization_last, g.volunteers_utilization_min, g.volunteers_utilization_max, g.volunteers_utilization_sum, f.beneficiaries_target AS beneficiaries_target_first, l.beneficiaries_target AS beneficiaries_target_last, g.beneficiaries_target_min, g.beneficiaries_target_max, g.beneficiaries_target_sum, f.beneficiaries_current AS beneficiaries_current_first, l.beneficiaries_current AS beneficiaries_current_last, g.beneficiaries_current_min, g.beneficiaries_current_max, g.beneficiaries_current_sum, f.beneficiaries_utilization AS beneficiaries_utilization_first, l.beneficiaries_utilization AS beneficiaries_utilization_last, g.beneficiaries_utilization_min, g.beneficiaries_utilization_max, g.beneficiaries_utilization_sum, f.sessions_target AS sessions_target_first, l.sessions_target AS sessions_target_last, g.sessions_target_min, g.sessions_target_max, g.sessions_target_sum, f.sessions_current AS sessions_current_first, l.sessions_current AS sessions_current_last, g.sessions_current_min, g.sessions_current_max, g.sessions_current_sum, f.sessions_utilization AS sessions_utilization_first, l.sessions_utilization AS sessions_utilization_last, g.sessions_utilization_min, g.sessions_utilization_max, g.sessions_utilization_sum, f.budget_allocated AS budget_allocated_first, l.budget_allocated AS budget_allocated_last, g.budget_allocated_min, g.budget_allocated_max, g.budget_allocated_sum, f.budget_spent AS budget_spent_first, l.budget_spent AS budget_spent_last, g.budget_spent_min, g.budget_spent_max, g.budget_spent_sum, f.budget_remaining AS budget_remaining_first, l.budget_remaining AS budget_remaining_last, g.budget_remaining_min, g.budget_remaining_max, g.budget_remaining_sum, f.budget_utilization AS budget_utilization_first, l.budget_utilization AS budget_utilization_last, g.budget_utilization_min, g.budget_utilization_max, g.budget_utilization_sum, f.sroi_score AS sroi_score_first, l.sroi_score AS sroi_score_last, g.sroi_score_min, g.sroi_score_max, g.sroi_score_sum, g.sroi_score_count, f.average_vis_score AS average_vis_score_first, l.average_vis_score AS average_vis_score_last, g.average_vis_score_min, g.average_vis_score_max, g.average_vis_score_sum, g.average_vis_score_count, f.total_hours_logged AS total_hours_logged_first, l.total_hours_logged AS total_hours_logged_last, g.total_hours_logged_min, g.total_hours_logged_max, g.total_hours_logged_sum, g.total_hours_logged_count, f.total_sessions_completed AS total_sessions_completed_first, l.total_sessions_completed AS total_sessions_completed_last, g.total_sessions_completed_min, g.total_sessions_completed_max, g.total_sessions_completed_sum, g.total_sessions_completed_count, f.seats_used AS seats_used_first, l.seats_used AS seats_used_last, g.seats_used_min, g.seats_used_max, g.seats_used_sum, g.seats_used_count, f.seats_committed AS seats_committed_first, l.seats_committed AS seats_committed_last, g.seats_committed_min, g.seats_committed_max, g.seats_committed_sum, g.seats_committed_count, f.credits_consumed AS credits_consumed_first, l.credits_consumed AS credits_consumed_last, g.credits_consumed_min, g.credits_consumed_max, g.credits_consumed_sum, g.credits_consumed_count, f.credits_allocated AS credits_allocated_first, l.credits_allocated AS credits_allocated_last, g.credits_allocated_min, g.credits_allocated_max, g.credits_allocated_sum, g.credits_allocated_count, f.learners_served AS learners_served_first, l.learners_served AS learners_served_last, g.learners_served_min, g.learners_served_max, g.learners_served_sum, g.learners_served_count, f.learners_committed AS learners_committed_first, l.learners_committed AS learners_committed_last, g.learners_committed_min, g.learners_committed_max, g.learners_committed_sum, g.learners_committed_count
    FROM (
      SELECT d.campaign_id, d.time_zone, d.day_start, count(*)::int AS sample_count,
             min(s.snapshot_date) AS first_at, max(s.snapshot_date) AS last_at, min(s.volunteers_target) AS volunteers_target_min, max(s.volunteers_target) AS volunteers_target_max, sum(s.volunteers_target::numeric) AS volunteers_target_sum, min(s.volunteers_current) AS volunteers_current_min, max(s.volunteers_current) AS volunteers_current_max, sum(s.volunteers_current::numeric) AS volunteers_current_sum, min(s.volunteers_utilization) AS volunteers_utilization_min, max(s.volunteers_utilization) AS volunteers_utilization_max, sum(s.volunteers_utilization::numeric) AS volunteers_utilization_sum, min(s.beneficiaries_target) AS beneficiaries_target_min, max(s.beneficiaries_target) AS beneficiaries_target_max, sum(s.beneficiaries_target::numeric) AS beneficiaries_target_sum, min(s.beneficiaries_current) AS beneficiaries_current_min, max(s.beneficiaries_current) AS beneficiaries_current_max, sum(s.beneficiaries_current::numeric) AS beneficiaries_current_sum, min(s.beneficiaries_utilization) AS beneficiaries_utilization_min, max(s.beneficiaries_utilization) AS beneficiaries_utilization_max, sum(s.beneficiaries_utilization::numeric) AS beneficiaries_utilization_sum, min(s.sessions_target) AS sessions_target_min, max(s.sessions_target) AS sessions_target_max, sum(s.sessions_target::numeric) AS sessions_target_sum, min(s.sessions_current) AS sessions_current_min, max(s.sessions_current) AS sessions_current_max, sum(s.sessions_current::numeric) AS sessions_current_sum, min(s.sessions_utilization) AS sessions_utilization_min, max(s.sessions_utilization) AS sessions_utilization_max, sum(s.sessions_utilization::numeric) AS sessions_utilization_sum, min(s.budget_allocated) AS budget_allocated_min, max(s.budget_allocated) AS budget_allocated_max, sum(s.budget_allocated::numeric) AS budget_allocated_sum, min(s.budget_spent) AS budget_spent_min, max(s.budget_spent) AS budget_spent_max, sum(s.budget_spent::numeric) AS budget_spent_sum, min(s.budget_remaining) AS budget_remaining_min, max(s.budget_remaining) AS budget_remaining_max, sum(s.budget_remaining::numeric) AS budget_remaining_sum, min(s.budget_utilization) AS budget_utilization_min, max(s.budget_utilization) AS budget_utilization_max, sum(s.budget_utilization::numeric) AS budget_utilization_sum, min(s.sroi_score) AS sroi_score_min, max(s.sroi_score) AS sroi_score_max, sum(s.sroi_score::numeric) AS sroi_score_sum, count(s.sroi_score)::int AS sroi_score_count, min(s.average_vis_score) AS average_vis_score_min, max(s.average_vis_score) AS average_vis_score_max, sum(s.average_vis_score::numeric) AS average_vis_score_sum, count(s.average_vis_score)::int AS average_vis_score_count, min(s.total_hours_logged) AS total_hours_logged_min, max(s.total_hours_logged) AS total_hours_logged_max, sum(s.total_hours_logged::numeric) AS total_hours_logged_sum, count(s.total_hours_logged)::int AS total_hours_logged_count, min(s.total_sessions_completed) AS total_sessions_completed_min, max(s.total_sessions_completed) AS total_sessions_completed_max, sum(s.total_sessions_completed::numeric) AS total_sessions_completed_sum, count(s.total_sessions_completed)::int AS total_sessions_completed_count, min(s.seats_used) AS seats_used_min, max(s.seats_used) AS seats_used_max, sum(s.seats_used::numeric) AS seats_used_sum, count(s.seats_used)::int AS seats_used_count, min(s.seats_committed) AS seats_committed_min, max(s.seats_committed) AS seats_committed_max, sum(s.seats_committed::numeric) AS seats_committed_sum, count(s.seats_committed)::int AS seats_committed_count, min(s.credits_consumed) AS credits_consumed_min, max(s.credits_consumed) AS credits_consumed_max, sum(s.credits_consumed::numeric) AS credits_consumed_sum, count(s.credits_consumed)::int AS credits_consumed_count, min(s.credits_allocated) AS credits_allocated_min, max(s.credits_allocated) AS credits_allocated_max, sum(s.credits_allocated::numeric) AS credits_allocated_sum, count(s.credits_allocated)::int AS credits_allocated_count, min(s.learners_served) AS learners_served_min, max(s.learners_served) AS learners_served_max, sum(s.learners_served::numeric) AS learners_served_sum, count(s.learners_served)::int AS learners_served_count, min(s.learners_committed) AS learners_committed_min, max(s.learners_committed) AS learners_committed_max, sum(s.learners_committed::numeric) AS learners_committed_sum, count(s.learners_committed)::int AS learners_committed_count
      FROM (
    SELECT c.id AS campaign_id, z.time_zone
    FROM campaigns c
    CROSS JOIN LATERAL (SELECT c.time_zone UNION SELECT time_zone FROM daily_aggregate_zones) z
    WHERE true AND true) z
        JOIN campaign_metrics_snapshots s ON s.campaign_id = z.campaign_id
        CROSS JOIN LATERAL (SELECT z.campaign_id, z.time_zone,
                                   date_trunc('day', s.snapshot_date, z.time_zone) AS day_start) d
      GROUP BY 1, 2, 3
    ) g
    CROSS JOIN LATERAL (
      SELECT * FROM campaign_metrics_snapshots e
      WHERE e.campaign_id = g.campaign_id AND e.snapshot_date = g.first_at LIMIT 1) f
    CROSS JOIN LATERAL (
      SELECT * FROM campaign_metrics_snapshots e
      WHERE e.campaign_id = g.campaign_id AND e.snapshot_date = g.last_at LIMIT 1) l
      ORDER BY g.campaign_id, g.time_zone, g.day_start;
