-- Whether campaign_metrics_daily holds the local days of `campaign` in `zone` (null: the
-- campaign's own zone, always kept; else a zone of daily_aggregate_zones). Bucket statements
-- call it with parameters only, so PostgreSQL can drop the raw branch's month partitions
-- before it starts executing (src/queries/raw-bucket-statement.ts). PL/pgSQL: never inlined
-- into the statement, evaluated once per execution.
CREATE FUNCTION campaign_days_kept(campaign uuid, zone text) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM campaigns c WHERE c.id = campaign AND c.time_zone = coalesce(zone, c.time_zone))
      OR EXISTS (SELECT 1 FROM daily_aggregate_zones z WHERE z.time_zone = zone);
END
$$;
