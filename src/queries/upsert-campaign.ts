import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { campaigns } from '../db/schema/campaigns.js';
import { InputError } from '../ingest/input-error.js';
import type { CampaignStatus } from '../metrics/catalog.js';
import { ofTenants } from './capacity-alerts.js';
import { rebuildDailyAggregates } from './daily-aggregates.js';

export interface CampaignValues {
  id?: string;
  tenantId?: string;
  name: string;
  status: CampaignStatus;
  /** undefined keeps the stored value on update; null clears it. */
  startsAt?: Date | null;
  endsAt?: Date | null;
  timeZone?: string | null;
  highValue?: boolean | null;
  legalHold?: boolean | null;
}

const MAX_NAME_LENGTH = 200;

/**
 * endsAt must follow startsAt, also when an update changes only one of them. The stored
 * period is read only from a campaign the caller may write, so the check tells nothing
 * about another tenant's campaign.
 */
async function checkPeriod(
  db: Database,
  { id, startsAt, endsAt }: CampaignValues,
  writableTenants: readonly string[] | null,
): Promise<void> {
  let stored: { startsAt: Date | null; endsAt: Date | null } | undefined;
  if (id && (startsAt === undefined || endsAt === undefined)) {
    [stored] = await db
      .select({ startsAt: campaigns.startsAt, endsAt: campaigns.endsAt })
      .from(campaigns)
      .where(and(eq(campaigns.id, id), ofTenants(writableTenants)));
  }
  const start = startsAt === undefined ? stored?.startsAt : startsAt;
  const end = endsAt === undefined ? stored?.endsAt : endsAt;
  if (start && end && start >= end) {
    throw new InputError('input.endsAt must be after input.startsAt', 'input.endsAt');
  }
}

/**
 * Inserts a campaign or updates the one with this id, in one statement; returns its id.
 * Optional fields left out keep their stored values (or the column defaults on insert).
 * Only a campaign of `writableTenants` (null: any) is updated: when the id is another
 * tenant's, the statement changes nothing and the result is null.
 */
export async function upsertCampaign(
  db: Database,
  values: CampaignValues,
  writableTenants: readonly string[] | null,
): Promise<string | null> {
  const name = values.name.trim();
  if (name === '' || name.length > MAX_NAME_LENGTH) {
    throw new InputError(`input.name must be 1 to ${MAX_NAME_LENGTH} characters`, 'input.name');
  }
  await checkPeriod(db, values, writableTenants);
  const provided = Object.fromEntries(
    Object.entries({
      tenantId: values.tenantId,
      startsAt: values.startsAt,
      endsAt: values.endsAt,
      // null resets these to their defaults
      timeZone: values.timeZone === null ? 'UTC' : values.timeZone,
      highValue: values.highValue === null ? false : values.highValue,
      legalHold: values.legalHold === null ? false : values.legalHold,
    }).filter(([, value]) => value !== undefined),
  );
  return db.transaction(async (tx) => {
    const previousZone =
      values.id && provided.timeZone !== undefined ? await campaignTimeZone(tx, values.id) : null;
    const [row] = await tx
      .insert(campaigns)
      .values({ ...provided, ...(values.id ? { id: values.id } : {}), name, status: values.status })
      .onConflictDoUpdate({
        target: campaigns.id,
        set: { ...provided, name, status: values.status, updatedAt: sql`now()` },
        setWhere: ofTenants(writableTenants),
      })
      .returning({ id: campaigns.id });
    // the campaign's own zone is always pre-aggregated: moving it rebuilds its local days
    if (row && previousZone !== null && previousZone !== provided.timeZone) {
      await rebuildDailyAggregates(tx, { campaignIds: [row.id] });
    }
    return row?.id ?? null;
  });
}

async function campaignTimeZone(db: Database, id: string): Promise<string | null> {
  const [row] = await db.select({ timeZone: campaigns.timeZone }).from(campaigns).where(eq(campaigns.id, id));
  return row?.timeZone ?? null;
}
