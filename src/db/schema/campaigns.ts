import { sql } from 'drizzle-orm';
import { boolean, index, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { CAMPAIGN_STATUSES } from '../../metrics/catalog.js';

export const campaignStatus = pgEnum('campaign_status', CAMPAIGN_STATUSES);

export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull().default('default'),
    name: text('name').notNull(),
    status: campaignStatus('status').notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    timeZone: text('time_zone').notNull().default('UTC'),
    highValue: boolean('high_value').notNull().default(false),
    legalHold: boolean('legal_hold').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => sql`now()`),
  },
  // Listing pages by tenant and status, keyset on id.
  (t) => [index('campaigns_tenant_status_id_idx').on(t.tenantId, t.status, t.id)],
);

export type CampaignRow = typeof campaigns.$inferSelect;
