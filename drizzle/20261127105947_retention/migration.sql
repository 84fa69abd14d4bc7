CREATE TABLE "campaign_metrics_archives" (
	"campaign_id" uuid NOT NULL,
	"time_zone" text NOT NULL,
	"bucket_start" timestamp with time zone NOT NULL,
	"bucket_end" timestamp with time zone NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	"sample_count" integer NOT NULL,
	"object_url" text NOT NULL,
	"revision" integer DEFAULT 0 NOT NULL,
	"row_count" integer NOT NULL,
	"sha256" text NOT NULL,
	"archived_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "campaign_metrics_rollups" ADD COLUMN "full_snapshot" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_metrics_archives_campaign_bucket_key" ON "campaign_metrics_archives" ("campaign_id","bucket_start");--> statement-breakpoint
ALTER TABLE "campaign_metrics_archives" ADD CONSTRAINT "campaign_metrics_archives_campaign_id_campaigns_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE;