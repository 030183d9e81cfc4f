/**
 * The shared data sets the benches read (../shared/data): their files, the drivers that go with them, the
 * horizon a planner forecasts them at, and their splits. The first cut-off is the engine bench's default;
 * the others are earlier splits nothing was chosen on.
 */
export interface SharedDataSet {
  name: string;
  file: string;
  drivers: string[];
  horizon: number;
  cutoffs: [string, ...string[]];
}

export const SHARED_DATA_SETS: readonly SharedDataSet[] = [
  { name: 'store-item', file: 'store-item/train.csv', drivers: [], horizon: 90, cutoffs: ['2017-03-31', '2016-12-31', '2016-09-30'] },
  { name: 'm5-tx3-foods3', file: 'm5-tx3-foods3/sales.csv.gz', drivers: ['m5-tx3-foods3/drivers.csv'], horizon: 28, cutoffs: ['2016-03-03', '2016-01-31', '2015-12-31'] },
  { name: 'pasta-promo', file: 'pasta-promo/sales.csv.gz', drivers: ['pasta-promo/promotions.csv.gz', 'pasta-promo/calendar.csv'], horizon: 92, cutoffs: ['2018-06-30', '2018-03-31', '2017-12-31'] },
];
