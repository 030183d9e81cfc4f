import { describe, expect, test } from 'vitest';
import { itemMasterFromJson, itemMasterToJson, readItemMaster, unitFactor } from '../../../core/domain/item-master.js';
import { logisticsErrors, storeLogistics } from '../../../core/domain/store-attributes.js';
import { attributesForStore, readStoreAttributes } from '../../../engine/index.js';

describe('item master CSV', () => {
  test('reads pack sizes in any column order, optional weight and volume', async () => {
    const r = await readItemMaster(['cases_per_pallet,item,units_per_case,weight_per_unit\n40,A1,12,0.5\n20,B2,6,\n']);
    expect(r.errors).toEqual([]);
    expect(r.rows).toBe(2);
    expect(r.items.get('A1')).toEqual({ unitsPerCase: 12, casesPerPallet: 40, weightPerUnit: 0.5 });
    expect(r.items.get('B2')).toEqual({ unitsPerCase: 6, casesPerPallet: 20 });
  });

  test('names every bad line: bad id, duplicate, zero, negative, text, Infinity, empty size, field count', async () => {
    const text = 'item,units_per_case,cases_per_pallet\nok,1,1\nbad id!,1,1\nok,2,2\nz,0,5\nn,-3,5\nt,twelve,5\ni,1e400,5\ne,,5\nf,1\n';
    const r = await readItemMaster([text]);
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.errors[0]!.reason).toMatch(/item id "bad id!" is invalid/);
    expect(r.errors[1]!.reason).toMatch(/duplicate row for item ok \(first seen on line 2\)/);
    expect(r.errors[2]!.reason).toMatch(/units_per_case 0 must be above 0/);
    expect(r.errors[3]!.reason).toMatch(/units_per_case -3 must be above 0/);
    expect(r.errors[4]!.reason).toMatch(/units_per_case "twelve" is not a number/);
    expect(r.errors[5]!.reason).toMatch(/not a finite number/);
    expect(r.errors[6]!.reason).toMatch(/units_per_case is empty/);
    expect(r.errors[7]!.reason).toMatch(/expected 3 fields, found 2/);
  });

  test('a header without the pack sizes, or with an unknown column, is refused', async () => {
    expect((await readItemMaster(['item,units_per_case\nA,1\n'])).errors[0]!.reason).toMatch(/header lacks cases_per_pallet/);
    expect((await readItemMaster(['item,units_per_case,cases_per_pallet,weight\nA,1,1,1\n'])).errors[0]!.reason).toMatch(/unknown column\(s\) "weight"/);
    expect((await readItemMaster([''])).errors[0]!.reason).toMatch(/the file is empty/);
    expect((await readItemMaster(['item,units_per_case,cases_per_pallet\n'])).errors[0]!.reason).toMatch(/no item rows/);
  });

  test('stored form round-trips and is validated when read back', () => {
    const master = new Map([['A1', { unitsPerCase: 12, casesPerPallet: 40 }], ['B2', { unitsPerCase: 6, casesPerPallet: 20, volumePerUnit: 0.002 }]]);
    const json = JSON.parse(JSON.stringify(itemMasterToJson(master))) as unknown;
    expect(itemMasterFromJson(json)).toEqual(master);
    const tampered = (change: (items: Record<string, Record<string, unknown>>) => void): unknown => {
      const copy = JSON.parse(JSON.stringify(json)) as { items: Record<string, Record<string, unknown>> };
      change(copy.items);
      return copy;
    };
    expect(() => itemMasterFromJson(tampered((i) => (i.A1!.unitsPerCase = 0)))).toThrow(/items\["A1"\]\.unitsPerCase must be a positive finite number/);
    expect(() => itemMasterFromJson(tampered((i) => (i.A1!.casesPerPallet = '40')))).toThrow(/casesPerPallet must be a positive finite number/);
    expect(() => itemMasterFromJson(tampered((i) => (i['../x'] = { unitsPerCase: 1, casesPerPallet: 1 })))).toThrow(/item id "..\/x" is invalid/);
    expect(() => itemMasterFromJson(tampered((i) => (i.B2!.extra = 1)))).toThrow(/unknown field/);
    expect(() => itemMasterFromJson({ schema: 'other', items: {} })).toThrow(/schema must be/);
  });

  test('unit factors: cases divide by units per case, pallets by units per pallet; none without pack sizes', () => {
    const sizes = { unitsPerCase: 12, casesPerPallet: 40 };
    expect(unitFactor(sizes, 'units')).toBe(1);
    expect(unitFactor(sizes, 'cases')).toBeCloseTo(1 / 12, 12);
    expect(unitFactor(sizes, 'pallets')).toBeCloseTo(1 / 480, 12);
    expect(unitFactor(undefined, 'pallets')).toBeUndefined();
    expect(unitFactor(undefined, 'units')).toBe(1);
  });
});

describe('store file logistics columns', () => {
  test('truck capacity and receiving limit per store; other columns untouched', async () => {
    const { table, errors } = await readStoreAttributes(['store,type,Truck_Pallets,receiving_limit_pallets\nS1,a,33,60\nS2,b,26,\nS3,a,,\n']);
    expect(errors).toEqual([]);
    expect(logisticsErrors(table)).toEqual([]);
    const logistics = storeLogistics(table);
    expect(logistics.get('S1')).toEqual({ truckPallets: 33, receivingLimitPallets: 60 });
    expect(logistics.get('S2')).toEqual({ truckPallets: 26, receivingLimitPallets: null });
    expect(logistics.get('S3')).toEqual({ truckPallets: null, receivingLimitPallets: null });
    expect(storeLogistics(undefined).size).toBe(0);
  });

  test('logistics columns are never features: training sees the other attributes only', async () => {
    const { table } = await readStoreAttributes(['store,type,truck_pallets,size,receiving_limit_pallets\nS1,a,33,1200,60\n']);
    expect(attributesForStore(table, 'S1')).toEqual({ columns: [{ name: 'type', kind: 'text' }, { name: 'size', kind: 'numeric' }], values: ['a', 1200] });
    const plain = await readStoreAttributes(['store,type,size\nS1,a,1200\n']);
    expect(attributesForStore(table, 'S1')).toEqual(attributesForStore(plain.table, 'S1'));
    const only = await readStoreAttributes(['store,truck_pallets\nS1,33\n']);
    expect(attributesForStore(only.table, 'S1')).toBeUndefined();
  });

  test('a truck of 0 pallets or a text limit is a bad row', async () => {
    const { table } = await readStoreAttributes(['store,truck_pallets,receiving_limit_pallets\nS1,0,60\nS2,33,lots\nS3,33,\n']);
    const errors = logisticsErrors(table);
    // "lots" makes the limit column text, so S1's 60 is refused too: a limit column holds numbers only.
    expect(errors.map((e) => e.line).sort()).toEqual([2, 2, 3]);
    expect(errors.find((e) => e.line === 2)!.reason).toMatch(/truck_pallets "0" must be a number of pallets above 0/);
  });
});
