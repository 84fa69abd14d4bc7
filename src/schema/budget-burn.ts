import { type BudgetBurn as BudgetBurnShape, budgetBurn } from '../metrics/burn-rate.js';
import { builder } from './builder.js';
import { Campaign } from './campaign.js';
import { BurnStatusEnum } from './enums.js';

const BudgetBurn = builder.objectRef<BudgetBurnShape>('BudgetBurn').implement({
  description:
    'From the latest snapshot. dailyBurnRate: (spent now - spent at the latest snapshot at or before now-14d, ' +
    'or the first snapshot if none) / days between them (24-hour days; 0 with one snapshot). ' +
    'projectedSpendAtEnd = spent + rate * days to endsAt (0 days once endsAt has passed), rounded to cents ' +
    'half away from zero; null without endsAt or with one snapshot. projectedExhaustionDate = now + ' +
    'remaining / rate, null unless the rate is positive. status: UNKNOWN without endsAt or with fewer than ' +
    '2 snapshots; OVERSPENDING when the projected exhaustion comes before endsAt; UNDERSPENDING when ' +
    'projectedSpendAtEnd < 0.8 * allocated; else ON_TRACK.',
  fields: (t) => ({
    asOf: t.field({
      type: 'DateTime',
      description: 'The instant of the latest snapshot ("now" in the definitions above).',
      resolve: (b) => b.asOf,
    }),
    allocated: t.field({ type: 'Decimal', resolve: (b) => b.allocated }),
    spent: t.field({ type: 'Decimal', resolve: (b) => b.spent }),
    remaining: t.field({ type: 'Decimal', resolve: (b) => b.remaining }),
    dailyBurnRate: t.exposeFloat('dailyBurnRate'),
    projectedSpendAtEnd: t.field({ type: 'Decimal', nullable: true, resolve: (b) => b.projectedSpendAtEnd }),
    projectedExhaustionDate: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (b) => b.projectedExhaustionDate,
    }),
    status: t.field({ type: BurnStatusEnum, resolve: (b) => b.status }),
  }),
});

builder.drizzleObjectField(Campaign, 'budgetBurn', (t) =>
  t.field({
    type: BudgetBurn,
    nullable: true,
    description: 'Budget burn from the latest snapshot; null when the campaign has no snapshot.',
    resolve: async (campaign, _args, ctx) => {
      const inputs = await ctx.loaders.budgetBurnInputs.load(campaign.id);
      return inputs ? budgetBurn(inputs, campaign.endsAt) : null;
    },
  }),
);
