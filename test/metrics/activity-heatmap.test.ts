import { describe, expect, it } from 'vitest';
import { layOutHeatmap } from '../../src/metrics/activity-heatmap.js';

describe('layOutHeatmap', () => {
  it('lists all 168 cells, Monday 00 first, zeros where no sum came', () => {
    const { cells, byDayOfWeek } = layOutHeatmap([
      { dayOfWeek: 1, hour: 0, value: 4 },
      { dayOfWeek: 7, hour: 23, value: -1.5 },
      { dayOfWeek: 3, hour: 12, value: 2 },
      { dayOfWeek: 1, hour: null, value: 4 },
      { dayOfWeek: 3, hour: null, value: 2 },
      { dayOfWeek: 7, hour: null, value: -1.5 },
    ]);
    expect(cells).toHaveLength(168);
    expect(cells[0]).toEqual({ dayOfWeek: 1, hour: 0, value: 4 });
    expect(cells[1]).toEqual({ dayOfWeek: 1, hour: 1, value: 0 });
    expect(cells[24]).toEqual({ dayOfWeek: 2, hour: 0, value: 0 });
    expect(cells[2 * 24 + 12]).toEqual({ dayOfWeek: 3, hour: 12, value: 2 });
    expect(cells[167]).toEqual({ dayOfWeek: 7, hour: 23, value: -1.5 });
    expect(cells.filter((c) => c.value !== 0)).toHaveLength(3);
    expect(byDayOfWeek).toEqual([4, 0, 2, 0, 0, 0, -1.5]);
  });

  it('refuses a weekday or hour outside the grid', () => {
    expect(() => layOutHeatmap([{ dayOfWeek: 0, hour: 1, value: 1 }])).toThrow(RangeError);
    expect(() => layOutHeatmap([{ dayOfWeek: 1, hour: 24, value: 1 }])).toThrow(RangeError);
  });
});
